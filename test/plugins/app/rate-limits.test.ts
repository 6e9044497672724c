import { createHash, createHmac, hkdfSync } from 'node:crypto'
import { setTimeout as wait } from 'node:timers/promises'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, PASSWORD, resetData, signUp, testDatabase, TEST_SECRET } from '../../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
t.beforeEach(async () => { await resetData(db) })

const login = async (target: FastifyInstance, email: string, password: string, extra: { remoteAddress?: string, headers?: Record<string, string> } = {}) =>
  await target.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email, password }, ...extra })

t.test('three consecutive failures lock the account for that IP, even against the right password', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  for (let i = 0; i < 3; i++) t.equal((await login(app, 'ada@example.com', 'wrong-password')).statusCode, 401)

  const locked = await login(app, 'ada@example.com', PASSWORD)
  t.equal(locked.statusCode, 429)
  const retryAfter = Number(locked.headers['retry-after'])
  t.ok(retryAfter > 890 && retryAfter <= 900, `Retry-After ${retryAfter} is about 15 minutes`)
  t.match(locked.json(), {
    statusCode: 429,
    error: 'Too Many Requests',
    message: /^too many failed logins: this account is locked from your address until \d\d:\d\d:\d\d UTC; try again in 15 minutes$/
  })
  t.equal(locked.headers['x-ratelimit-limit'], '100', 'the rate-limit headers describe the per-IP limit, not the lockout counter')
})

t.test('a success before the lock resets the count', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  for (let i = 0; i < 2; i++) t.equal((await login(app, 'ada@example.com', 'wrong-password')).statusCode, 401)
  t.equal((await login(app, 'ada@example.com', PASSWORD)).statusCode, 200)
  for (let i = 0; i < 3; i++) t.equal((await login(app, 'ada@example.com', 'wrong-password')).statusCode, 401, `failure ${i + 1} after the reset`)
  t.equal((await login(app, 'ada@example.com', PASSWORD)).statusCode, 429)
})

t.test('the account is case-folded: failures under any spelling count together', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  await login(app, 'ADA@example.com', 'wrong-password')
  await login(app, 'Ada@Example.com', 'wrong-password')
  await login(app, 'ada@EXAMPLE.com', 'wrong-password')
  t.equal((await login(app, 'ada@example.com', PASSWORD)).statusCode, 429)
})

t.test('unknown emails are counted exactly like known ones', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const known = []
  const unknown = []
  for (let i = 0; i < 4; i++) {
    known.push(await login(app, 'ada@example.com', 'wrong-password'))
    unknown.push(await login(app, 'nobody@example.com', 'wrong-password'))
  }
  t.same(known.map((r) => r.statusCode), [401, 401, 401, 429])
  t.same(unknown.map((r) => r.statusCode), known.map((r) => r.statusCode))
  t.same(unknown.map((r) => r.json().message.replace(/\d\d:\d\d:\d\d/, 'T')), known.map((r) => r.json().message.replace(/\d\d:\d\d:\d\d/, 'T')))
})

t.test('20 parallel wrong attempts for a fresh pair give exactly 3 × 401 and 17 × 429', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const responses = await Promise.all(Array.from({ length: 20 }, async () => await login(app, 'ada@example.com', 'wrong-password')))
  const statuses = responses.map((r) => r.statusCode).sort()
  t.same(statuses, [...Array(3).fill(401), ...Array(17).fill(429)])
})

t.test('another IP is not locked by someone else\'s failures', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  for (let i = 0; i < 3; i++) await login(app, 'ada@example.com', 'wrong-password', { remoteAddress: '203.0.113.7' })
  t.equal((await login(app, 'ada@example.com', PASSWORD, { remoteAddress: '203.0.113.7' })).statusCode, 429)
  t.equal((await login(app, 'ada@example.com', PASSWORD, { remoteAddress: '198.51.100.20' })).statusCode, 200)
})

t.test('X-Forwarded-For is ignored unless TRUST_PROXY is set', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  for (let i = 0; i < 3; i++) {
    await login(app, 'ada@example.com', 'wrong-password', { headers: { 'x-forwarded-for': `192.0.2.${i}` } })
  }
  const spoofed = await login(app, 'ada@example.com', PASSWORD, { headers: { 'x-forwarded-for': '192.0.2.99' } })
  t.equal(spoofed.statusCode, 429, 'a made-up X-Forwarded-For does not escape the lock')
})

