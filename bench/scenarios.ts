// One function per scenario: what it loads, against which ceiling, and the ratio each round
// records (bench/README.md says what each one measures and its target).
import autocannon from 'autocannon'
import { encodeCursor } from '../src/http/cursor.js'
import { hashTime, type Load, type Meter } from './measure.js'
import { startCeiling, type Child } from './processes.js'
import { cores, JSON_BODY, LOGIN_USERS, PAGE, PASSWORD, POOL_SIZE, type Settings } from './settings.js'

/** What the scenarios share: the running server, its data and the measurements so far. */
export interface Bench {
  settings: Settings
  meter: Meter
  server: Child
  databaseUrl: string
  jwtSecret: string
  adminToken: string
  /** Each bcrypt hash timed for the bound, ms. */
  hashTimes: number[]
  loads: Loads
}

interface Loads {
  me: Load
  login: (connections: number) => Load
  signup: Load
}

/** Round-robin over `values`, one per request. */
function rotating<T> (values: T[]): () => T {
  let next = 0
  return () => values[next++ % values.length]
}

/** The loads of the server at `url`; GET /me's takes `tokens` in turn. */
export function loads (url: string, tokens: string[], settings: Settings): Loads {
  let signups = 0
  return {
    me: {
      url,
      connections: settings.connections,
      requests: [{ path: '/api/v1/users/me', setupRequest: ((token) => (request) => ({ ...request, headers: { authorization: `Bearer ${token()}` } }))(rotating(tokens)) }]
    },
    login: (connections) => {
      const next = rotating(Array.from({ length: Math.min(LOGIN_USERS, settings.users - 1) }, (_, i) => `user${i + 2}@bench.example`))
      return {
        url,
        connections,
        requests: [{ method: 'POST', path: '/api/v1/users/login', headers: JSON_BODY, setupRequest: (request) => ({ ...request, body: JSON.stringify({ email: next(), password: PASSWORD }) }) }]
      }
    },
    signup: {
      url,
      connections: settings.authConnections,
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
  }
}

/** The admin's token (user 1), from a real login. */
export async function logInAdmin (server: Child): Promise<string> {
  const adminLogin = await fetch(`${server.url}/api/v1/users/login`, {
    method: 'POST', headers: JSON_BODY, body: JSON.stringify({ email: 'user1@bench.example', password: PASSWORD })
  })
  if (adminLogin.status !== 200) throw new Error(`the admin's login failed: ${adminLogin.status} ${await adminLogin.text()}`)
  return (await adminLogin.json() as { jwt_token: string }).jwt_token
}

/** Fails unless the server accepts a seeded session's token. */
export async function checkSession (server: Child, token: string): Promise<void> {
  const me = await fetch(`${server.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } })
  if (me.status !== 200) throw new Error(`GET /me with a seeded token failed: ${me.status} ${await me.text()}`)
}

/** GET /health against a bare Fastify server answering a constant JSON. */
export async function health ({ settings, meter, server }: Bench): Promise<void> {
  const ceiling = await startCeiling('ceiling-bare.ts', {})
  for (let round = 0; round < settings.rounds; round++) {
    const bare = await meter.measure('ceiling: bare Fastify, constant JSON', ceiling.pid, { url: `${ceiling.url}/health`, connections: settings.connections }, [server.pid])
    const probe = await meter.measure('GET /health', server.pid, { url: `${server.url}/health`, connections: settings.connections }, [ceiling.pid])
    meter.ratio('health', probe.rps / bare.rps)
  }
  await ceiling.stop()
}

/**
 * GET /me against the same work done by bare Fastify + @fastify/jwt + the service's session query
 * (the target), and against one prepared primary-key select instead of that query (information).
 */
export async function me ({ settings, meter, server, databaseUrl, jwtSecret, loads }: Bench): Promise<void> {
  const env = { DATABASE_URL: databaseUrl, JWT_SECRET: jwtSecret, POOL_SIZE: String(POOL_SIZE) }
  const sameWork = await startCeiling('ceiling-me-session.ts', env)
  const primaryKey = await startCeiling('ceiling-me.ts', env)
  const others = [server.pid, sameWork.pid, primaryKey.pid]
  for (let round = 0; round < settings.rounds; round++) {
    const reference = await meter.measure('ceiling: Fastify + JWT + the same session query', sameWork.pid, { ...loads.me, url: sameWork.url }, others)
    const idle = await meter.measure('GET /api/v1/users/me', server.pid, loads.me, others)
    const select = await meter.measure('reference: Fastify + JWT + one primary-key select', primaryKey.pid, { ...loads.me, url: primaryKey.url }, others)
    meter.ratio('me', idle.rps / reference.rps)
    meter.ratio('me-select', idle.rps / select.rps)
  }
  await sameWork.stop()
  await primaryKey.stop()
}

// The bcrypt bound, cores ÷ the time of one hash, is measured again before each round: the
// machine's speed drifts (other tenants, turbo).
async function bcryptBound ({ settings, hashTimes }: Bench): Promise<number> {
  const { ms } = await hashTime(settings.bcryptCost)
  hashTimes.push(ms)
  return cores / (ms / 1000)
}

/** Successful logins, going round LOGIN_USERS accounts, against the bcrypt bound. */
export async function login (bench: Bench): Promise<void> {
  const load = bench.loads.login(bench.settings.authConnections)
  for (let round = 0; round < bench.settings.rounds; round++) {
    const ceiling = await bcryptBound(bench)
    bench.meter.ratio('login', (await bench.meter.measure('POST /api/v1/users/login', bench.server.pid, load)).rps / ceiling)
  }
}

/** Signups of new accounts against the bcrypt bound. */
export async function signup (bench: Bench): Promise<void> {
  for (let round = 0; round < bench.settings.rounds; round++) {
    const ceiling = await bcryptBound(bench)
    bench.meter.ratio('signup', (await bench.meter.measure('POST /api/v1/users (signup)', bench.server.pid, bench.loads.signup)).rps / ceiling)
  }
}

/** GET /me's p99 while signups flood the server (each scoring its password), against its p99 just before. */
export async function signupFlood ({ settings, meter, server, loads }: Bench): Promise<void> {
  for (let round = 0; round < settings.rounds; round++) {
    const idle = await meter.measure('GET /api/v1/users/me, before the signup flood', server.pid, loads.me)
    const signups = autocannon({ ...loads.signup, connections: settings.floodConnections, duration: 3600 })
    let created = 0
    signups.on('response', (_client: unknown, status: number) => { if (status === 201) created += 1 })
    const floodStarted = performance.now()
    const flooded = await meter.measure('GET /api/v1/users/me under a signup flood', server.pid, loads.me)
    signups.stop()
    await signups
    meter.record(`POST /api/v1/users, the signup flood (${settings.floodConnections} connections)`, settings.floodConnections, {
      rps: created / ((performance.now() - floodStarted) / 1000), p50: NaN, p99: NaN, errors: 0, rss: flooded.rss, otherCpu: flooded.otherCpu, requests: created
    })
    meter.ratio('signup-flood', flooded.p99 / idle.p99)
  }
}

/** GET /me's p99 while logins flood the server, against its p99 just before. */
export async function flood ({ settings, meter, server, loads }: Bench): Promise<void> {
  for (let round = 0; round < settings.rounds; round++) {
    const idle = await meter.measure('GET /api/v1/users/me, before the flood', server.pid, loads.me)
    const logins = autocannon({ ...loads.login(settings.floodConnections), duration: 3600 })
    let floodLogins = 0
    logins.on('response', (_client: unknown, status: number) => { if (status === 200) floodLogins += 1 })
    const floodStarted = performance.now()
    const flooded = await meter.measure('GET /api/v1/users/me under a login flood', server.pid, loads.me)
    logins.stop()
    await logins
    meter.record(`POST /api/v1/users/login, the flood (${settings.floodConnections} connections)`, settings.floodConnections, {
      rps: floodLogins / ((performance.now() - floodStarted) / 1000), p50: NaN, p99: NaN, errors: 0, rss: flooded.rss, otherCpu: flooded.otherCpu, requests: floodLogins
    })
    meter.ratio('flood', flooded.p99 / idle.p99)
  }
}

/** The admin list's deep cursor page against its first page, with `users` users in the table. */
export async function adminList ({ settings, meter, server, adminToken }: Bench, users: number): Promise<void> {
  const headers = { authorization: `Bearer ${adminToken}` }
  // Ten pages before the end, with a cursor made as the service makes it.
  const deepCursor = encodeCursor('users', users - 10 * PAGE)
  const check = await fetch(`${server.url}/api/v1/users?cursor=${deepCursor}`, { headers })
  if (check.status !== 200 || (await check.json() as { users: unknown[] }).users.length !== PAGE) throw new Error('the deep page is not a full page')
  const label = users.toLocaleString('en-GB')
  for (let round = 0; round < settings.rounds; round++) {
    const first = await meter.measure(`admin list, ${label} users, first page`, server.pid, { url: `${server.url}/api/v1/users`, headers, connections: settings.connections })
    const deep = await meter.measure(`admin list, ${label} users, page ${users / PAGE - 9}`, server.pid,
      { url: `${server.url}/api/v1/users?cursor=${deepCursor}`, headers, connections: settings.connections })
    // Time a request takes on the server, which at fixed concurrency is connections ÷ req/s.
    meter.ratio(`admin ${users}`, first.rps / deep.rps)
  }
}
