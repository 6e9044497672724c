// `make bench`: how fast is the production build, compared with what this machine can do at all?
// bench/README.md says what each scenario measures, against which ceiling, and what was found.
//
// It makes a scratch database on the PostgreSQL server of DATABASE_URL (default the local one),
// seeds it (bench/seed.ts), starts the server as `npm start` runs it in production
// (bench/processes.ts), runs the scenarios (bench/scenarios.ts), each figure in rounds alternating
// with its ceiling's (bench/measure.ts), prints a table and writes it as Markdown to
// bench/results.md (bench/report.ts). Settings (environment):
// - DURATION seconds counted per round (5), WARMUP seconds before them (2), ROUNDS (3);
// - CONNECTIONS for the GET routes (50), AUTH_CONNECTIONS for login and signup (8),
//   FLOOD_CONNECTIONS for the login flood (32);
// - USERS for the large admin list (1000000), BCRYPT_COST (12);
// - OTHER_CPU (15): each round first waits, QUIET_WAIT seconds at most (300), until other
//   processes use less than this percentage of the machine, and a round during which they used
//   more is run again, up to three times;
// - QUICK=1 to try it out: one 3 s round, 100 000 users, results to bench/results-quick.md;
// - RESULTS (another output file), ONLY (a comma-separated subset of health, me, login, signup,
//   flood, admin), PROFILE=dir (the server writes a --cpu-prof profile there when it stops),
//   UV_THREADPOOL_SIZE (passed to the server).
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { atCleanUp, cleanUp, cleanUpOnSignals } from './cleanup.js'
import { fmt, say } from './format.js'
import { hashTime, meter } from './measure.js'
import { buildProduction, loadTestEnv, memory, startServer } from './processes.js'
import { report } from './report.js'
import { adminList, checkSession, flood, health, loads, logInAdmin, login, me, signup, signupFlood, type Bench } from './scenarios.js'
import { mailSink } from './mail-sink.js'
import { LOCAL_POSTGRES_URL } from '../src/db/scratch-database.js'
import { connect, createScratchDatabase, openSessions, seedUsers } from './seed.js'
import { REPO, SCENARIOS, SMALL_USERS, type Scenario, type Settings } from './settings.js'

function setting (name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, got '${raw}'`)
  return value
}

function readSettings (): Settings {
  const quick = process.env.QUICK === '1'
  const only = new Set((process.env.ONLY ?? SCENARIOS.join(',')).split(',').map((name) => name.trim()))
  for (const name of only) if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`ONLY: unknown scenario '${name}'`)
  return {
    quick,
    duration: setting('DURATION', quick ? 3 : 5),
    warmup: setting('WARMUP', quick ? 1 : 2),
    rounds: setting('ROUNDS', quick ? 1 : 3),
    connections: setting('CONNECTIONS', 50),
    authConnections: setting('AUTH_CONNECTIONS', 8),
    floodConnections: setting('FLOOD_CONNECTIONS', 32),
    users: setting('USERS', quick ? 100_000 : 1_000_000),
    bcryptCost: setting('BCRYPT_COST', 12),
    otherCpu: setting('OTHER_CPU', 15),
    quietWait: setting('QUIET_WAIT', 300),
    results: resolve(REPO, process.env.RESULTS ?? (quick ? 'bench/results-quick.md' : 'bench/results.md')),
    only: only as Set<Scenario>,
    profile: process.env.PROFILE === undefined || process.env.PROFILE === '' ? undefined : resolve(process.env.PROFILE),
    serverUrl: process.env.DATABASE_URL ?? LOCAL_POSTGRES_URL,
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE
  }
}

cleanUpOnSignals()
const settings = readSettings()
const runs = (scenario: Scenario): boolean => settings.only.has(scenario)
const started = Date.now()
const loadBefore = loadavg()
const workDir = mkdtempSync(join(tmpdir(), 'dna-api-bench-'))
atCleanUp(() => rmSync(workDir, { recursive: true, force: true }))

try {
  buildProduction()
  const database = await createScratchDatabase(settings.serverUrl, workDir)

  const { ms: firstHashMs, hash } = await hashTime(settings.bcryptCost)
  say(`bcrypt cost ${settings.bcryptCost}: ${fmt(firstHashMs, 1)} ms a hash`)
  const db = await connect(database.url)
  const mail = await mailSink()
  await seedUsers(db, hash, 1, SMALL_USERS)
  const jwtSecret = randomBytes(48).toString('base64url')
  // Users 2 to 1 000 get a session each, and their tokens take turns on GET /me.
  const tokens = await openSessions(db, jwtSecret, SMALL_USERS)

  const logFile = join(workDir, 'server.log')
  const server = await startServer(workDir, {
    ...loadTestEnv(database.url, jwtSecret, settings.bcryptCost, mail.url),
    ...(settings.uvThreadpoolSize === undefined ? {} : { UV_THREADPOOL_SIZE: settings.uvThreadpoolSize })
  }, logFile, settings.profile)
  say(`server pid ${server.pid} on ${server.url}, logging to a file`)
  const startRss = memory(server.pid).rss

  const adminToken = await logInAdmin(server)
  await checkSession(server, tokens[0])
  const bench: Bench = {
    settings,
    meter: meter(settings),
    server,
    databaseUrl: database.url,
    jwtSecret,
    adminToken,
    hashTimes: [firstHashMs],
    loads: loads(server.url, tokens, settings)
  }

  say(`measuring: ${settings.rounds} round(s) of ${settings.warmup} s warm-up and ${settings.duration} s counted each`)
  if (runs('admin')) await adminList(bench, SMALL_USERS)

  // The other scenarios run on the large table, as production would.
  say(`seeding ${settings.users.toLocaleString('en-GB')} users`)
  const seedStarted = performance.now()
  await seedUsers(db, hash, SMALL_USERS + 1, settings.users)
  const seedSeconds = (performance.now() - seedStarted) / 1000
  say(`  seeded in ${fmt(seedSeconds, 1)} s`)

  if (runs('health')) await health(bench)
  if (runs('me')) await me(bench)
  if (runs('login')) await login(bench)
  if (runs('signup')) await signup(bench)
  if (runs('flood')) await flood(bench)
  if (runs('signupflood')) await signupFlood(bench)
  if (runs('admin')) await adminList(bench, settings.users)

  const peakRss = memory(server.pid).peak
  await server.stop()
  const logLines = readFileSync(logFile, 'utf8').split('\n').filter((line) => line.startsWith('{')).length
  report({ settings, meter: bench.meter, database, hashTimes: bench.hashTimes, sessions: tokens.length, seedSeconds, startRss, peakRss, logLines, started, loadBefore })
} catch (error) {
  process.exitCode = 1
  say(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
} finally {
  await cleanUp()
}
