// GET /metrics over real HTTP on its own listener, after real requests to the service.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { openDatabase } from '../../../src/db/database.js'
import { migrate } from '../../../src/db/migrations.js'
import { listenForMetrics } from '../../../src/plugins/app/metrics.js'
import { auth, buildTestApp, PASSWORD, resetData, signUp, testDatabase } from '../../helper.js'
import { mailServer, mailingApp } from '../../mail-support.js'
import { emptyPostgresDatabase } from '../../support.js'

const db = await testDatabase(t)
t.beforeEach(async () => { await resetData(db) })

/** The metrics port of `app`, on a free loopback port, closed at the end of the test. */
async function metricsOf (t: Test, app: FastifyInstance): Promise<{ url: string, scrape: () => Promise<string> }> {
  const listener = await listenForMetrics(app, 0, '127.0.0.1')
  t.teardown(listener.close)
  return {
    url: listener.url,
    async scrape () {
      const response = await fetch(`${listener.url}/metrics`)
      t.equal(response.status, 200)
      t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
      return await response.text()
    }
  }
}

/** The value of one series in the exposition text, or undefined when it is not there. */
function value (text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

const login = async (app: FastifyInstance, email: string, password: string): Promise<number> =>
  (await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email, password } })).statusCode

t.test('request durations by route pattern and status, login outcomes, and the process itself', async (t) => {
  const app = await buildTestApp(t, db, { METRICS_PORT: '0' })
  const metrics = await metricsOf(t, app)
  const { token, user } = await signUp(app)
  const other = await signUp(app)
  t.equal((await app.inject({ url: '/api/v1/users/me?email=ada@example.com', headers: auth(token) })).statusCode, 200)
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(token) })).statusCode, 200)
  t.equal((await app.inject({ url: '/api/v1/users/me' })).statusCode, 401)
  t.equal((await app.inject({ url: `/api/v1/users/${other.user.id}`, headers: auth(token) })).statusCode, 403)
  t.equal((await app.inject({ url: '/nowhere/12345' })).statusCode, 404)
  t.equal(await login(app, user.email, PASSWORD), 200)
  for (let failure = 0; failure < 3; failure++) t.equal(await login(app, user.email, 'wrong-password-123'), 401)
  t.equal(await login(app, user.email, PASSWORD), 429, 'locked, even with the right password')

  const text = await metrics.scrape()
  t.equal(value(text, 'http_request_duration_seconds_count{method="GET",route="/api/v1/users/me",status_code="200"}'), 2, 'the pattern, without the query string')
  t.equal(value(text, 'http_request_duration_seconds_count{method="GET",route="/api/v1/users/me",status_code="401"}'), 1)
  t.equal(value(text, 'http_request_duration_seconds_count{method="GET",route="/api/v1/users/:id",status_code="403"}'), 1, 'never the id')
  t.equal(value(text, 'http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}'), 1, 'no route is one series')
  t.equal(value(text, 'http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/api/v1/users/login",status_code="401"}'), 3)
  t.notMatch(text, /ada@example\.com|12345|nowhere/, 'no URL, query or address')
  t.notMatch(text, new RegExp(`users/${other.user.id}\\b`))
  t.equal(value(text, 'dna_api_logins_total{outcome="success"}'), 1)
  t.equal(value(text, 'dna_api_logins_total{outcome="failure"}'), 3)
  t.equal(value(text, 'dna_api_logins_total{outcome="locked"}'), 1)
  t.equal(value(text, 'dna_api_rate_limited_total'), 0)
  t.ok((value(text, 'process_resident_memory_bytes') as number) > 10e6, 'the memory of the process')
  t.ok((value(text, 'nodejs_heap_size_used_bytes') as number) > 0)
  t.ok(Number.isFinite(value(text, 'nodejs_eventloop_lag_seconds')), 'and the lag of its event loop')
  t.ok(Number.isFinite(value(text, 'nodejs_eventloop_lag_p99_seconds')))
  t.match(text, /^# HELP dna_api_logins_total Logins by outcome/m, 'each metric says what it is')
  if (db.kind === 'embedded') t.notMatch(text, /dna_api_db_pool_connections\{/, 'the embedded database has no pool')

  const elsewhere = await fetch(`${metrics.url}/api/v1/users/me`, { headers: auth(token) })
  t.equal(elsewhere.status, 404, 'the metrics listener serves nothing else')
  t.same(await elsewhere.json(), { statusCode: 404, error: 'Not Found', message: 'only GET /metrics is served here' })
  t.equal((await fetch(`${metrics.url}/metrics`, { method: 'POST' })).status, 404)
})

t.test('rejections by the per-address rate limit', async (t) => {
  const app = await buildTestApp(t, db, { METRICS_PORT: '0', AUTH_RATE_LIMIT: '1' })
  const metrics = await metricsOf(t, app)
  t.equal(await login(app, 'nobody@example.com', PASSWORD), 401)
  t.equal(await login(app, 'nobody@example.com', PASSWORD), 429)
  t.equal(await login(app, 'nobody@example.com', PASSWORD), 429)
  const text = await metrics.scrape()
  t.equal(value(text, 'dna_api_rate_limited_total'), 2)
  t.equal(value(text, 'dna_api_logins_total{outcome="failure"}'), 1, 'a refused request is no login attempt')
})

