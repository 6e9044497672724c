// `make bench-health-data`: what encrypting the health data costs. Out of CI, like `make bench`.
// 1. GET /me and GET /api/v1/users/{id} on profiles stored encrypted against the same on profiles
//    stored in plaintext (no key id: the service reads them without decrypting). That is the
//    switch: the same server, the same code, rows that differ only in being encrypted; rounds
//    alternate. Target: encrypted at least 95 % of plaintext, for each of the two routes.
// 2. The rotation of VALUES values (1 000 000; two per profile) to a new key while the server
//    serves GET /me under load. Target: under 3 minutes, no failed request.
// Settings: DURATION (5), ROUNDS (4), CONNECTIONS (20), VALUES (1000000), BATCH (1000), DATABASE_URL.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { atCleanUp, cleanUp, cleanUpOnSignals } from './cleanup.js'
import { fmt, say } from './format.js'
import { hashTime, median, meter, type Load, type Measure } from './measure.js'
import { buildProduction, loadTestEnv, startServer } from './processes.js'
import { describeCommit } from './report.js'
import { logInAdmin } from './scenarios.js'
import { connect, createScratchDatabase, openSessions, seedUsers } from './seed.js'
import { REPO } from './settings.js'
import { rotateKeys } from '../src/accounts/key-rotation.js'
import { createDataCipher } from '../src/db/data-cipher.js'
import { openDatabase, withCipher } from '../src/db/database.js'
import { geneticProfileKeysTable, type StoredProfile } from '../src/db/genetic-profile-keys.js'

const setting = (name: string, fallback: number): number => Number(process.env[name] ?? fallback)
const DURATION = setting('DURATION', 5)
const ROUNDS = setting('ROUNDS', 4)
const CONNECTIONS = setting('CONNECTIONS', 20)
const VALUES = setting('VALUES', 1_000_000)
const BATCH = setting('BATCH', 1000)
/** Users 2 to 1 000 read plaintext profiles, 1 001 to 2 000 encrypted ones. */
const HALF = 1000

cleanUpOnSignals()
const workDir = mkdtempSync(join(tmpdir(), 'dna-api-bench-'))
atCleanUp(() => rmSync(workDir, { recursive: true, force: true }))
const rotating = <T>(values: T[]): () => T => { let next = 0; return () => values[next++ % values.length] }
/** The figures against their targets, for bench/results-health-data.md, and every line printed. */
const figures: string[] = []
const printed: string[] = []
const report = (line: string): void => { say(line); printed.push(line) }
const loadBefore = loadavg()

