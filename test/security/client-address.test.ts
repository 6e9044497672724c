// The client's address behind proxies: a client cannot choose the address the lockout and the
// per-IP limit count it under, whatever it writes in X-Forwarded-For, and one client is one
// counter however its address is spelled.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, PASSWORD, resetData, signUp, testDatabase } from '../helper.js'

const db = await testDatabase(t)
t.beforeEach(async () => { await resetData(db) })

/** Heroku's router (or one load balancer): it connects from 10.0.0.1 and appends the client's address. */
const ROUTER = '10.0.0.1'
const throughRouter = (forwardedFor: string): { remoteAddress: string, headers: Record<string, string> } =>
  ({ remoteAddress: ROUTER, headers: { 'x-forwarded-for': forwardedFor } })

const login = async (app: FastifyInstance, password: string, from: { remoteAddress?: string, headers?: Record<string, string> }): Promise<number> =>
  (await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password }, ...from })).statusCode

const statuses = async (app: FastifyInstance, password: string, froms: Array<Parameters<typeof login>[2]>): Promise<number[]> => {
  const seen = []
  for (const from of froms) seen.push(await login(app, password, from))
  return seen
}

t.test('behind one proxy, a made-up X-Forwarded-For entry does not escape the lockout', async (t) => {
  const app = await buildTestApp(t, db, { TRUST_PROXY: '1' })
  await signUp(app, { email: 'ada@example.com' })
  // The attacker at 203.0.113.66 writes a new "address" before the one the router appends.
  const attempts = Array.from({ length: 20 }, (_, i) => throughRouter(`198.51.100.${i}, 203.0.113.66`))
  t.same(await statuses(app, 'wrong-password', attempts), [401, 401, 401, ...Array(17).fill(429)])
  t.equal(await login(app, PASSWORD, throughRouter('192.0.2.1, 203.0.113.66')), 429, 'the right password is refused too')
})

t.test('an attacker cannot lock a victim out by writing the victim\'s address first', async (t) => {
  const app = await buildTestApp(t, db, { TRUST_PROXY: '1' })
  await signUp(app, { email: 'ada@example.com' })
  const victim = '192.0.2.44'
  t.same(await statuses(app, 'wrong-password', Array(4).fill(throughRouter(`${victim}, 203.0.113.66`))), [401, 401, 401, 429])
  t.equal(await login(app, PASSWORD, throughRouter(victim)), 200, 'the victim logs in from their own address')
})

t.test('the per-IP limit counts the address the proxy saw, not the ones the client made up', async (t) => {
  const app = await buildTestApp(t, db, { TRUST_PROXY: '1', AUTH_RATE_LIMIT: '5' })
  await signUp(app, { email: 'ada@example.com' })
  const attempts = Array.from({ length: 6 }, (_, i) => throughRouter(`198.51.100.${i}, 203.0.113.66`))
  t.same(await statuses(app, PASSWORD, attempts), [200, 200, 200, 200, 200, 429])
  t.equal(await login(app, PASSWORD, throughRouter('198.51.100.200, 192.0.2.9')), 200, 'another client behind the router')
})

t.test('with no proxy trusted, X-Forwarded-For is ignored', async (t) => {
  const app = await buildTestApp(t, db, { TRUST_PROXY: 'false' })
  await signUp(app, { email: 'ada@example.com' })
  const attempts = Array.from({ length: 4 }, (_, i) => ({ remoteAddress: '203.0.113.66', headers: { 'x-forwarded-for': `198.51.100.${i}` } }))
  t.same(await statuses(app, 'wrong-password', attempts), [401, 401, 401, 429])
})

t.test('a hop count trusts that many proxies, counted from the service', async (t) => {
  const app = await buildTestApp(t, db, { TRUST_PROXY: '2' })
  await signUp(app, { email: 'ada@example.com' })
  // A CDN appended the client (203.0.113.66), the load balancer appended the CDN (10.1.2.3).
  const attempts = Array.from({ length: 4 }, (_, i) => throughRouter(`198.51.100.${i}, 203.0.113.66, 10.1.2.3`))
  t.same(await statuses(app, 'wrong-password', attempts), [401, 401, 401, 429])
  t.equal(await login(app, PASSWORD, throughRouter('203.0.113.67, 10.1.2.3')), 200, 'the next client through the same CDN')
})