t.test('with TRUST_PROXY the client is the address the proxy put in X-Forwarded-For', async (t) => {
  const proxied = await buildTestApp(t, db, { TRUST_PROXY: '1' })
  await signUp(proxied, { email: 'ada@example.com' })
  const client = (ip: string) => ({ remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': ip } })
  for (let i = 0; i < 3; i++) await login(proxied, 'ada@example.com', 'wrong-password', client('192.0.2.10'))
  t.equal((await login(proxied, 'ada@example.com', PASSWORD, client('192.0.2.10'))).statusCode, 429)
  t.equal((await login(proxied, 'ada@example.com', PASSWORD, client('192.0.2.11'))).statusCode, 200, 'another client behind the same proxy')
})

t.test('the lock is shared by every instance on the database', async (t) => {
  const second = await buildTestApp(t, db)
  await signUp(app, { email: 'ada@example.com' })
  for (let i = 0; i < 3; i++) await login(app, 'ada@example.com', 'wrong-password')
  t.equal((await login(second, 'ada@example.com', PASSWORD)).statusCode, 429)
})

t.test('the lock survives a restart', async (t) => {
  const first = await buildTestApp(t, db)
  await signUp(first, { email: 'ada@example.com' })
  for (let i = 0; i < 3; i++) await login(first, 'ada@example.com', 'wrong-password')
  await first.close()
  const restarted = await buildTestApp(t, db)
  t.equal((await login(restarted, 'ada@example.com', PASSWORD)).statusCode, 429)
})

t.test('the lock ends after LOGIN_LOCK_SECONDS', async (t) => {
  const short = await buildTestApp(t, db, { LOGIN_LOCK_SECONDS: '1' })
  await signUp(short, { email: 'ada@example.com' })
  for (let i = 0; i < 3; i++) await login(short, 'ada@example.com', 'wrong-password')
  const locked = await login(short, 'ada@example.com', PASSWORD)
  t.equal(locked.statusCode, 429)
  t.equal(locked.headers['retry-after'], '1')
  t.match(locked.json().message, /try again in 1 seconds$/)
  // Wait exactly as long as the server said.
  await wait(Number(locked.headers['retry-after']) * 1000 + 50)
  t.equal((await login(short, 'ada@example.com', PASSWORD)).statusCode, 200)
})

t.test('the counters hold no email or IP address in clear', async (t) => {
  await login(app, 'ada@example.com', 'wrong-password')
  const { rows } = await db.query<{ key: string }>('SELECT key FROM rate_limits')
  t.equal(rows.length, 2, 'one lockout counter and one per-IP counter')
  for (const { key } of rows) {
    t.notMatch(key, /ada|example|127\.0\.0\.1/)
    t.match(key, /^[A-Za-z0-9_-]{43}$/)
  }
})

t.test('the counters are keyed by an HMAC under a key derived from JWT_SECRET, not by a plain hash', async (t) => {
  await login(app, 'Ada@Example.com', 'wrong-password', { remoteAddress: '::ffff:203.0.113.66' })
  const { rows } = await db.query<{ key: string }>('SELECT key FROM rate_limits ORDER BY key')
  const key = Buffer.from(hkdfSync('sha256', TEST_SECRET, '', 'dna-api rate-limit keys', 32))
  const hmac = (clear: string): string => createHmac('sha256', key).update(clear).digest('base64url')
  const sha256 = (clear: string): string => createHash('sha256').update(clear).digest('base64url')
  const clear = ['ip:203.0.113.66', 'login:ada@example.com|203.0.113.66']
  // A lockout key begins with the HMAC of its account alone, so that a password reset finds every lock of the account.
  const lockout = hmac('login:ada@example.com').slice(0, 21) + hmac(clear[1]).slice(21)
  t.same(rows.map((row) => row.key), [hmac(clear[0]), lockout].sort(), 'the per-IP and the lockout counter, each under its HMAC')
  for (const text of clear) t.notOk(rows.some((row) => row.key === sha256(text)), `no plain SHA-256 of ${text}`)

  const rotated = await buildTestApp(t, db, { JWT_SECRET: 'another-secret-that-is-at-least-32-bytes' })
  t.equal((await login(rotated, 'ada@example.com', 'wrong-password', { remoteAddress: '203.0.113.66' })).statusCode, 401)
  const after = await db.query<{ key: string, hits: number }>('SELECT key, hits FROM rate_limits')
  t.equal(after.rows.length, 4, 'another secret keys other counters, which start from zero')
  t.ok(after.rows.every((row) => row.hits === 1))
})

t.test('signup and login share a per-IP limit of AUTH_RATE_LIMIT a minute', async (t) => {
  const limited = await buildTestApp(t, db, { AUTH_RATE_LIMIT: '3' })
  const first = await limited.inject({ method: 'POST', url: '/api/v1/users', payload: { email: 'ada@example.com', password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' } })
  t.equal(first.statusCode, 201)
  t.equal(first.headers['x-ratelimit-limit'], '3')
  t.equal(first.headers['x-ratelimit-remaining'], '2')
  t.equal((await login(limited, 'ada@example.com', PASSWORD)).statusCode, 200)
  t.equal((await login(limited, 'ada@example.com', PASSWORD)).statusCode, 200)

  const refused = await login(limited, 'ada@example.com', PASSWORD)
  t.equal(refused.statusCode, 429)
  t.match(refused.json(), { statusCode: 429, error: 'Too Many Requests', message: /^too many signup, login and account requests from your address; try again in \d+ seconds$/ })
  const retryAfter = Number(refused.headers['retry-after'])
  t.ok(retryAfter > 0 && retryAfter <= 60)
  t.equal(refused.headers['x-ratelimit-remaining'], '0')

  const invalid = await limited.inject({ method: 'POST', url: '/api/v1/users', payload: {} })
  t.equal(invalid.statusCode, 429, 'refused before the body is even looked at')
  t.equal((await login(limited, 'ada@example.com', PASSWORD, { remoteAddress: '198.51.100.20' })).statusCode, 200, 'other addresses are not affected')
})
