// `make bench`: how fast is the production build, compared with what this machine can do at all?
//
// On the PostgreSQL server of DATABASE_URL (default the local one) it creates a scratch database
// `dna_api_bench_<pid>` (dropped at the end, also on failure or Ctrl-C), migrates it with
// dist/cli/migrate.js and seeds it in SQL: users with one fixed bcrypt hash, so a million of
// them take seconds, not days. It then starts the server as a process of its own, as `npm start`
// runs it in production (`node [flags] dist/server.js`), and drives it with autocannon from this process while sampling the
// server's RSS. Absolute numbers depend on the machine, so every figure is compared with a
// ceiling measured in the same run, in alternating rounds so that both see the same machine:
//
// - GET /health with a bare Fastify server answering a constant JSON (bench/ceiling-bare.ts);
// - GET /api/v1/users/me with the least an authenticated read can do: Fastify, @fastify/jwt and
//   one prepared primary-key select (bench/ceiling-me.ts);
// - login and signup with the bcrypt bound: cores ÷ the time of one hash at BCRYPT_COST;
// - GET /me's p99 while logins flood the server, with its p99 just before;
// - the admin list's deep cursor page with its first page, at 1 000 and at 1 000 000 users.
//
// It prints a table and writes it as Markdown to bench/results.md. Settings (environment):
// - DURATION seconds counted per round (5), WARMUP seconds before them (2), ROUNDS (3);
// - CONNECTIONS for the GET routes (50), AUTH_CONNECTIONS for login and signup (8),
//   FLOOD_CONNECTIONS for the login flood (32);
// - USERS for the large admin list (1000000), BCRYPT_COST (12);
// - OTHER_CPU (15): each round first waits, QUIET_WAIT seconds at most (300), until other
//   processes use less than this percentage of the machine, and a round during which they used
//   more is run again, up to three times;
// - QUICK=1 to try it out: one 3 s round, 100 000 users, results to bench/results-quick.md;
// - RESULTS (another output file), ONLY (a comma-separated subset of health, me, login, signup,
//   flood, admin), PROFILE=dir (the server writes a --cpu-prof profile there when it stops).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
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
const DURATION = setting('DURATION', QUICK ? 3 : 5)
const WARMUP = setting('WARMUP', QUICK ? 1 : 2)
const ROUNDS = setting('ROUNDS', QUICK ? 1 : 3)
const CONNECTIONS = setting('CONNECTIONS', 50)
const AUTH_CONNECTIONS = setting('AUTH_CONNECTIONS', 8)
const FLOOD_CONNECTIONS = setting('FLOOD_CONNECTIONS', 32)
const USERS = setting('USERS', QUICK ? 100_000 : 1_000_000)
const SMALL_USERS = 1000
const BCRYPT_COST = setting('BCRYPT_COST', 12)
const OTHER_CPU = setting('OTHER_CPU', 15)
const QUIET_WAIT = setting('QUIET_WAIT', 300)
const RESULTS = resolve(REPO, process.env.RESULTS ?? (QUICK ? 'bench/results-quick.md' : 'bench/results.md'))
const SCENARIOS = ['health', 'me', 'login', 'signup', 'flood', 'admin'] as const
type Scenario = typeof SCENARIOS[number]
const ONLY = new Set((process.env.ONLY ?? SCENARIOS.join(',')).split(',').map((name) => name.trim()))
for (const name of ONLY) if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`ONLY: unknown scenario '${name}'`)
const runs = (scenario: Scenario): boolean => ONLY.has(scenario)
const PROFILE = process.env.PROFILE === undefined || process.env.PROFILE === '' ? undefined : resolve(process.env.PROFILE)
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

const PASSWORD = 'violet-Harbor-93-kettle'
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
// Processes: the server, the ceilings, their memory and the CPU of everything else

interface Child {
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
  return { pid: child.pid as number, url, stop }
}

/** `npm start`, the command production runs: `node [flags] dist/server.js`. */
const START = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
const START_FLAGS = /^node((?: --?[\w-]+(?:=\S+)?)*) dist\/server\.js$/.exec(START)?.[1].trim().split(' ').filter(Boolean)
if (START_FLAGS === undefined) throw new Error(`npm start is not \`node [flags] dist/server.js\` but \`${START}\`: teach bench/run.ts to start it`)