t.test('a list of proxies trusts those addresses only', async (t) => {
  const app = await buildTestApp(t, db, { TRUST_PROXY: '10.0.0.0/8' })
  await signUp(app, { email: 'ada@example.com' })
  const attempts = Array.from({ length: 4 }, (_, i) => throughRouter(`198.51.100.${i}, 10.9.9.9, 203.0.113.66, 10.1.2.3`))
  t.same(await statuses(app, 'wrong-password', attempts), [401, 401, 401, 429], 'the right-most address outside 10/8 is the client')
  const direct = Array.from({ length: 4 }, (_, i) => ({ remoteAddress: '192.0.2.50', headers: { 'x-forwarded-for': `198.51.100.${i}` } }))
  t.same(await statuses(app, 'wrong-password', direct), [401, 401, 401, 429], 'a client that connects directly is its socket address')
})

t.test('one IPv4 address is one counter however it is spelled', async (t) => {
  const app = await buildTestApp(t, db, { TRUST_PROXY: '1', AUTH_RATE_LIMIT: '6' })
  await signUp(app, { email: 'ada@example.com' })
  // A part with a leading zero is octal, as inet_aton and the URL standard read it: 000 is 0.
  const spellings = ['::ffff:203.0.113.66', '203.000.113.66', '0:0:0:0:0:ffff:cb00:7142']
  t.same(await statuses(app, 'wrong-password', spellings.map(throughRouter)), [401, 401, 401])
  t.equal(await login(app, PASSWORD, { remoteAddress: '203.0.113.66' }), 429, 'locked from the address itself')
  t.equal(await login(app, PASSWORD, { remoteAddress: '::ffff:203.0.113.66' }), 429, 'and from its IPv4-mapped socket address')
  t.equal(await login(app, PASSWORD, throughRouter('::FFFF:CB00:7142')), 429, 'the per-IP limit, one signup and five logins later, counts them as one too')
})

t.test('an IPv6 client is its /64, in the lockout and in the per-IP limit', async (t) => {
  const app = await buildTestApp(t, db, { AUTH_RATE_LIMIT: '5' })
  await signUp(app, { email: 'ada@example.com', first_name: 'Ada' })
  const home = ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff:ffff:ffff:ffff']
  t.same(await statuses(app, 'wrong-password', home.map((remoteAddress) => ({ remoteAddress }))), [401, 401, 401])
  t.equal(await login(app, PASSWORD, { remoteAddress: '2001:DB8:1:2:0:0:0:abcd' }), 429, 'a fourth address of the same /64 is locked')
  t.equal(await login(app, PASSWORD, { remoteAddress: '2001:db8:1:3::1' }), 200, 'the next /64 is someone else')
  t.equal(await login(app, PASSWORD, { remoteAddress: '2001:db8:1:2::9' }), 429, 'and the /64 has used up its five requests')
})

t.test('an X-Forwarded-For entry that is no address counts as the proxy\'s address', async (t) => {
  const app = await buildTestApp(t, db, { TRUST_PROXY: '1' })
  await signUp(app, { email: 'ada@example.com' })
  t.same(await statuses(app, 'wrong-password', ['not-an-address', '203.0.113.66:4711', 'x'].map(throughRouter)), [401, 401, 401])
  t.equal(await login(app, PASSWORD, { remoteAddress: ROUTER }), 429)
  t.equal(await login(app, PASSWORD, throughRouter('203.0.113.66')), 200, 'a real address is a client of its own')
})

t.test('a socket address that cannot be parsed is still a counter of its own', async (t) => {
  const app = await buildTestApp(t, db)
  await signUp(app, { email: 'ada@example.com' })
  t.same(await statuses(app, 'wrong-password', Array(4).fill({ remoteAddress: 'unix-socket' })), [401, 401, 401, 429])
  t.equal(await login(app, PASSWORD, { remoteAddress: '203.0.113.66' }), 200)
})
