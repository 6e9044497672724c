// `make bench`: how fast is the production build, compared with what this machine can do at all?
//
// On the PostgreSQL server of DATABASE_URL (default the local one) it creates a scratch database
// `dna_api_bench_<pid>` (dropped at the end, also on failure or Ctrl-C), migrates it with
// dist/cli/migrate.js and seeds it in SQL: users with one fixed bcrypt hash, so a million of
// them take seconds, not days. It then starts `node dist/server.js` as a process of its own,
// as production runs it, and drives it with autocannon from this process while sampling the
// server's RSS. Absolute numbers depend on the machine, so every figure is compared with a
// ceiling measured in the same run:
//
// - GET /health with a bare Fastify server answering a constant JSON (bench/ceiling-bare.ts);
// - GET /api/v1/users/me with the least an authenticated read can do: Fastify, @fastify/jwt and
//   one prepared primary-key select (bench/ceiling-me.ts);
// - login and signup with the bcrypt bound: cores ÷ the time of one hash at BCRYPT_COST;
// - GET /me's p99 while logins flood the server, with its p99 when nothing else runs;
// - the admin list's deep cursor page with its first page, at 1 000 and at 1 000 000 users.
//
// It prints a table and writes it as Markdown to bench/results.md. Settings (environment):
// DURATION seconds per measurement (10), WARMUP seconds before each (2), CONNECTIONS for the
// cheap routes (50), AUTH_CONNECTIONS for login and signup (8), FLOOD_CONNECTIONS for the login
// flood (32), USERS for the large admin list (1000000), BCRYPT_COST (12), QUICK=1 to try it out
// (3 s runs, 100 000 users, results to bench/results-quick.md), RESULTS (another output file),
// ONLY (a comma-separated subset of: health, me, login, signup, flood, admin), and PROFILE=dir
// to have the server write a CPU profile (--cpu-prof) into dir.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon, { type Result } from 'autocannon'
import bcrypt from 'bcrypt'
import pg from 'pg'
import { encodeCursor } from '../src/cursor.js'

const REPO = fileURLToPath(new URL('..', import.meta.url))

function setting (name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, got '${raw}'`)
  return value
}

const QUICK = process.env.QUICK === '1'
const DURATION = setting('DURATION', QUICK ? 3 : 10)
const WARMUP = setting('WARMUP', QUICK ? 1 : 2)
const CONNECTIONS = setting('CONNECTIONS', 50)
const AUTH_CONNECTIONS = setting('AUTH_CONNECTIONS', 8)
const FLOOD_CONNECTIONS = setting('FLOOD_CONNECTIONS', 32)
const USERS = setting('USERS', QUICK ? 100_000 : 1_000_000)
const SMALL_USERS = 1000
const BCRYPT_COST = setting('BCRYPT_COST', 12)
const RESULTS = resolve(REPO, process.env.RESULTS ?? (QUICK ? 'bench/results-quick.md' : 'bench/results.md'))
const SCENARIOS = ['health', 'me', 'login', 'signup', 'flood', 'admin'] as const
type Scenario = typeof SCENARIOS[number]
const ONLY = new Set((process.env.ONLY ?? SCENARIOS.join(',')).split(',').map((name) => name.trim()))
for (const name of ONLY) if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`ONLY: unknown scenario '${name}'`)
const runs = (scenario: Scenario): boolean => ONLY.has(scenario)
const PROFILE = process.env.PROFILE === undefined || process.env.PROFILE === '' ? undefined : resolve(process.env.PROFILE)
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

const PASSWORD = 'violet-Harbor-93-kettle'
/** Users 2 to 1 000 get a session each, and their tokens take turns on GET /me. */
/** Logins go round these many users, so that no account has two logins in flight. */
const LOGIN_USERS = 10_000
const PAGE = 20
const POOL_SIZE = 10
const JSON_BODY = { 'content-type': 'application/json' }
const cores = availableParallelism()

// Clean-ups run in reverse order at the end, after a failure, and on Ctrl-C or SIGTERM.
const cleanups: Array<() => unknown> = []
let cleaning: Promise<void> | undefined
async function cleanUp (): Promise<void> {
  cleaning ??= (async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup()
      } catch (error) {
        process.stderr.write(`clean-up failed: ${String(error)}\n`)
      }
    }
  })()
  await cleaning
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping and dropping the scratch database\n`)
    cleanUp().finally(() => process.exit(130))
  })
}