/** The server as `npm start` runs it, in an empty directory (so no developer's .env is read). */
async function startServer (workDir: string, env: Record<string, string>, logFile: string): Promise<Child> {
  const port = await freePort()
  const log = openSync(logFile, 'a')
  const nodeArgs = [...START_FLAGS as string[], ...(PROFILE === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`])]
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
  return { pid: child.pid as number, url, stop }
}

/** Resident memory in MB from /proc/<pid>/status: now (VmRSS) and the peak so far (VmHWM). */
function memory (pid: number): { rss: number, peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kB = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { rss: kB('VmRSS') / 1024, peak: kB('VmHWM') / 1024 }
}

/** CPU time of a process so far, in clock ticks (user + system). */
function cpuTicks (pid: number | string): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return 0 // gone meanwhile
  }
}

const postgresPids = (): string[] => readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres'
  } catch {
    return false
  }
})

/**
 * The machine's busy CPU time and the part of it spent by what the benchmark knows: the server,
 * a ceiling, this process (autocannon) and PostgreSQL. The rest is someone else's load.
 */
function cpuAccount (pids: number[]): { busy: number, ours: number } {
  // user, nice, system and steal (time the hypervisor gave to other machines); interrupts are
  // left out, as on loopback they are mostly the benchmark's own network traffic.
  const [, user, nice, system, , , , , steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number)
  const busy = user + nice + system + steal
  const ours = [...pids, process.pid, ...postgresPids()].reduce((sum: number, pid) => sum + cpuTicks(pid), 0)
  return { busy, ours }
}

// ---------------------------------------------------------------------------------------------
// Load

type Load = Parameters<typeof autocannon>[0]

interface Measure {
  /** Successful (2xx) responses a second. */
  rps: number
  /** Latency of the 2xx responses, ms. */
  p50: number
  p99: number
  /** Non-2xx responses, connection errors and timeouts. */
  errors: number
  /** Peak VmRSS of the process under test, MB. */
  rss: number
  /** Percentage of the machine's CPU used by other processes meanwhile. */
  otherCpu: number
  requests: number
}

interface Series {
  name: string
  connections: number
  rounds: Measure[]
}

const series: Series[] = []
const seriesFor = (name: string, connections: number): Series => {
  const found = series.find((one) => one.name === name)
  if (found !== undefined) return found
  const created = { name, connections, rounds: [] }
  series.push(created)
  return created
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
const quantile = (sorted: number[], q: number): number => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

/**
 * One round: autocannon for WARMUP + DURATION seconds, of which only the last DURATION count,
 * so that connections are busy and the code is warm from the first counted response; VmRSS of
 * `pid` sampled every 100 ms meanwhile. A round during which other processes used more than
 * OTHER_CPU % of the machine is run again (up to three times).
 */
async function measure (name: string, pid: number, load: Load, others: number[] = []): Promise<Measure> {
  const connections = load.connections ?? 10
  let result: Measure | undefined
  for (let attempt = 0; attempt < 4; attempt++) {
    await quiet([pid, ...others])
    result = await measureOnce(pid, load, others)
    if (result.otherCpu <= OTHER_CPU) break
    say(`    other processes used ${result.otherCpu.toFixed(0)} % of the CPU meanwhile: again`)
  }
  const measured = result as Measure
  seriesFor(name, connections).rounds.push(measured)
  say(`  ${name}: ${measured.rps.toFixed(measured.rps < 100 ? 1 : 0)} req/s, p99 ${measured.p99.toFixed(1)} ms` +
    `${measured.errors > 0 ? `, ${measured.errors} errors` : ''}`)
  return measured
}

/** Waits (QUIET_WAIT seconds at most) until other processes use less than OTHER_CPU % of the machine. */
async function quiet (pids: number[]): Promise<void> {
  const deadline = performance.now() + QUIET_WAIT * 1000
  let told = false
  while (performance.now() < deadline) {
    const before = cpuAccount(pids)
    await sleep(1000)
    const after = cpuAccount(pids)
    const other = 100 * ((after.busy - before.busy) - (after.ours - before.ours)) / (100 * cores)
    if (other <= OTHER_CPU) return
    if (!told) say(`    other processes use ${other.toFixed(0)} % of the CPU: waiting for them (${QUIET_WAIT} s at most)`)
    told = true
  }
}

async function measureOnce (pid: number, load: Load, others: number[]): Promise<Measure> {
  const instance = autocannon({ ...load, duration: WARMUP + DURATION + 1 })
  const start = performance.now() + WARMUP * 1000
  const end = start + DURATION * 1000
  const times: number[] = []
  let errors = 0
  let requests = 0
  const counted = (): boolean => { const now = performance.now(); return now >= start && now < end }
  instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
    if (!counted()) return
    requests += 1
    if (status >= 200 && status < 300) times.push(responseTime)
    else errors += 1
  })
  instance.on('reqError', () => { if (counted()) errors += 1 })
  await sleep(WARMUP * 1000)
  const before = cpuAccount([pid, ...others])
  let rss = memory(pid).rss
  const sampler = setInterval(() => { rss = Math.max(rss, memory(pid).rss) }, 100)
  await sleep(Math.max(0, end - performance.now()))
  clearInterval(sampler)
  const after = cpuAccount([pid, ...others])
  instance.stop()
  await instance
  const other = (after.busy - before.busy) - (after.ours - before.ours)
  times.sort((a, b) => a - b)
  return {
    rps: times.length / DURATION,
    p50: quantile(times, 0.5),
    p99: quantile(times, 0.99),
    errors,
    rss,
    otherCpu: Math.max(0, 100 * other / (DURATION * 100 * cores)),
    requests
  }
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
    `INSERT INTO users (id, email, email_folded, password_hash, first_name, last_name, dob, role) OVERRIDING SYSTEM VALUE
     SELECT n, 'user' || n || '@bench.example', 'user' || n || '@bench.example', $1, 'Ada', 'Lovelace', date '1940-01-01' + n % 25000,
            CASE WHEN n = 1 THEN 'admin' ELSE 'user' END
       FROM generate_series($2::integer, $3::integer) AS n`, [hash, from, to])
  // One customer in ten has genetic results and a policy, so GET /me and the list join real rows.
  await db.query(
    `INSERT INTO genetic_profiles (user_id, policy, genetic_result, updated_by)
     SELECT n, 'POL-' || n, '{"BRCA1": "negative", "APOE": "e3/e3", "markers": [{"rsid": "rs429358", "genotype": "TT"}]}', 1
       FROM generate_series($1::integer, $2::integer) AS n WHERE n % 10 = 0`, [from, to])
  await db.query("SELECT setval(pg_get_serial_sequence('users', 'id'), $1)", [to])
  await db.query('VACUUM ANALYZE users, genetic_profiles, sessions')
  // Writes the seed's pages out now: otherwise PostgreSQL's checkpointer does it in the following
  // minutes, on the cores and the disk the next measurements use (seen as GET /health at two
  // thirds of its speed right after the million users were seeded).
  await db.query('CHECKPOINT').catch((error: Error) => { say(`  CHECKPOINT refused (${error.message}); measuring anyway`) })
}

/** The time of one bcrypt hash at the configured cost in ms: the median of five, after one to warm up. */
async function hashTime (): Promise<{ ms: number, hash: string }> {
  const times: number[] = []
  let hash = ''
  for (let i = 0; i < 6; i++) {
    const started = performance.now()
    hash = await bcrypt.hash(PASSWORD, BCRYPT_COST)
    if (i > 0) times.push(performance.now() - started)
  }
  return { ms: median(times), hash }
}

// ---------------------------------------------------------------------------------------------
// Output

const fmt = (value: number, digits = 0): string => Number.isFinite(value)
  ? value.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  : '—'
const fmtRate = (rps: number): string => fmt(rps, rps < 100 ? 1 : 0)

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

  const { ms: firstHashMs, hash } = await hashTime()
  say(`bcrypt cost ${BCRYPT_COST}: ${fmt(firstHashMs, 1)} ms a hash`)

  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  cleanups.push(async () => await db.end())
  await seedUsers(db, hash, 1, SMALL_USERS)

  const jwtSecret = randomBytes(48).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  // Users 2 to 1 000 get a session each, and their tokens take turns on GET /me.
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

  /** Per-round ratios of two series, as `round` pairs them. */
  const ratios: Record<string, number[]> = {}
  const ratio = (name: string, value: number): void => { (ratios[name] ??= []).push(value) }

  const adminList = async (users: number): Promise<void> => {
    const headers = { authorization: `Bearer ${adminToken}` }
    // Ten pages before the end, with a cursor made as the service makes it.
    const deepCursor = encodeCursor('users', users - 10 * PAGE)
    const check = await fetch(`${server.url}/api/v1/users?cursor=${deepCursor}`, { headers })
    if (check.status !== 200 || (await check.json() as { users: unknown[] }).users.length !== PAGE) throw new Error('the deep page is not a full page')
    const label = users.toLocaleString('en-GB')
    for (let round = 0; round < ROUNDS; round++) {
      const first = await measure(`admin list, ${label} users, first page`, server.pid, { url: `${server.url}/api/v1/users`, headers, connections: CONNECTIONS })
      const deep = await measure(`admin list, ${label} users, page ${users / PAGE - 9}`, server.pid,
        { url: `${server.url}/api/v1/users?cursor=${deepCursor}`, headers, connections: CONNECTIONS })
      // Time a request takes on the server, which at fixed concurrency is connections ÷ req/s.
      ratio(`admin ${users}`, first.rps / deep.rps)
    }
  }

  say(`measuring: ${ROUNDS} round(s) of ${WARMUP} s warm-up and ${DURATION} s counted each`)
  if (runs('admin')) await adminList(SMALL_USERS)

  say(`seeding ${USERS.toLocaleString('en-GB')} users`)
  const seedStarted = performance.now()
  await seedUsers(db, hash, SMALL_USERS + 1, USERS)
  const seedSeconds = (performance.now() - seedStarted) / 1000
  say(`  seeded in ${fmt(seedSeconds, 1)} s`)

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
  let signups = 0
  const signupLoad: Load = {
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
  }

  if (runs('health')) {
    const ceiling = await startCeiling('ceiling-bare.ts', {})
    for (let round = 0; round < ROUNDS; round++) {
      const bare = await measure('ceiling: bare Fastify, constant JSON', ceiling.pid, { url: `${ceiling.url}/health`, connections: CONNECTIONS }, [server.pid])
      const health = await measure('GET /health', server.pid, { url: `${server.url}/health`, connections: CONNECTIONS }, [ceiling.pid])
      ratio('health', health.rps / bare.rps)
    }
    await ceiling.stop()
  }
  if (runs('me')) {
    const ceiling = await startCeiling('ceiling-me.ts', { DATABASE_URL: databaseUrl, JWT_SECRET: jwtSecret, POOL_SIZE: String(POOL_SIZE) })
    for (let round = 0; round < ROUNDS; round++) {
      const reference = await measure('ceiling: Fastify + JWT + one prepared select', ceiling.pid, { ...meLoad, url: ceiling.url }, [server.pid])
      const idle = await measure('GET /api/v1/users/me', server.pid, meLoad, [ceiling.pid])
      ratio('me', idle.rps / reference.rps)
    }
    await ceiling.stop()
  }

  // The bound is measured again before each round: the machine's speed drifts (other tenants, turbo).
  const hashTimes: number[] = [firstHashMs]
  const bound = async (): Promise<number> => {
    const { ms } = await hashTime()
    hashTimes.push(ms)
    return cores / (ms / 1000)
  }
  for (const [scenario, name, load] of [['login', 'POST /api/v1/users/login', loginLoad(AUTH_CONNECTIONS)], ['signup', 'POST /api/v1/users (signup)', signupLoad]] as const) {
    if (!runs(scenario)) continue
    for (let round = 0; round < ROUNDS; round++) {
      const ceiling = await bound()
      ratio(scenario, (await measure(name, server.pid, load)).rps / ceiling)
    }
  }

  if (runs('flood')) {
    for (let round = 0; round < ROUNDS; round++) {
      const idle = await measure('GET /api/v1/users/me, before the flood', server.pid, meLoad)
      const flood = autocannon({ ...loginLoad(FLOOD_CONNECTIONS), duration: 3600 })
      let floodLogins = 0
      flood.on('response', (_client: unknown, status: number) => { if (status === 200) floodLogins += 1 })
      const floodStarted = performance.now()
      const flooded = await measure('GET /api/v1/users/me under a login flood', server.pid, meLoad)
      flood.stop()
      await flood
      seriesFor(`POST /api/v1/users/login, the flood (${FLOOD_CONNECTIONS} connections)`, FLOOD_CONNECTIONS).rounds.push({
        rps: floodLogins / ((performance.now() - floodStarted) / 1000), p50: NaN, p99: NaN, errors: 0, rss: flooded.rss, otherCpu: flooded.otherCpu, requests: floodLogins
      })
      ratio('flood', flooded.p99 / idle.p99)
    }
  }

  if (runs('admin')) await adminList(USERS)

  const peakRss = memory(server.pid).peak
  await server.stop()
  const logLines = readFileSync(logFile, 'utf8').split('\n').filter((line) => line.startsWith('{')).length

  // -------------------------------------------------------------------------------------------
  // Report

  const byName = (name: string): Series | undefined => series.find((one) => one.name === name)
  const medianOf = (name: string, pick: (measure: Measure) => number): number => median(byName(name)?.rounds.map(pick) ?? [NaN])
  const percent = (value: number): string => `${fmt(value * 100)} %`
  const times = (value: number): string => `${fmt(value, 2)} ×`
  const spread = (values: number[], show: (value: number) => string): string => values.length > 1 ? ` (${values.map(show).join(', ')})` : ''

  const targets: string[][] = []
  const target = (figure: string, value: string, ceiling: string, key: string, show: (value: number) => string, goal: string, met: (value: number) => boolean): void => {
    if (ratios[key] === undefined) return
    const value_ = median(ratios[key])
    targets.push([figure, value, ceiling, `${show(value_)}${spread(ratios[key], show)}`, goal, met(value_) ? 'met' : 'NOT met'])
  }
  const bcryptBound = median(hashTimes.map((ms) => cores / (ms / 1000)))
  target('GET /health, req/s', fmtRate(medianOf('GET /health', (m) => m.rps)),
    `${fmtRate(medianOf('ceiling: bare Fastify, constant JSON', (m) => m.rps))} (bare Fastify)`, 'health', percent, '≥ 60 %', (r) => r >= 0.6)
  target('GET /me, req/s', fmtRate(medianOf('GET /api/v1/users/me', (m) => m.rps)),
    `${fmtRate(medianOf('ceiling: Fastify + JWT + one prepared select', (m) => m.rps))} (Fastify + JWT + one select)`, 'me', percent, '≥ 80 %', (r) => r >= 0.8)
  target('POST login, req/s', fmtRate(medianOf('POST /api/v1/users/login', (m) => m.rps)), `${fmtRate(bcryptBound)} (bcrypt bound)`, 'login', percent, '≥ 85 %', (r) => r >= 0.85)
  target('POST signup, req/s', fmtRate(medianOf('POST /api/v1/users (signup)', (m) => m.rps)), `${fmtRate(bcryptBound)} (bcrypt bound)`, 'signup', percent, '≥ 85 %', (r) => r >= 0.85)
  target('GET /me p99 under a login flood, ms', fmt(medianOf('GET /api/v1/users/me under a login flood', (m) => m.p99), 1),
    `${fmt(medianOf('GET /api/v1/users/me, before the flood', (m) => m.p99), 1)} (p99 just before)`, 'flood', times, '≤ 3 ×', (r) => r <= 3)
  for (const users of [SMALL_USERS, USERS]) {
    const label = users.toLocaleString('en-GB')
    const msPer = (name: string): number => 1000 * CONNECTIONS / medianOf(name, (m) => m.rps)
    target(`admin list at ${label} users, deep page, ms a request`, fmt(msPer(`admin list, ${label} users, page ${users / PAGE - 9}`), 1),
      `${fmt(msPer(`admin list, ${label} users, first page`), 1)} (first page)`, `admin ${users}`, times,
      users === USERS ? '≤ 1.5 ×' : '—', (r) => users !== USERS || r <= 1.5)
  }
  targets.push(['server RSS, peak of the run (VmHWM), MB', fmt(peakRss), '150 (target)', percent(peakRss / 150), '< 150 MB', peakRss < 150 ? 'met' : 'NOT met'])
  // The 1 000-user list has no target of its own: it is there to compare with the million.
  for (const row of targets) if (row[4] === '—') row[5] = ''

  const summaryTable = table(['figure', 'value', 'ceiling', 'ratio (per round)', 'target', 'met'], targets)
  const detailTable = table(['measurement', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'RSS MB', 'other CPU'],
    series.map((one) => {
      const pick = (get: (measure: Measure) => number): number => median(one.rounds.map(get))
      return [one.name, String(one.connections), fmtRate(pick((m) => m.rps)), fmt(pick((m) => m.p50), 1), fmt(pick((m) => m.p99), 1),
        String(one.rounds.reduce((sum, m) => sum + m.errors, 0)), fmt(Math.max(...one.rounds.map((m) => m.rss))),
        `${fmt(Math.max(...one.rounds.map((m) => m.otherCpu)))} %`]
    }))

  const served = series.filter((one) => !one.name.startsWith('ceiling')).reduce((sum, one) => sum + one.rounds.reduce((total, m) => total + m.requests, 0), 0)
  const commit = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: REPO, encoding: 'utf8' }).stdout.trim()
  const machine = `${cores} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM, ` +
    `Node.js ${process.version}, PostgreSQL ${postgresVersion} on ${url.host}`
  const minutes = (Date.now() - started) / 60_000
  const notes = [
    `Commit ${commit}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; \`make bench\` took ${fmt(minutes, 1)} minutes${QUICK ? ' (QUICK=1: short runs, fewer users; not for comparison)' : ''}.`,
    `Machine: ${machine}. The server, PostgreSQL, the ceilings and autocannon share these cores, so the ratios, measured in the same run, are what to compare between machines.`,
    `${ROUNDS} round(s) per figure, each figure alternating with its ceiling; a round is ${WARMUP} s of warm-up then ${DURATION} s counted, at fixed concurrency: ` +
      `${CONNECTIONS} connections for GET routes, ${AUTH_CONNECTIONS} for login and signup, ${FLOOD_CONNECTIONS} for the login flood. ` +
      'Values are medians over the rounds; the ratio is the median of the per-round ratios, listed in brackets. req/s counts 2xx answers; ' +
      'p50 and p99 are the latencies of those; errors are other answers, connection errors and timeouts; RSS is the largest VmRSS sampled every 100 ms ' +
      '(of the ceiling\'s process for the ceilings); other CPU is the largest share of the machine used meanwhile by processes other than the server, ' +
      `the ceiling, PostgreSQL and the benchmark itself (each round waits for it to fall below ${OTHER_CPU} %, and one above that is run again, up to three times).`,
    `The server: \`${START}\` (npm start) with NODE_ENV=production, DATABASE_URL on a scratch database seeded with ${USERS.toLocaleString('en-GB')} users ` +
      `(one in ten with genetic results; ${fmt(seedSeconds, 1)} s to seed), a generated JWT_SECRET, BCRYPT_COST=${BCRYPT_COST}, LOG_LEVEL=info, a pool of ${POOL_SIZE} connections. ` +
      `It logs to a file, as in production every line costs a write somewhere: ${logLines.toLocaleString('en-GB')} lines for ${served.toLocaleString('en-GB')} counted requests ` +
      '(and those of the warm-ups). Its RSS was ' + `${fmt(startRss)} MB when it started listening.`,
    'AUTH_RATE_LIMIT=1000000: every request comes from 127.0.0.1, which the per-IP limit of signup and login (100 a minute by default) would stop at once. ' +
      `The login lockout is as configured; logins are successful ones (the right password), going round ${LOGIN_USERS.toLocaleString('en-GB')} accounts so that none has two in flight.`,
    `bcrypt bound: ${cores} cores ÷ the time of one hash at cost ${BCRYPT_COST}, measured before each round of login and signup ` +
      `(median ${fmt(median(hashTimes), 1)} ms, so ${fmt(bcryptBound, 1)} hashes a second). GET /me: ${tokens.length} sessions, one per user, their tokens used in turn. ` +
      `Admin list: ${PAGE} users a page; the deep page is ten pages before the end, its cursor made as the service makes it; the ratio compares the time of a request.`
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
