// `make bench-variants`: one load on several variants of the server side by side, in alternating
// rounds, each variant's req/s as a ratio of the first's in the same round. For deciding whether a
// change pays for itself: a variant listed twice shows the run-to-run spread to beat.
//
// VARIANTS is a JSON list of {name, env?, nodeFlags?, dist?}: extra environment, V8 flags in place
// of npm start's, another build directory (beside dist/, made by the caller). LOAD is me (default),
// health or signup; ROUNDS (5), DURATION (5), WARMUP (2), CONNECTIONS (50), BCRYPT_COST (12);
// the database is DATABASE_URL's server, as for `make bench`.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { atCleanUp, cleanUp, cleanUpOnSignals } from './cleanup.js'
import { fmt, fmtRate, say } from './format.js'
import { hashTime, median, meter, type Measure } from './measure.js'
import { buildProduction, loadTestEnv, memory, startServer, type Child, type ServerVariant } from './processes.js'
import { loads } from './scenarios.js'
import { mailSink } from './mail-sink.js'
import { connect, createScratchDatabase, openSessions, seedUsers } from './seed.js'
import { SMALL_USERS, type Settings } from './settings.js'

interface Variant extends ServerVariant {
  name: string
  env?: Record<string, string>
}

const number = (name: string, fallback: number): number => Number(process.env[name] ?? fallback)
const variants = JSON.parse(process.env.VARIANTS ?? '[{"name":"npm start"},{"name":"npm start, again"}]') as Variant[]
const load = process.env.LOAD ?? 'me'
if (!['me', 'health', 'signup'].includes(load)) throw new Error(`LOAD: unknown load '${load}'`)
const settings = {
  duration: number('DURATION', 5),
  warmup: number('WARMUP', 2),
  rounds: number('ROUNDS', 5),
  connections: number('CONNECTIONS', 50),
  authConnections: number('AUTH_CONNECTIONS', 8),
  users: SMALL_USERS,
  bcryptCost: number('BCRYPT_COST', 12),
  otherCpu: number('OTHER_CPU', 100),
  quietWait: number('QUIET_WAIT', 0)
} as unknown as Settings

cleanUpOnSignals()
const workDir = mkdtempSync(join(tmpdir(), 'dna-api-variants-'))
atCleanUp(() => rmSync(workDir, { recursive: true, force: true }))
const loadBefore = loadavg()
try {
  buildProduction()
  const database = await createScratchDatabase(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', workDir)
  const db = await connect(database.url)
  const mail = await mailSink()
  const { hash } = await hashTime(settings.bcryptCost)
  await seedUsers(db, hash, 1, SMALL_USERS)
  const jwtSecret = randomBytes(48).toString('base64url')
  const tokens = await openSessions(db, jwtSecret, SMALL_USERS)
  const servers: Child[] = []
  for (const [index, variant] of variants.entries()) {
    servers.push(await startServer(workDir, {
      ...loadTestEnv(database.url, jwtSecret, settings.bcryptCost, mail.url),
      ...variant.env
    }, join(workDir, `server-${index}.log`), undefined, variant))
  }
  const measure = meter(settings)
  const rounds: Measure[][] = variants.map(() => [])
  for (let round = 0; round < settings.rounds; round++) {
    // Each round starts with another variant, so that none is always first after a pause.
    for (let step = 0; step < variants.length; step++) {
      const index = (round + step) % variants.length
      const server = servers[index]
      const chosen = loads(server.url, tokens, settings)
      const measured = await measure.measure(variants[index].name, server.pid,
        load === 'me' ? chosen.me : load === 'signup' ? chosen.signup : { url: `${server.url}/health`, connections: settings.connections })
      rounds[index].push(measured)
    }
  }
  const peaks = servers.map((server) => memory(server.pid).peak)
  const loadAfter = loadavg()
  process.stdout.write(`\nGET ${load}: ${settings.rounds} rounds of ${settings.duration} s, ${settings.connections} connections; ` +
    `loadavg ${loadBefore.map((value) => value.toFixed(2)).join(' ')} before, ${loadAfter.map((value) => value.toFixed(2)).join(' ')} after\n\n`)
  process.stdout.write('| variant | req/s | p99 ms | peak RSS MB | ratio to the first (per round) |\n| --- | ---: | ---: | ---: | ---: |\n')
  for (const [index, variant] of variants.entries()) {
    const ratios = rounds[index].map((measured, round) => measured.rps / rounds[0][round].rps)
    process.stdout.write(`| ${variant.name} | ${fmtRate(median(rounds[index].map((m) => m.rps)))} | ${fmt(median(rounds[index].map((m) => m.p99)), 1)} | ` +
      `${fmt(peaks[index])} | ${fmt(100 * median(ratios))} % (${ratios.map((ratio) => fmt(100 * ratio)).join(', ')}) |\n`)
  }
} catch (error) {
  process.exitCode = 1
  say(`failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
} finally {
  await cleanUp()
}