try {
  buildProduction()
  const database = await createScratchDatabase(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', workDir)
  const db = await connect(database.url)
  const { hash } = await hashTime(4)
  await seedUsers(db, hash, 1, 2 * HALF)
  // Every reader gets a profile of a few KiB, as a real result would be.
  const result = JSON.stringify({ BRCA1: 'negative', APOE: 'e3/e3', markers: Array.from({ length: 60 }, (_, i) => ({ rsid: `rs${429358 + i}`, genotype: 'TT', note: 'no increased risk' })) })
  await db.query(`INSERT INTO genetic_profiles (user_id, policy, genetic_result) SELECT n, 'POL-' || n, $1 FROM generate_series(2, $2::integer) n
                  ON CONFLICT (user_id) DO UPDATE SET genetic_result = excluded.genetic_result, policy = excluded.policy`, [result, 2 * HALF])
  const keys = `bench:${randomBytes(32).toString('base64')}`
  const cipher = createDataCipher([{ id: 'bench', key: Buffer.from(keys.slice(6), 'base64') }])
  const { rows } = await db.query<StoredProfile>('SELECT user_id, policy, policy_key_id, genetic_result, genetic_result_key_id FROM genetic_profiles WHERE user_id > $1', [HALF])
  await geneticProfileKeysTable({ query: async (text, params) => { const r = await db.query(text as string, params); return { rows: r.rows, rowCount: r.rowCount ?? 0 } } })
    .storeValues(rows.map((row) => ({ ...row, policy: cipher.encrypt(row.policy as string, row.user_id), policy_key_id: 'bench', genetic_result: cipher.encrypt(row.genetic_result as string, row.user_id), genetic_result_key_id: 'bench' })))
  const jwtSecret = randomBytes(48).toString('base64url')
  const tokens = await openSessions(db, jwtSecret, 2 * HALF)
  // No mail is sent by these reads, so no mail sink; the data key is the one the rows were sealed with.
  const server = await startServer(workDir, { ...loadTestEnv(database.url, jwtSecret, 4, 'smtp://127.0.0.1:2525'), DATA_KEYS: keys, LOG_LEVEL: 'warn' },
    join(workDir, 'server.log'), undefined)

  const m = meter({ warmup: 1, duration: DURATION, otherCpu: 100, quietWait: 1 })
  const meLoad = (from: number): Load => {
    const next = rotating(tokens.slice(from, from + HALF - 1))
    return { url: server.url, connections: CONNECTIONS, requests: [{ path: '/api/v1/users/me', setupRequest: (request) => ({ ...request, headers: { authorization: `Bearer ${next()}` } }) }] }
  }
  // The admin's read of a customer: the same profiles, by id (user from + 2 onwards, as the tokens).
  const adminToken = await logInAdmin(server)
  const adminLoad = (from: number): Load => {
    const next = rotating(Array.from({ length: HALF - 1 }, (_, i) => from + 2 + i))
    return { url: server.url, connections: CONNECTIONS, requests: [{ path: '/api/v1/users/2', setupRequest: (request) => ({ ...request, path: `/api/v1/users/${next()}`, headers: { authorization: `Bearer ${adminToken}` } }) }] }
  }
  for (const [route, load] of [['GET /me', meLoad], ['GET /api/v1/users/{id}', adminLoad]] as const) {
    const ratios: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      // Which goes first alternates: whatever the first of a pair pays (a cold cache, the other's leftovers) falls on both.
      const measurePlain = async (): Promise<Measure> => await m.measure(`${route}, plaintext profile`, server.pid, load(0))
      const measureSealed = async (): Promise<Measure> => await m.measure(`${route}, encrypted profile`, server.pid, load(HALF - 1))
      let plain: Measure, sealed: Measure
      if (round % 2 === 0) {
        plain = await measurePlain()
        sealed = await measureSealed()
      } else {
        sealed = await measureSealed()
        plain = await measurePlain()
      }
      if (plain.errors + sealed.errors > 0) throw new Error(`${route}: ${plain.errors} plaintext and ${sealed.errors} encrypted requests failed`)
      ratios.push(sealed.rps / plain.rps)
      report(`  round ${round + 1}: ${fmt(plain.rps, 0)} req/s plaintext, ${fmt(sealed.rps, 0)} encrypted: ${fmt(100 * sealed.rps / plain.rps, 1)} %`)
    }
    report(`${route} with decryption: ${fmt(100 * median(ratios), 1)} % of the plaintext throughput (target at least 95 %)`)
    figures.push(`| ${route}, encrypted profiles, req/s as a share of plaintext ones | ${fmt(100 * median(ratios), 1)} % (${ratios.map((r) => fmt(100 * r, 1)).join(', ')}) | ≥ 95 % | ${median(ratios) >= 0.95 ? 'met' : 'NOT met'} |`)
  }

  // The rotation: VALUES values (two a profile) from plaintext to a new key, with GET /me served meanwhile.
  const profiles = Math.ceil(VALUES / 2)
  say(`seeding ${profiles.toLocaleString('en-GB')} profiles (${VALUES.toLocaleString('en-GB')} values)`)
  await db.query('TRUNCATE genetic_profiles')
  await seedUsers(db, hash, 2 * HALF + 1, Math.max(2 * HALF, profiles + 1))
  await db.query(`INSERT INTO genetic_profiles (user_id, policy, genetic_result) SELECT n, 'POL-' || n, $1 FROM generate_series(2, $2::integer) n
                  ON CONFLICT (user_id) DO NOTHING`, [JSON.stringify({ BRCA1: 'negative', APOE: 'e3/e3' }), profiles + 1])
  const rotationDb = withCipher(await openDatabase({ url: database.url, statementTimeoutMs: 0 }), cipher)
  atCleanUp(async () => await rotationDb.close())
  const load = autocannon({ ...meLoad(0), duration: 3600 })
  const started = performance.now()
  const outcome = await rotateKeys(rotationDb, cipher, { batchSize: BATCH, jwtSecret })
  const seconds = (performance.now() - started) / 1000
  load.stop()
  const served = await load
  const failed = served.non2xx + served.errors + served.timeouts
  figures.push(`| rotation of ${(2 * outcome.profiles).toLocaleString('en-GB')} values while GET /me is served | ${fmt(seconds, 1)} s, ${failed} failed requests | < 180 s, none failed | ${seconds < 180 && failed === 0 ? 'met' : 'NOT met'} |`)
  report(`rotation: ${outcome.profiles.toLocaleString('en-GB')} profiles (${(2 * outcome.profiles).toLocaleString('en-GB')} values) in ${fmt(seconds, 1)} s ` +
    `(target under 180 s), batches of ${BATCH}, while GET /me served ${fmt(served.requests.average, 0)} req/s with ${failed} failed requests`)
  await server.stop()
  const commit = describeCommit()
  writeFileSync(join(REPO, 'bench/results-health-data.md'), [
    '# What encrypting the health data costs',
    '',
    `Written by \`make bench-health-data\` (bench/health-data.ts). Commit ${commit}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
      `${availableParallelism()} cores; load average (1, 5, 15 min) ${loadBefore.map((v) => v.toFixed(2)).join(' ')} at the start, ` +
      `${loadavg().map((v) => v.toFixed(2)).join(' ')} at the end. ${ROUNDS} rounds a side of ${DURATION} s at ${CONNECTIONS} connections, ` +
      'the order of each pair alternating; the figure is the median of the per-round ratios (in brackets). See bench/README.md.',
    '',
    '| figure | value | target | met |',
    '| --- | ---: | ---: | ---: |',
    ...figures,
    '',
    '```',
    ...printed,
    '```',
    ''
  ].join('\n'))
} catch (error) {
  process.exitCode = 1
  say(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
} finally {
  await cleanUp()
}
