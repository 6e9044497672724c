// `make bench-scale`: does the service slow down as its tables grow? Two scratch databases side
// by side, each with its own server (as `npm start` runs it): a small one, and a large one with
// SESSIONS rows in sessions (10 000 000) and RATE_LIMITS in rate_limits (1 000 000: a
// credential-stuffing aftermath). GET /me and login are measured on both in alternating rounds
// (target: large ≤ 1.2 × small, in time a request). Then EXPIRED (1 000 000) expired sessions and
// as many expired counters are added to the large one, and GET /me's p99 is measured just before
// and while the housekeeping's deletes (src/db: sessions.deleteExpired, rateLimits.deleteExpired,
// called until they find nothing) run from another connection (target: ≤ 2 × before).
// ROUNDS (3), DURATION (5), WARMUP (2), CONNECTIONS (50), AUTH_CONNECTIONS (8), BCRYPT_COST (12),
// OTHER_CPU (15) and QUIET_WAIT (300) as for `make bench`; SCALE_USERS (500 000) users share
// the sessions, 20 each at most (MAX_SESSIONS_PER_USER's default), so that a login ends no more
// of them than in production. Writes bench/results-scale.md (RESULTS).
import { deleteInBatches } from '../src/db/batches.js'
import { randomBytes } from 'node:crypto'
import type pg from 'pg'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { atCleanUp, cleanUp, cleanUpOnSignals } from './cleanup.js'
import { fmt, fmtRate, say } from './format.js'
import { hashTime, median, meter } from './measure.js'
import { mailSink } from './mail-sink.js'
import { buildProduction, startServer, type Child } from './processes.js'
import { loads } from './scenarios.js'
import { connect, createScratchDatabase, openSessions, seedUsers, type ScratchDatabase } from './seed.js'
import { REPO, SMALL_USERS, type Settings } from './settings.js'
import { openDatabase } from '../src/db/database.js'
import { tables } from '../src/db/tables.js'

const number = (name: string, fallback: number): number => Number(process.env[name] ?? fallback)
const SESSIONS = number('SESSIONS', 10_000_000)
const RATE_LIMITS = number('RATE_LIMITS', 1_000_000)
const EXPIRED = number('EXPIRED', 1_000_000)
const SCALE_USERS = number('SCALE_USERS', 500_000)
const settings = {
  duration: number('DURATION', 5),
  warmup: number('WARMUP', 2),
  rounds: number('ROUNDS', 3),
  connections: number('CONNECTIONS', 50),
  authConnections: number('AUTH_CONNECTIONS', 8),
  users: SCALE_USERS,
  bcryptCost: number('BCRYPT_COST', 12),
  otherCpu: number('OTHER_CPU', 15),
  quietWait: number('QUIET_WAIT', 300)
} as unknown as Settings
const results = resolve(REPO, process.env.RESULTS ?? 'bench/results-scale.md')

