// `make bench-peers`: the service against better-auth, the TypeScript auth framework a user would
// most likely pick instead, on the same three scenarios side by side: an authenticated read, a
// login and a signup. Each figure is the service's req/s as a ratio of better-auth's, measured in
// rounds that alternate between the two so that the machine's drift hits both; every answer of
// both is checked (status and body). bench/README.md says how the peer is configured and why.
//
// Both run on their own scratch database on DATABASE_URL's PostgreSQL server (default the local
// one), dropped at the end; the service as `make bench` runs it (the production build, npm start's
// flags), better-auth from bench/peers/ (installed there by the Makefile, apart from the service's
// dependencies). Settings (environment), all in `readSettings` below:
// - ROUNDS per side and scenario (3), DURATION seconds counted per round (5), WARMUP before (2);
// - CONNECTIONS for the read (50), AUTH_CONNECTIONS for login and signup (8);
// - ACCOUNTS seeded on each side (200), BCRYPT_COST of both (12);
// - OTHER_CPU (100: off) and QUIET_WAIT (0) as in `make bench`: on a shared machine a full run
//   would otherwise wait; the share other processes used is in the details instead;
// - RESULTS, the Markdown output (bench/results-peers.md).
import { createHmac, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { estimate } from '../src/accounts/strength.js'
import { createScratchDatabase as createEmptyDatabase, LOCAL_POSTGRES_URL } from '../src/db/scratch-database.js'
import { atCleanUp, cleanUp, cleanUpOnSignals } from './cleanup.js'
import { fmt, fmtRate, say } from './format.js'
import { hashTime, median, meter, type Check, type Load, type Measure, type Meter } from './measure.js'
import { mailSink } from './mail-sink.js'
import { buildProduction, loadTestEnv, START, startCeiling, startServer, type Child } from './processes.js'
import { describeCommit, table } from './report.js'
import { connect, createScratchDatabase, openSessions, seedUsers } from './seed.js'
import { cores, JSON_BODY, PASSWORD, POOL_SIZE, REPO } from './settings.js'

const PEER_DIR = join(REPO, 'bench', 'peers')
/** Seconds autocannon waits for a login's or a signup's answer. */
const AUTH_TIMEOUT = 30

function setting (name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, got '${raw}'`)
  return value
}

interface PeerSettings {
  rounds: number
  /** Seconds counted per round of the read, and of login and signup (a few hashes a second: longer, to count more of them). */
  duration: number
  authDuration: number
  warmup: number
  connections: number
  authConnections: number
  accounts: number
  bcryptCost: number
  otherCpu: number
  quietWait: number
  results: string
  serverUrl: string
}

function readSettings (): PeerSettings {
  const duration = setting('DURATION', 5)
  return {
    rounds: setting('ROUNDS', 3),
    duration,
    authDuration: setting('AUTH_DURATION', 2 * duration),
    warmup: setting('WARMUP', 2),
    connections: setting('CONNECTIONS', 50),
    authConnections: setting('AUTH_CONNECTIONS', 8),
    accounts: setting('ACCOUNTS', 200),
    bcryptCost: setting('BCRYPT_COST', 12),
    otherCpu: setting('OTHER_CPU', 100),
    // 0 is allowed here: no waiting.
    quietWait: Number(process.env.QUIET_WAIT ?? 0),
    results: resolve(REPO, process.env.RESULTS ?? 'bench/results-peers.md'),
    serverUrl: process.env.DATABASE_URL ?? LOCAL_POSTGRES_URL
  }
}

/** An account of either side: its email, and the credential a read sends (the service's token, better-auth's cookie). */
interface Account {
  email: string
  credential: string
}

/** One side's three loads, and the check of each one's answers. */
interface Side {
  name: string
  child: Child
  read: { label: string, load: Load, check: Check }
  login: { label: string, load: Load, check: Check }
  signup: { label: string, load: Load, check: Check }
}

/** What each side's measurements are called. */
const LABELS = {
  service: {
    read: 'service: GET /api/v1/users/me (api-token header)',
    login: 'service: POST /api/v1/users/login',
    signup: 'service: POST /api/v1/users (signup)'
  },
  peer: {
    read: 'better-auth: GET /api/auth/get-session (session cookie)',
    login: 'better-auth: POST /api/auth/sign-in/email',
    signup: 'better-auth: POST /api/auth/sign-up/email'
  }
}

/** Round-robin over `values`, one per request. */
function rotating<T> (values: T[]): () => T {
  let next = 0
  return () => values[next++ % values.length]
}

/** The body as JSON, or undefined when it is not JSON. */
function json (body: string): any {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

const header = (headers: Record<string, string>, name: string): string => String(Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1] ?? '')

/** A POST of a JSON body, `body(email)` for the next email, which the context keeps for the check. */
function posting (url: string, path: string, connections: number, nextEmail: () => string, body: (email: string) => object, headers: Record<string, string> = JSON_BODY): Load {
  return {
    url,
    connections,
    // autocannon gives up on an answer after 10 s by default: on a busy machine a login queued
    // behind seven others' hashes takes about that long, and would be counted as an error.
    timeout: AUTH_TIMEOUT,
    requests: [{
      method: 'POST',
      path,
      headers,
      setupRequest: (request, context) => {
        const email = nextEmail()
        context.expected = email
        return { ...request, body: JSON.stringify(body(email)) }
      }
    }]
  }
}

function serviceSide (child: Child, accounts: Account[], settings: PeerSettings): Side {
  const account = rotating(accounts)
  const loginEmail = rotating(accounts.map((one) => one.email))
  let signups = 0
  return {
    name: 'service',
    child,
    read: {
      label: LABELS.service.read,
      load: {
        url: child.url,
        connections: settings.connections,
        requests: [{
          path: '/api/v1/users/me',
          setupRequest: (request, context) => {
            const next = account()
            context.expected = next.email
            return { ...request, headers: { 'api-token': next.credential } }
          }
        }]
      },
      // The account of the token sent, not just any.
      check: (status, body, context) => status === 200 && json(body)?.email === context.expected
    },
    login: {
      label: LABELS.service.login,
      load: posting(child.url, '/api/v1/users/login', settings.authConnections, loginEmail, (email) => ({ email, password: PASSWORD })),
      check: (status, body, context) => {
        const answer = json(body)
        return status === 200 && typeof answer?.jwt_token === 'string' && answer.user?.email === context.expected
      }
    },
    signup: {
      label: LABELS.service.signup,
      load: posting(child.url, '/api/v1/users', settings.authConnections, () => `signup${++signups}@bench.example`,
        (email) => ({ email, password: PASSWORD, first_name: 'Grace', last_name: 'Hopper', dob: '1986-12-09' })),
      check: (status, body, context) => {
        const answer = json(body)
        return status === 201 && typeof answer?.jwt_token === 'string' && answer.user?.email === context.expected
      }
    }
  }
}

function peerSide (child: Child, accounts: Account[], settings: PeerSettings): Side {
  const account = rotating(accounts)
  const loginEmail = rotating(accounts.map((one) => one.email))
  let signups = 0
  // better-auth refuses a POST without an Origin (its CSRF check, on by default); a browser on the app's own origin sends this one.
  const headers = { ...JSON_BODY, origin: child.url }
  const signedIn = (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>): boolean => {
    const answer = json(body)
    return status === 200 && typeof answer?.token === 'string' && answer.user?.email === context.expected &&
      header(headers, 'set-cookie').includes('better-auth.session_token=')
  }
  return {
    name: 'better-auth',
    child,
    read: {
      label: LABELS.peer.read,
      load: {
        url: child.url,
        connections: settings.connections,
        requests: [{
          path: '/api/auth/get-session',
          setupRequest: (request, context) => {
            const next = account()
            context.expected = next.email
            return { ...request, headers: { cookie: next.credential } }
          }
        }]
      },
      // better-auth answers 200 with `null` for a missing, bad or expired cookie: the session and its user must be there.
      check: (status, body, context) => {
        const answer = json(body)
        return status === 200 && typeof answer?.session?.token === 'string' && answer.user?.email === context.expected
      }
    },
    login: {
      label: LABELS.peer.login,
      load: posting(child.url, '/api/auth/sign-in/email', settings.authConnections, loginEmail, (email) => ({ email, password: PASSWORD }), headers),
      check: signedIn
    },
    signup: {
      label: LABELS.peer.signup,
      load: posting(child.url, '/api/auth/sign-up/email', settings.authConnections, () => `signup${++signups}@bench.example`,
        (email) => ({ email, password: PASSWORD, name: 'Grace Hopper' }), headers),
      check: signedIn
    }
  }
}

/**
 * better-auth's accounts 1 to `count`, seeded in SQL as the service's are (one fixed bcrypt hash, so that no time goes
 * into hashing before the rounds): a user, its credential account and a week-long session each, in the tables its
 * migration made, and the session cookie as better-auth signs it (the token, a dot, the HMAC-SHA256 of the token
 * under the secret in base64, URL-encoded). The reads' check shows better-auth accepts them.
 */
async function seedPeer (databaseUrl: string, hash: string, secret: string, count: number): Promise<Account[]> {
  const id = (): string => randomBytes(24).toString('base64url')
  const rows = Array.from({ length: count }, (_, i) => ({ n: i + 1, user: id(), account: id(), session: id(), token: id() }))
  const db = await connect(databaseUrl)
  await db.query(
    `INSERT INTO "user" (id, name, email, "emailVerified", "createdAt", "updatedAt")
     SELECT u, 'Ada Lovelace', 'user' || n || '@bench.example', false, now(), now() FROM unnest($1::text[], $2::integer[]) AS t (u, n)`,
    [rows.map((row) => row.user), rows.map((row) => row.n)])
  await db.query(
    `INSERT INTO account (id, "accountId", "providerId", "userId", password, "createdAt", "updatedAt")
     SELECT a, u, 'credential', u, $3, now(), now() FROM unnest($1::text[], $2::text[]) AS t (a, u)`,
    [rows.map((row) => row.account), rows.map((row) => row.user), hash])
  await db.query(
    `INSERT INTO session (id, "expiresAt", token, "createdAt", "updatedAt", "ipAddress", "userAgent", "userId")
     SELECT s, now() + interval '7 days', t, now(), now(), '', 'autocannon', u FROM unnest($1::text[], $2::text[], $3::text[]) AS r (s, t, u)`,
    [rows.map((row) => row.session), rows.map((row) => row.token), rows.map((row) => row.user)])
  await db.query('VACUUM ANALYZE "user", account, session')
  await db.query('CHECKPOINT').catch((error: Error) => { say(`  CHECKPOINT refused (${error.message}); measuring anyway`) })
  const sign = (token: string): string => encodeURIComponent(`${token}.${createHmac('sha256', secret).update(token).digest('base64')}`)
  return rows.map((row) => ({ email: `user${row.n}@bench.example`, credential: `better-auth.session_token=${sign(row.token)}` }))
}

/** Fails unless one request of `load` gets an answer `check` accepts: the loads are right before anything is measured. */
async function tryOnce (side: string, { load, check }: { load: Load, check: Check }): Promise<void> {
  const request = (load.requests ?? [{}])[0]
  const context: Record<string, unknown> = {}
  const made = request.setupRequest?.(request, context) ?? request
  const response = await fetch(`${load.url}${made.path ?? ''}`, { method: made.method ?? 'GET', headers: made.headers, body: made.body })
  const body = await response.text()
  if (!check(response.status, body, context, Object.fromEntries(response.headers))) throw new Error(`${side}: ${made.method ?? 'GET'} ${made.path ?? ''} answered ${response.status} ${body}`)
}

/** The median time in ms of the service's password-strength estimate of a signup's password, in this process. */
function strengthTime (): number {
  const words = ['signup1@bench.example', 'signup1', 'bench', 'Grace', 'Hopper']
  const times: number[] = []
  for (let i = 0; i < 21; i++) {
    const started = performance.now()
    estimate(PASSWORD, words)
    if (i > 0) times.push(performance.now() - started)
  }
  return median(times)
}

const SCENARIOS = [
  { key: 'read', title: 'authenticated read', target: 5 },
  { key: 'login', title: 'login', target: 1 },
  { key: 'signup', title: 'signup', target: 1 }
] as const

/** The rounds of each scenario; `meters` measure the read and the others (login, signup). */
async function compare (settings: PeerSettings, meters: { read: Meter, auth: Meter }, service: Side, peer: Side): Promise<void> {
  const pids = [service.child.pid, peer.child.pid]
  for (const { key } of SCENARIOS) {
    const measure = key === 'read' ? meters.read : meters.auth
    for (let round = 0; round < settings.rounds; round++) {
      // Each round starts with the other side, so that neither is always first after a pause.
      const order = round % 2 === 0 ? [service, peer] : [peer, service]
      const measured: Record<string, Measure> = {}
      for (const side of order) {
        const { label, load, check } = side[key]
        measured[side.name] = await measure.measure(label, side.child.pid, load, pids.filter((pid) => pid !== side.child.pid), check)
      }
      measure.ratio(key, measured.service.rps / measured['better-auth'].rps)
    }
  }
}

cleanUpOnSignals()
const settings = readSettings()
const started = Date.now()
const loadBefore = loadavg()
const workDir = mkdtempSync(join(tmpdir(), 'dna-api-peers-'))
atCleanUp(() => rmSync(workDir, { recursive: true, force: true }))

try {
  if (!existsSync(join(PEER_DIR, 'node_modules', 'better-auth'))) throw new Error('better-auth is not installed in bench/peers: run `make bench-peers`, which installs it')
  buildProduction()
  const { ms: hashMs, hash } = await hashTime(settings.bcryptCost)
  say(`bcrypt cost ${settings.bcryptCost}: ${fmt(hashMs, 1)} ms a hash`)

  // The service, as `make bench` runs it.
  const database = await createScratchDatabase(settings.serverUrl, workDir, '_peers')
  const db = await connect(database.url)
  await seedUsers(db, hash, 1, settings.accounts)
  const jwtSecret = randomBytes(48).toString('base64url')
  // Users 2 to ACCOUNTS get a session each; a token's `sub` says whose it is.
  const tokens = await openSessions(db, jwtSecret, settings.accounts)
  const serviceAccounts = tokens.map((token) => {
    const { sub } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sub: string }
    return { email: `user${sub}@bench.example`, credential: token }
  })
  const mail = await mailSink()
  const server = await startServer(workDir, loadTestEnv(database.url, jwtSecret, settings.bcryptCost, mail.url), join(workDir, 'server.log'), undefined)
  say(`service pid ${server.pid} on ${server.url}`)

  // better-auth, on a database of its own with its own migration.
  const peerDatabase = await createEmptyDatabase(settings.serverUrl, 'dna_api_bench_peer')
  atCleanUp(peerDatabase.drop)
  say(`scratch database ${peerDatabase.name} for better-auth`)
  const peerSecret = randomBytes(32).toString('base64url')
  const peerEnv = {
    NODE_ENV: 'production',
    DATABASE_URL: peerDatabase.url,
    BETTER_AUTH_SECRET: peerSecret,
    BCRYPT_COST: String(settings.bcryptCost),
    POOL_SIZE: String(POOL_SIZE)
  }
  const migrate = spawnSync(process.execPath, [join(PEER_DIR, 'server.mjs'), '--migrate'], { env: { PATH: process.env.PATH ?? '', ...peerEnv }, encoding: 'utf8' })
  if (migrate.status !== 0) throw new Error(`better-auth's migration failed: ${migrate.stderr}`)
  // Account 1 is left out of the loads on both sides: it is the service's admin.
  const peerAccounts = (await seedPeer(peerDatabase.url, hash, peerSecret, settings.accounts)).filter((account) => account.email !== 'user1@bench.example')
  const peerServer = await startCeiling('peers/server.mjs', peerEnv, [])
  say(`better-auth pid ${peerServer.pid} on ${peerServer.url}`)

  const service = serviceSide(server, serviceAccounts, settings)
  const peer = peerSide(peerServer, peerAccounts, settings)
  for (const side of [service, peer]) for (const key of ['read', 'login', 'signup'] as const) await tryOnce(side.name, side[key])

  const meters = { read: meter(settings), auth: meter({ ...settings, duration: settings.authDuration }) }
  say(`measuring: ${settings.rounds} round(s) a side of ${settings.warmup} s warm-up and ${settings.duration} s counted each (login and signup ${settings.authDuration} s)`)
  await compare(settings, meters, service, peer)
  const hashAfterMs = (await hashTime(settings.bcryptCost)).ms
  const strengthMs = strengthTime()
  await server.stop()
  await peerServer.stop()
  const measure = { series: [...meters.read.series, ...meters.auth.series], ratios: { ...meters.read.ratios, ...meters.auth.ratios } }
  report({ settings, measure, postgres: `${database.postgresVersion} on ${database.host}`, hashMs: [hashMs, hashAfterMs], strengthMs, started, loadBefore })
} catch (error) {
  process.exitCode = 1
  say(`bench-peers failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
} finally {
  await cleanUp()
}

interface Run {
  settings: PeerSettings
  measure: Pick<Meter, 'series' | 'ratios'>
  postgres: string
  /** bcrypt hash time before and after the rounds, ms. */
  hashMs: number[]
  strengthMs: number
  started: number
  loadBefore: number[]
}

function report ({ settings, measure, postgres, hashMs, strengthMs, started, loadBefore }: Run): void {
  const loadAfter = loadavg()
  const byName = (name: string): Measure[] => measure.series.find((one) => one.name === name)?.rounds ?? []
  const rps = (name: string): number => median(byName(name).map((m) => m.rps))
  const summary = SCENARIOS.map(({ key, title, target }) => {
    const ratios = measure.ratios[key] ?? []
    const ratio = median(ratios.length === 0 ? [NaN] : ratios)
    return [
      `${title}: ${LABELS.service[key].replace('service: ', '')} vs ${LABELS.peer[key].replace('better-auth: ', '')}`,
      fmtRate(rps(LABELS.service[key])),
      fmtRate(rps(LABELS.peer[key])),
      `${fmt(ratio, 2)} ×${ratios.length > 1 ? ` (${ratios.map((value) => fmt(value, 2)).join(', ')})` : ''}`,
      `≥ ${fmt(target, 1)} ×`,
      ratio >= target ? 'met' : 'NOT met'
    ]
  })
  const details = measure.series.map((one) => {
    const pick = (get: (m: Measure) => number): number => median(one.rounds.map(get))
    const sum = (get: (m: Measure) => number): number => one.rounds.reduce((total, m) => total + get(m), 0)
    return [one.name, String(one.connections), `${fmtRate(pick((m) => m.rps))} (${one.rounds.map((m) => fmtRate(m.rps)).join(', ')})`,
      fmt(pick((m) => m.p50), 1), fmt(pick((m) => m.p99), 1), sum((m) => m.checked ?? 0).toLocaleString('en-GB'),
      `${sum((m) => m.errors)}${one.rounds.some((m) => m.errors > 0) ? ` (${one.rounds.map((m) => m.errors).join(', ')})` : ''}`,
      String(sum((m) => m.wrong ?? 0)),
      fmt(Math.max(...one.rounds.map((m) => m.rss))), `${fmt(Math.max(...one.rounds.map((m) => m.otherCpu)))} %`]
  })
  const wrongAnswers = measure.series.flatMap((one) => one.rounds.flatMap((m, round) => m.firstWrong === undefined ? [] : [`${one.name}, round ${round + 1}: ${m.firstWrong}`]))
  const summaryTable = table(['scenario', 'service req/s', 'better-auth req/s', 'ratio (per round)', 'target', 'met'], summary)
  const detailTable = table(['measurement', 'connections', 'req/s (per round)', 'p50 ms', 'p99 ms', 'checked', 'errors (per round)', 'of which wrong answers', 'RSS MB', 'other CPU'], details)
  const version = (name: string): string => {
    try {
      return (JSON.parse(spawnSync('npm', ['ls', name, '--json', '--prefix', PEER_DIR], { encoding: 'utf8' }).stdout) as { dependencies: Record<string, { version: string }> }).dependencies[name].version
    } catch {
      return 'unknown'
    }
  }
  const commit = describeCommit()
  const load = (values: number[]): string => values.map((value) => value.toFixed(2)).join(' ')
  const hash = median(hashMs)
  const notes = [
    `Commit ${commit}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; \`make bench-peers\` took ${fmt((Date.now() - started) / 60_000, 1)} minutes.`,
    `Machine: ${cores} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM, Node.js ${process.version}, PostgreSQL ${postgres}. ` +
      'The machine was shared with other work during the run: the two sides, PostgreSQL and autocannon share its cores with it, which is why the rounds alternate ' +
      'and the ratio of each round, not an absolute figure, is the result. ' +
      `Load average (1, 5, 15 min) ${load(loadBefore)} at the start, ${load(loadAfter)} at the end; the details give the largest share of the CPU other processes used during each measurement.`,
    `Settings: ${settings.rounds} round(s) per side and scenario, alternating service and better-auth (each round starts with the other side); a round is ${settings.warmup} s of warm-up then ` +
      `${settings.duration} s counted for the read, ${settings.authDuration} s for login and signup; ${settings.connections} connections for the read, ${settings.authConnections} for login and signup; ${settings.accounts} accounts a side; ` +
      `bcrypt cost ${settings.bcryptCost} on both. req/s counts 2xx answers that passed the check; the ratio is the median of the per-round ratios (service ÷ better-auth).`,
    'Every answer is checked, its status and its body: the read must return the account whose token or cookie was sent (better-auth answers 200 with `null` ' +
      'for a bad cookie), a login the token and that account (and better-auth its session cookie), a signup the new account and its token. ' +
      '"checked" counts the answers checked in the counted seconds; "errors" the requests that failed, for each round: wrong answers (another status, or a body that ' +
      `failed the check) and requests without an answer (connection errors, and timeouts: autocannon waits ${AUTH_TIMEOUT} s for a login or signup, 10 s for a read). ` +
      (wrongAnswers.length === 0 ? 'No wrong answer was counted.' : `The first wrong answer of each round that had one (status, start of the body): ${wrongAnswers.join('; ')}.`),
    `The service: \`${START}\` (npm start, the production build) with NODE_ENV=production, a pool of ${POOL_SIZE} connections, LOG_LEVEL=info to a file, ` +
      'AUTH_RATE_LIMIT=1000000 (every request comes from 127.0.0.1; the lockout is as configured, and every login is a successful one, going round the accounts); ' +
      'users seeded in SQL with one bcrypt hash, sessions with tokens signed as the service signs them; reads send the token in the `api-token` header.',
    `better-auth ${version('better-auth')} (pg ${version('pg')}, bcrypt ${version('bcrypt')}), bench/peers/server.mjs: \`toNodeHandler\` on a bare node:http server, NODE_ENV=production, ` +
      `email and password with bcrypt (hash and verify) at cost ${settings.bcryptCost}, the rate limiter off, a pg pool of ${POOL_SIZE}, its schema made by its own migration ` +
      `(getMigrations); everything else its defaults (no cookie cache, so get-session reads the database). Its ${settings.accounts} accounts were seeded in SQL into those ` +
      'tables as the service\'s are (the same bcrypt hash), each with a session and the cookie signed as better-auth signs it; the reads\' check shows it accepts them.',
    `Where a signup's CPU goes, timed in the benchmark's process: one bcrypt hash at cost ${settings.bcryptCost} ${fmt(hash, 1)} ms (median of ${hashMs.map((ms) => fmt(ms, 1)).join(' and ')}, ` +
      `before and after the rounds); the service's zxcvbn strength estimate of the signup's password ${fmt(strengthMs, 1)} ms, which better-auth does not do ` +
      `(it only checks the length). With ${cores} cores that bounds signups at about ${fmt(cores / ((hash + strengthMs) / 1000), 1)} a second for the service ` +
      `against ${fmt(cores / (hash / 1000), 1)} for bcrypt alone, i.e. ${fmt(hash / (hash + strengthMs), 2)} ×.`
  ]
  process.stdout.write(`\n${summaryTable.text}\n\n${detailTable.text}\n\n${notes.join('\n')}\n`)
  writeFileSync(settings.results, [
    '# The service against better-auth',
    '',
    `Written by \`make bench-peers\` (bench/peers.ts). ${notes[0]}`,
    '',
    summaryTable.markdown,
    '',
    detailTable.markdown,
    '',
    ...notes.slice(1).map((note) => `- ${note}`),
    ''
  ].join('\n'))
  say(`\nwritten to ${relative(REPO, settings.results)}`)
}