const say = (text: string): void => { process.stderr.write(`${text}\n`) }

// ---------------------------------------------------------------------------------------------
// Processes and their memory

interface Child {
  process: ChildProcess
  pid: number
  url: string
  stop: () => Promise<void>
}

async function stopProcess (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** A ceiling script under bench/, run with tsx; it prints its address once it listens. */
async function startCeiling (script: string, env: Record<string, string>): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'bench', script)], {
    cwd: REPO, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit']
  })
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const line = /^(http:\/\/\S+)\n/.exec(output)
      if (line !== null) resolve(line[1])
    })
    child.once('exit', (code) => reject(new Error(`bench/${script} exited with ${String(code)} before listening`)))
  })
  const stop = async (): Promise<void> => await stopProcess(child)
  cleanups.push(stop)
  return { process: child, pid: child.pid as number, url, stop }
}

/** The server as production runs it, in an empty directory (so no developer's .env is read). */
async function startServer (workDir: string, env: Record<string, string>, logFile: string): Promise<Child> {
  const port = await freePort()
  const log = openSync(logFile, 'a')
  const nodeArgs = PROFILE === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`]
  const child = spawn(process.execPath, [...nodeArgs, join(REPO, 'dist/server.js')], {
    cwd: workDir, env: { PATH: process.env.PATH ?? '', ...env, HOST: '127.0.0.1', PORT: String(port) }, stdio: ['ignore', log, log]
  })
  closeSync(log)
  const stop = async (): Promise<void> => await stopProcess(child)
  cleanups.push(stop)
  const url = `http://127.0.0.1:${port}`
  for (let tries = 0; ; tries++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`)
    try {
      if ((await fetch(`${url}/health`)).ok) break
    } catch {}
    if (tries > 300) throw new Error('the server did not answer /health within 30 seconds')
    await sleep(100)
  }
  return { process: child, pid: child.pid as number, url, stop }
}

/** Resident memory in MB from /proc/<pid>/status: now (VmRSS) and the peak so far (VmHWM). */
function memory (pid: number): { rss: number, peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kB = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { rss: kB('VmRSS') / 1024, peak: kB('VmHWM') / 1024 }
}

/** Samples VmRSS every 100 ms while `work` runs; resolves with the work's result and the largest sample. */
async function sampled<T> (pid: number, work: () => Promise<T>): Promise<{ result: T, rss: number }> {
  let rss = memory(pid).rss
  const timer = setInterval(() => { rss = Math.max(rss, memory(pid).rss) }, 100)
  try {
    return { result: await work(), rss: Math.max(rss, memory(pid).rss) }
  } finally {
    clearInterval(timer)
  }
}

// ---------------------------------------------------------------------------------------------
// Load

type Load = Parameters<typeof autocannon>[0]

interface Measure {
  name: string
  connections: number
  /** Successful (2xx) responses a second. */
  rps: number
  p50: number
  p99: number
  /** Connection errors, timeouts and non-2xx responses. */
  errors: number
  /** Peak VmRSS of the process under test during the measurement, MB. */
  rss: number
  requests: number
}

function summary (name: string, connections: number, result: Result, rss: number): Measure {
  const ok = Object.entries(result.statusCodeStats).filter(([code]) => code.startsWith('2')).reduce((sum, [, { count }]) => sum + Number(count), 0)
  const all = Object.values(result.statusCodeStats).reduce((sum, { count }) => sum + Number(count), 0)
  return { name, connections, rps: ok / result.duration, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx, rss, requests: all }
}

const measures: Measure[] = []

/** A warm-up run, then the measured one, with the RSS of `pid` sampled. */
async function measure (name: string, pid: number, load: Load): Promise<Measure> {
  say(`  ${name}: ${WARMUP} s warm-up, ${DURATION} s measured, ${load.connections ?? 10} connections`)
  await autocannon({ ...load, duration: WARMUP })
  const { result, rss } = await sampled(pid, async () => await autocannon({ ...load, duration: DURATION }))
  const figure = summary(name, load.connections ?? 10, result, rss)
  measures.push(figure)
  if (figure.errors > 0) say(`    ${figure.errors} errors: ${JSON.stringify(result.statusCodeStats)}, ${result.errors} connection errors`)
  return figure
}

// ---------------------------------------------------------------------------------------------
// Tokens, made the way the service makes them (HS256 over {sub, role, sid, iat, exp})

function signToken (secret: string, claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`
}

/** Round-robin over `values`, one per request. */
function rotating<T> (values: T[]): () => T {
  let next = 0
  return () => values[next++ % values.length]
}

// ---------------------------------------------------------------------------------------------
// The database

async function seedUsers (db: pg.Client, hash: string, from: number, to: number): Promise<void> {
  // Ids are given, so that user n is user<n>@bench.example; the identity then continues after them.
  await db.query(
    `INSERT INTO users (id, email, password_hash, first_name, last_name, dob, role) OVERRIDING SYSTEM VALUE
     SELECT n, 'user' || n || '@bench.example', $1, 'Ada', 'Lovelace', date '1940-01-01' + n % 25000,
            CASE WHEN n = 1 THEN 'admin' ELSE 'user' END
       FROM generate_series($2::integer, $3::integer) AS n`, [hash, from, to])
  // One customer in ten has genetic results and a policy, so GET /me and the list join real rows.
  await db.query(
    `INSERT INTO genetic_profiles (user_id, policy, genetic_result, updated_by)
     SELECT n, 'POL-' || n, '{"BRCA1": "negative", "APOE": "e3/e3", "markers": [{"rsid": "rs429358", "genotype": "TT"}]}', 1
       FROM generate_series($1::integer, $2::integer) AS n WHERE n % 10 = 0`, [from, to])
  await db.query("SELECT setval(pg_get_serial_sequence('users', 'id'), $1)", [to])
  await db.query('VACUUM ANALYZE users, genetic_profiles, sessions')
}

// ---------------------------------------------------------------------------------------------
// Output

const fmt = (value: number, digits = 0): string => Number.isFinite(value)
  ? value.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  : '—'

interface Target {
  figure: string
  value: string
  ceiling: string
  ratio: string
  target: string
  met: boolean | undefined
}

function table (header: string[], rows: string[][]): { text: string, markdown: string } {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)))
  const line = (cells: string[]): string => cells.map((cell, column) => column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])).join('  ')
  const text = [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n')
  const markdown = [header, header.map((_, column) => column === 0 ? '---' : '---:'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n')
  return { text, markdown }
}

// ---------------------------------------------------------------------------------------------
// The run

const started = Date.now()
const workDir = mkdtempSync(join(tmpdir(), 'dna-api-bench-'))
cleanups.push(() => rmSync(workDir, { recursive: true, force: true }))

try {
  say('building (make build)')
  const build = spawnSync('make', ['--no-print-directory', 'build'], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] })
  if (build.status !== 0) throw new Error('make build failed')

  const dbName = `dna_api_bench_${process.pid}`
  const admin = new pg.Client({ connectionString: SERVER_URL })
  await admin.connect()
  const postgresVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version
  await admin.query(`CREATE DATABASE ${dbName}`)
  cleanups.push(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
    await admin.end()
  })
  const url = new URL(SERVER_URL)
  url.pathname = `/${dbName}`
  const databaseUrl = url.toString()
  say(`scratch database ${dbName} on ${url.host}`)

  const migrate = spawnSync(process.execPath, [join(REPO, 'dist/cli/migrate.js')],
    { cwd: workDir, env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl }, encoding: 'utf8' })
  if (migrate.status !== 0) throw new Error(`migration failed: ${migrate.stderr}`)

  // The time of one hash at the configured cost, the median of five, after one to warm up.
  const hashTimes: number[] = []
  let hash = ''
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now()
    hash = await bcrypt.hash(PASSWORD, BCRYPT_COST)
    if (i > 0) hashTimes.push(performance.now() - t0)
  }
  const hashMs = hashTimes.sort((a, b) => a - b)[2]
  const bcryptBound = cores / (hashMs / 1000)
  say(`bcrypt cost ${BCRYPT_COST}: ${fmt(hashMs, 1)} ms a hash, so at most ${fmt(bcryptBound, 1)} hashes a second on ${cores} cores`)

  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  cleanups.push(async () => await db.end())
  await seedUsers(db, hash, 1, SMALL_USERS)

  const jwtSecret = randomBytes(48).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  const { rows: sessions } = await db.query<{ id: string, user_id: number }>(
    `INSERT INTO sessions (user_id, expires_at) SELECT n, now() + interval '1 day' FROM generate_series(2, $1::integer) AS n
     RETURNING id, user_id`, [SMALL_USERS])
  const tokens = sessions.map((session) => signToken(jwtSecret,
    { sub: String(session.user_id), role: 'user', sid: session.id, iat: now, exp: now + 86400 }))

  const logFile = join(workDir, 'server.log')
  const server = await startServer(workDir, {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: jwtSecret,
    BCRYPT_COST: String(BCRYPT_COST),
    // Every login and signup here comes from 127.0.0.1: the per-IP limit would answer 429 after
    // 100 a minute. The lockout stays as configured: logins are successful ones, spread over
    // LOGIN_USERS accounts.
    AUTH_RATE_LIMIT: '1000000',
    LOG_LEVEL: 'info',
    CAPTCHA: 'off',
    ...(process.env.UV_THREADPOOL_SIZE === undefined ? {} : { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE })
  }, logFile)
  say(`server pid ${server.pid} on ${server.url}, logging to a file`)
  const startRss = memory(server.pid).rss

  const adminLogin = await fetch(`${server.url}/api/v1/users/login`, {
    method: 'POST', headers: JSON_BODY, body: JSON.stringify({ email: 'user1@bench.example', password: PASSWORD })
  })
  if (adminLogin.status !== 200) throw new Error(`the admin's login failed: ${adminLogin.status} ${await adminLogin.text()}`)
  const adminToken = (await adminLogin.json() as { jwt_token: string }).jwt_token
  const me = await fetch(`${server.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${tokens[0]}` } })
  if (me.status !== 200) throw new Error(`GET /me with a seeded token failed: ${me.status} ${await me.text()}`)

  const adminList = async (users: number): Promise<{ first: Measure, deep: Measure }> => {
    const headers = { authorization: `Bearer ${adminToken}` }
    // Ten pages before the end, with a cursor made as the service makes it.
    const deepCursor = encodeCursor('users', users - 10 * PAGE)
    const check = await fetch(`${server.url}/api/v1/users?cursor=${deepCursor}`, { headers })
    if (check.status !== 200 || (await check.json() as { users: unknown[] }).users.length !== PAGE) throw new Error('the deep page is not a full page')
    const label = users.toLocaleString('en-GB')
    return {
      first: await measure(`admin list, ${label} users, first page`, server.pid, { url: `${server.url}/api/v1/users`, headers, connections: CONNECTIONS }),
      deep: await measure(`admin list, ${label} users, page ${users / PAGE - 9}`, server.pid,
        { url: `${server.url}/api/v1/users?cursor=${deepCursor}`, headers, connections: CONNECTIONS })
    }
  }

  say('measuring')
  const small = runs('admin') ? await adminList(SMALL_USERS) : undefined

  say(`seeding ${USERS.toLocaleString('en-GB')} users`)
  const t0 = performance.now()
  await seedUsers(db, hash, SMALL_USERS + 1, USERS)
  say(`  seeded in ${fmt((performance.now() - t0) / 1000, 1)} s`)

  const meLoad: Load = {
    url: server.url,
    connections: CONNECTIONS,
    requests: [{ path: '/api/v1/users/me', setupRequest: ((token) => (request) => ({ ...request, headers: { authorization: `Bearer ${token()}` } }))(rotating(tokens)) }]
  }
  const loginLoad = (connections: number): Load => {
    const next = rotating(Array.from({ length: Math.min(LOGIN_USERS, USERS - 1) }, (_, i) => `user${i + 2}@bench.example`))
    return {
      url: server.url,
      connections,
      requests: [{ method: 'POST', path: '/api/v1/users/login', headers: JSON_BODY, setupRequest: (request) => ({ ...request, body: JSON.stringify({ email: next(), password: PASSWORD }) }) }]
    }
  }

  let bare: Measure | undefined, health: Measure | undefined, reference: Measure | undefined, meIdle: Measure | undefined
  if (runs('health')) {
    const ceiling = await startCeiling('ceiling-bare.ts', {})
    bare = await measure('ceiling: bare Fastify, constant JSON', ceiling.pid, { url: `${ceiling.url}/health`, connections: CONNECTIONS })
    await ceiling.stop()
    health = await measure('GET /health', server.pid, { url: `${server.url}/health`, connections: CONNECTIONS })
  }
  if (runs('me') || runs('flood')) {
    if (runs('me')) {
      const ceiling = await startCeiling('ceiling-me.ts', { DATABASE_URL: databaseUrl, JWT_SECRET: jwtSecret, POOL_SIZE: String(POOL_SIZE) })
      reference = await measure('ceiling: Fastify + JWT + one prepared select', ceiling.pid, { ...meLoad, url: ceiling.url })
      await ceiling.stop()
    }
    meIdle = await measure('GET /api/v1/users/me', server.pid, meLoad)
  }

  let login: Measure | undefined, signup: Measure | undefined
  if (runs('login')) login = await measure('POST /api/v1/users/login', server.pid, loginLoad(AUTH_CONNECTIONS))
  if (runs('signup')) {
    let signups = 0
    signup = await measure('POST /api/v1/users (signup)', server.pid, {
      url: server.url,
      connections: AUTH_CONNECTIONS,
      requests: [{
        method: 'POST',
        path: '/api/v1/users',
        headers: JSON_BODY,
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ email: `signup${++signups}@bench.example`, password: PASSWORD, first_name: 'Grace', last_name: 'Hopper', dob: '1986-12-09' })
        })
      }]
    })
  }

  let flooded: Measure | undefined, flood: Measure | undefined
  if (runs('flood')) {
    say(`  GET /me under a login flood: ${FLOOD_CONNECTIONS} connections of logins, ${DURATION} s measured`)
    const { result, rss } = await sampled(server.pid, async () => {
      const floodRun = autocannon({ ...loginLoad(FLOOD_CONNECTIONS), duration: DURATION + WARMUP + 5 })
      // Let the flood fill the server's queue first.
      await sleep(WARMUP * 1000)
      const meRun = await autocannon({ ...meLoad, duration: DURATION })
      floodRun.stop()
      return { me: meRun, flood: await floodRun }
    })
    flooded = summary('GET /api/v1/users/me under a login flood', CONNECTIONS, result.me, rss)
    flood = summary('POST /api/v1/users/login, the flood', FLOOD_CONNECTIONS, result.flood, rss)
    measures.push(flooded, flood)
  }

  const large = runs('admin') ? await adminList(USERS) : undefined

  const peakRss = memory(server.pid).peak
  await server.stop()
  const logLines = readFileSync(logFile, 'utf8').split('\n').filter((line) => line.startsWith('{')).length
  const served = measures.filter((figure) => !figure.name.startsWith('ceiling')).reduce((sum, figure) => sum + figure.requests, 0)

  // -------------------------------------------------------------------------------------------
  // Report

  const percent = (ratio: number): string => `${fmt(ratio * 100)} %`
  const times = (ratio: number): string => `${fmt(ratio, 2)} ×`
  const msPerRequest = (figure: Measure): number => 1000 * figure.connections / figure.rps
  const targets: Target[] = []
  const rate = (name: string, figure: Measure | undefined, ceiling: number | undefined, ceilingName: string, target: number): void => {
    if (figure === undefined || ceiling === undefined) return
    const ratio = figure.rps / ceiling
    targets.push({ figure: `${name}, req/s`, value: fmt(figure.rps, figure.rps < 100 ? 1 : 0), ceiling: `${fmt(ceiling, ceiling < 100 ? 1 : 0)} (${ceilingName})`, ratio: percent(ratio), target: `≥ ${percent(target)}`, met: ratio >= target })
  }
  rate('GET /health', health, bare?.rps, 'bare Fastify', 0.6)
  rate('GET /me', meIdle, reference?.rps, 'Fastify + JWT + one select', 0.8)
  rate('POST login', login, bcryptBound, 'bcrypt bound', 0.85)
  rate('POST signup', signup, bcryptBound, 'bcrypt bound', 0.85)
  if (flooded !== undefined && meIdle !== undefined) {
    const ratio = flooded.p99 / meIdle.p99
    targets.push({ figure: 'GET /me p99 under a login flood, ms', value: fmt(flooded.p99), ceiling: `${fmt(meIdle.p99)} (idle p99)`, ratio: times(ratio), target: '≤ 3 ×', met: ratio <= 3 })
  }
  for (const [list, users, target] of [[small, SMALL_USERS, undefined], [large, USERS, 1.5]] as const) {
    if (list === undefined) continue
    const ratio = msPerRequest(list.deep) / msPerRequest(list.first)
    targets.push({
      figure: `admin list at ${users.toLocaleString('en-GB')} users, deep page, ms a request`,
      value: fmt(msPerRequest(list.deep), 2),
      ceiling: `${fmt(msPerRequest(list.first), 2)} (first page)`,
      ratio: times(ratio),
      target: target === undefined ? '—' : `≤ ${fmt(target, 1)} ×`,
      met: target === undefined ? undefined : ratio <= target
    })
  }
  targets.push({ figure: 'server RSS, peak of the run (VmHWM), MB', value: fmt(peakRss), ceiling: '150 (target)', ratio: percent(peakRss / 150), target: '< 150 MB', met: peakRss < 150 })

  const summaryTable = table(['figure', 'value', 'ceiling', 'ratio', 'target', 'met'],
    targets.map((row) => [row.figure, row.value, row.ceiling, row.ratio, row.target, row.met === undefined ? '' : row.met ? 'met' : 'NOT met']))
  const detailTable = table(['measurement', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'RSS MB'],
    measures.map((figure) => [figure.name, String(figure.connections), fmt(figure.rps, figure.rps < 100 ? 1 : 0), fmt(figure.p50), fmt(figure.p99), String(figure.errors), fmt(figure.rss)]))

  const commit = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: REPO, encoding: 'utf8' }).stdout.trim()
  const machine = `${cores} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM, ` +
    `Node.js ${process.version}, PostgreSQL ${postgresVersion} on ${url.host}`
  const minutes = (Date.now() - started) / 60_000
  const notes = [
    `Commit ${commit}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; \`make bench\` took ${fmt(minutes, 1)} minutes${QUICK ? ' (QUICK=1: short runs, fewer users; not for comparison)' : ''}.`,
    `Machine: ${machine}. The server, PostgreSQL, the ceilings and autocannon share these cores, so the ratios, measured in the same run, are what to compare between machines.`,
    `Each measurement: ${WARMUP} s warm-up, then ${DURATION} s at fixed concurrency; ${CONNECTIONS} connections for GET routes, ${AUTH_CONNECTIONS} for login and signup, ` +
      `${FLOOD_CONNECTIONS} for the login flood. req/s counts 2xx answers; errors are connection errors, timeouts and non-2xx answers; ` +
      'RSS is the largest VmRSS sampled every 100 ms during the measurement (of the ceiling process for the ceilings).',
    `The server: \`node dist/server.js\` with NODE_ENV=production, DATABASE_URL on a scratch database seeded with ${USERS.toLocaleString('en-GB')} users ` +
      `(one in ten with genetic results), a generated JWT_SECRET, BCRYPT_COST=${BCRYPT_COST}, LOG_LEVEL=info, a pool of ${POOL_SIZE} connections. ` +
      `It logs to a file, as production logs go somewhere that costs a write: ${logLines.toLocaleString('en-GB')} lines for ${served.toLocaleString('en-GB')} requests.`,
    'AUTH_RATE_LIMIT=1000000: every request comes from 127.0.0.1, which the per-IP limit of signup and login (100 a minute by default) would stop at once. ' +
      `The login lockout is as configured; logins are successful ones (the right password), going round ${LOGIN_USERS.toLocaleString('en-GB')} accounts so that none has two in flight.`,
    `bcrypt bound: ${cores} cores ÷ ${fmt(hashMs, 1)} ms for one hash at cost ${BCRYPT_COST} = ${fmt(bcryptBound, 1)} a second. ` +
      `GET /me tokens: ${tokens.length} sessions, one per user, used in turn. Admin list: ${PAGE} users a page, the deep page ten pages before the end. ` +
      `Server RSS when it started listening: ${fmt(startRss)} MB.`
  ]

  process.stdout.write(`\n${summaryTable.text}\n\n${detailTable.text}\n\n${notes.join('\n')}\n`)
  writeFileSync(RESULTS, [
    '# Benchmark results',
    '',
    `Written by \`make bench\` (bench/run.ts). ${notes[0]}`,
    '',
    summaryTable.markdown,
    '',
    detailTable.markdown,
    '',
    ...notes.slice(1).map((note) => `- ${note}`),
    ''
  ].join('\n'))
  say(`\nwritten to ${relative(REPO, RESULTS)}`)
} catch (error) {
  process.exitCode = 1
  say(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
} finally {
  await cleanUp()
}