t.test('mails waiting in the outbox, and those sent, retried and given up', async (t) => {
  const server = await mailServer(t)
  const app = await mailingApp(t, db, server, { METRICS_PORT: '0' })
  const metrics = await metricsOf(t, app)
  await signUp(app)
  await signUp(app)
  let text = await metrics.scrape()
  t.equal(value(text, 'dna_api_mail_outbox_pending'), 2, 'each signup queues a verification mail')
  t.equal(value(text, 'dna_api_mails_total{outcome="sent"}'), 0)

  server.behave(451)
  await app.mail.drain()
  text = await metrics.scrape()
  t.equal(value(text, 'dna_api_mails_total{outcome="retried"}'), 2, 'refused for now: tried again later')
  t.equal(value(text, 'dna_api_mail_outbox_pending'), 2)

  server.behave(550)
  await db.query('UPDATE mail_outbox SET next_attempt_at = now()')
  await app.mail.drain()
  text = await metrics.scrape()
  t.equal(value(text, 'dna_api_mails_total{outcome="failed"}'), 2, 'refused for good: given up')
  t.equal(value(text, 'dna_api_mail_outbox_pending'), 0)

  server.behave('accept')
  await signUp(app)
  await app.mail.drain()
  await server.received(1)
  text = await metrics.scrape()
  t.equal(value(text, 'dna_api_mails_total{outcome="sent"}'), 1)
  t.equal(value(text, 'dna_api_mail_outbox_pending'), 0)
})

t.test('while the database does not answer, the outbox backlog is unknown and the rest is still served', async (t) => {
  const broken = await openDatabase({ url: 'postgres://postgres@127.0.0.1:1/postgres', connectionTimeoutMs: 200 })
  t.teardown(async () => await broken.close())
  const app = await buildTestApp(t, broken, { METRICS_PORT: '0' })
  const text = await (await metricsOf(t, app)).scrape()
  t.match(text, /^dna_api_mail_outbox_pending nan$/im, 'NaN, written as prom-client writes it')
  t.ok((value(text, 'process_resident_memory_bytes') as number) > 0)
})

t.test('the connections of a PostgreSQL pool: open, idle, and queries waiting for one', async (t) => {
  const url = await emptyPostgresDatabase(t)
  const postgres = await openDatabase({ url, poolSize: 2, connectionTimeoutMs: 30_000 })
  t.teardown(async () => await postgres.close())
  await migrate(postgres)
  const app = await buildTestApp(t, postgres, { METRICS_PORT: '0' })
  const metrics = await metricsOf(t, app)
  // Two connections held and a third query waiting for one of them.
  let release = (): void => {}
  const held = new Promise<void>((resolve) => { release = resolve })
  const holding = [1, 2].map(async () => await postgres.transaction(async () => await held))
  await t.resolves(async () => { while (postgres.poolStats?.().total !== 2) await new Promise((resolve) => setImmediate(resolve)) })
  const waiting = postgres.query('SELECT 1')
  // The scrape reads the pool at once; its count of the outbox then waits for a connection too.
  const scraped = metrics.scrape()
  await t.resolves(async () => { while (postgres.poolStats?.().waiting !== 2) await new Promise((resolve) => setImmediate(resolve)) })
  release()
  await Promise.all([...holding, waiting])
  let text = await scraped
  t.equal(value(text, 'dna_api_db_pool_connections{state="total"}'), 2)
  t.equal(value(text, 'dna_api_db_pool_connections{state="idle"}'), 0)
  t.equal(value(text, 'dna_api_db_pool_connections{state="waiting"}'), 1)
  text = await metrics.scrape()
  t.equal(value(text, 'dna_api_db_pool_connections{state="waiting"}'), 0)
  t.equal(value(text, 'dna_api_db_pool_connections{state="idle"}'), 2)
})

t.test('off by default: nothing is served and nothing is counted', async (t) => {
  const app = await buildTestApp(t, db)
  t.equal(await app.metrics.scrape(), undefined)
  await signUp(app)
  t.equal(await app.metrics.scrape(), undefined)
})

t.test('on an IPv6 address the listener says where it is in URL form; an address it cannot take is the system\'s error', async (t) => {
  const app = await buildTestApp(t, db)
  const listener = await listenForMetrics(app, 0, '::1')
  t.teardown(listener.close)
  t.match(listener.url, /^http:\/\/\[::1\]:\d+$/)
  t.equal((await fetch(`${listener.url}/metrics`)).status, 200)
  // 192.0.2.0/24 is for documentation: no interface here has it.
  await t.rejects(listenForMetrics(app, 0, '192.0.2.1'), { code: 'EADDRNOTAVAIL' })
})