cleanUpOnSignals()
const workDir = mkdtempSync(join(tmpdir(), 'dna-api-scale-'))
atCleanUp(() => rmSync(workDir, { recursive: true, force: true }))
const loadBefore = loadavg()
const started = Date.now()
try {
  buildProduction()
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const mail = await mailSink()
  const { hash } = await hashTime(settings.bcryptCost)
  const jwtSecret = randomBytes(48).toString('base64url')
  const instances: Array<{ size: string, database: ScratchDatabase, db: pg.Client, tokens: string[] }> = []
  for (const size of ['small', 'large'] as const) {
    const database = await createScratchDatabase(serverUrl, workDir, `_${size}`)
    const db = await connect(database.url)
    await seedUsers(db, hash, 1, SCALE_USERS)
    const tokens = await openSessions(db, jwtSecret, SMALL_USERS)
    instances.push({ size, database, db, tokens })
  }
  const large = instances[1]
  say(`seeding ${SESSIONS.toLocaleString('en-GB')} sessions and ${RATE_LIMITS.toLocaleString('en-GB')} rate-limit counters`)
  const seedStarted = performance.now()
  // Users SMALL_USERS + 1 onwards, about 20 each: a login then ends no more sessions than in production.
  await large.db.query(`INSERT INTO sessions (user_id, expires_at)
    SELECT ${SMALL_USERS + 1} + n % ($2::integer - ${SMALL_USERS}), now() + interval '1 day' FROM generate_series(1, $1::integer) AS n`, [SESSIONS, SCALE_USERS])
  await large.db.query(`INSERT INTO rate_limits (key, hits, expires_at)
    SELECT md5(n::text), 1 + n % 5, now() + interval '1 hour' FROM generate_series(1, $1::integer) AS n`, [RATE_LIMITS])
  await large.db.query('VACUUM ANALYZE sessions, rate_limits')
  await large.db.query('CHECKPOINT').catch(() => {})
  const seedSeconds = (performance.now() - seedStarted) / 1000
  say(`  seeded in ${fmt(seedSeconds, 1)} s`)

  const servers: Child[] = []
  for (const instance of instances) {
    servers.push(await startServer(workDir, {
      NODE_ENV: 'production',
      DATABASE_URL: instance.database.url,
      JWT_SECRET: jwtSecret,
      BCRYPT_COST: String(settings.bcryptCost),
      AUTH_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'info',
      CAPTCHA: 'off',
      SMTP_URL: mail.url,
      PUBLIC_URL: 'https://dna.example.com'
    }, join(workDir, `server-${instance.size}.log`), undefined))
  }
  const measure = meter(settings)
  const ratios: Record<string, number[]> = { me: [], login: [], housekeeping: [] }
  const timeOf = (rps: number, connections: number): number => connections / rps
  for (let round = 0; round < settings.rounds; round++) {
    for (const [name, load] of [['me', (i: number) => loads(servers[i].url, instances[i].tokens, settings).me], ['login', (i: number) => loads(servers[i].url, instances[i].tokens, settings).login(settings.authConnections)]] as const) {
      const small = await measure.measure(`${name}, small tables`, servers[0].pid, load(0), [servers[1].pid])
      const big = await measure.measure(`${name}, ${SESSIONS.toLocaleString('en-GB')} sessions and ${RATE_LIMITS.toLocaleString('en-GB')} counters`, servers[1].pid, load(1), [servers[0].pid])
      ratios[name].push(timeOf(big.rps, load(1).connections ?? 1) / timeOf(small.rps, load(0).connections ?? 1))
    }
  }

  // The housekeeping: the service's own delete functions, from a connection of their own.
  const housekeepingDb = await openDatabase({ url: large.database.url, statementTimeoutMs: 0 })
  atCleanUp(async () => await housekeepingDb.close())
  const data = tables(housekeepingDb)
  let deleted = 0
  let deleteSeconds = 0
  for (let round = 0; round < settings.rounds; round++) {
    await large.db.query(`INSERT INTO sessions (user_id, expires_at)
      SELECT ${SMALL_USERS + 1} + n % ($2::integer - ${SMALL_USERS}), now() - interval '1 minute' FROM generate_series(1, $1::integer) AS n`, [EXPIRED, SCALE_USERS])
    await large.db.query(`INSERT INTO rate_limits (key, hits, expires_at)
      SELECT 'expired-' || n, 1, now() - interval '1 minute' FROM generate_series(1, $1::integer) AS n`, [EXPIRED])
    await large.db.query('VACUUM ANALYZE sessions, rate_limits')
    const me = loads(servers[1].url, large.tokens, settings).me
    const idle = await measure.measure('GET /me, large tables, before the housekeeping', servers[1].pid, me)
    const deleteStarted = performance.now()
    const deleting = (async () => {
      // Started after the warm-up, so that the deletes fall in the counted seconds.
      await new Promise((resolve) => setTimeout(resolve, settings.warmup * 1000))
      // As the housekeeping does it: batch after batch until one comes back short.
      deleted += await deleteInBatches(data.sessions.deleteExpired) + await deleteInBatches(data.rateLimits.deleteExpired)
      deleteSeconds += (performance.now() - deleteStarted) / 1000 - settings.warmup
    })()
    const during = await measure.measure('GET /me, large tables, while the housekeeping deletes', servers[1].pid, me)
    await deleting
    ratios.housekeeping.push(during.p99 / idle.p99)
  }

  const loadAfter = loadavg()
  const rows = [
    ['GET /me, time a request, large ÷ small', ratios.me, '≤ 1.2 ×', (r: number) => r <= 1.2],
    ['POST login, time a request, large ÷ small', ratios.login, '≤ 1.2 ×', (r: number) => r <= 1.2],
    [`GET /me p99 while ${fmt(2 * EXPIRED)} expired rows are deleted, ÷ just before`, ratios.housekeeping, '≤ 2 ×', (r: number) => r <= 2]
  ] as const
  const summary = rows.map(([figure, values, target, met]) =>
    `| ${figure} | ${fmt(median(values), 2)} × (${values.map((value) => `${fmt(value, 2)} ×`).join(', ')}) | ${target} | ${met(median(values)) ? 'met' : 'NOT met'} |`)
  const details = measure.series.map((one) => `| ${one.name} | ${fmtRate(median(one.rounds.map((m) => m.rps)))} | ${fmt(median(one.rounds.map((m) => m.p99)), 1)} | ${one.rounds.reduce((sum, m) => sum + m.errors, 0)} | ${fmt(Math.max(...one.rounds.map((m) => m.otherCpu)))} % |`)
  const text = [
    '# Cost as the data grows',
    '',
    `Written by \`make bench-scale\` (bench/scale.ts), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, in ${fmt((Date.now() - started) / 60_000, 1)} minutes. ` +
      `Load average ${loadBefore.map((v) => v.toFixed(2)).join(' ')} at the start, ${loadAfter.map((v) => v.toFixed(2)).join(' ')} at the end.`,
    '',
    '| figure | ratio (per round) | target | met |',
    '| --- | ---: | ---: | ---: |',
    ...summary,
    '',
    '| measurement | req/s | p99 ms | errors | other CPU |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...details,
    '',
    `- Both databases have ${SCALE_USERS.toLocaleString('en-GB')} users; the large one also ${SESSIONS.toLocaleString('en-GB')} live sessions (20 a user) and ` +
      `${RATE_LIMITS.toLocaleString('en-GB')} live rate-limit counters, seeded in ${fmt(seedSeconds, 1)} s. ${settings.rounds} rounds of ${settings.warmup} s warm-up and ${settings.duration} s counted, ` +
      `${settings.connections} connections for GET /me, ${settings.authConnections} for login; a time a request is connections ÷ req/s.`,
    `- The housekeeping deleted ${deleted.toLocaleString('en-GB')} rows in all, ${fmt(deleteSeconds / settings.rounds, 1)} s a round on average.`,
    ''
  ].join('\n')
  writeFileSync(results, text)
  process.stdout.write(`\n${text}`)
} catch (error) {
  process.exitCode = 1
  say(`bench-scale failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
} finally {
  await cleanUp()
}
