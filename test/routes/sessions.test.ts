// The sessions a person can see: listing, ending one, the throttled last-used time, and the
// notice mailed for a login from a new device (through a real SMTP server).
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { Database } from '../../src/db/database.js'
import { auth, buildTestApp, PASSWORD, resetData, signUp, testDatabase } from '../helper.js'
import { deliver, mailServer } from '../mail-support.js'

const db = await testDatabase(t)
const smtp = await mailServer(t)

/** Every query the app makes, by its text or prepared statement's name. */
const queries: string[] = []
const counting: Database = new Proxy(db, {
  get (target, property, receiver) {
    if (property === 'query') {
      return async (text: Parameters<Database['query']>[0], params?: unknown[]) => {
        queries.push(typeof text === 'string' ? text : text.name)
        return await target.query(text, params)
      }
    }
    const value = Reflect.get(target, property, receiver)
    return typeof value === 'function' ? value.bind(target) : value
  }
})
const app = await buildTestApp(t, counting, { SMTP_URL: smtp.url, PUBLIC_URL: 'https://dna.example.com' })
t.beforeEach(async () => {
  await resetData(db)
  smtp.mails.length = 0
})

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0'
const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1'

const login = async (email: string, headers: Record<string, string> = {}): Promise<string> => {
  const response = await app.inject({ method: 'POST', url: '/api/v1/users/login', headers, payload: { email, password: PASSWORD } })
  if (response.statusCode !== 200) throw new Error(response.body)
  return response.json().jwt_token
}
const list = async (token: string): Promise<LightMyRequestResponse> => await app.inject({ url: '/api/v1/users/me/sessions', headers: auth(token) })
const end = async (token: string, id: string): Promise<LightMyRequestResponse> =>
  await app.inject({ method: 'DELETE', url: `/api/v1/users/me/sessions/${id}`, headers: auth(token) })

t.test('the list shows every live session with its device, the calling one marked', async (t) => {
  const { token: signupToken } = await signUp(app, { email: 'ada@example.com' })
  const firefox = await login('ada@example.com', { 'user-agent': FIREFOX })
  const safari = await login('ada@example.com', { 'user-agent': SAFARI, 'x-forwarded-for': '203.0.113.7' })
  const response = await list(firefox)
  t.equal(response.statusCode, 200)
  const { sessions } = response.json()
  t.equal(sessions.length, 3)
  t.same(sessions.map((session: { current: boolean }) => session.current).filter(Boolean), [true], 'one is current')
  const current = sessions.find((session: { current: boolean }) => session.current)
  t.match(current, { user_agent: FIREFOX, ip: '127.0.0.1', second_factor: null })
  for (const session of sessions) {
    t.same(Object.keys(session).sort(), ['created_at', 'current', 'expires_at', 'id', 'ip', 'last_used_at', 'second_factor', 'user_agent'])
    t.ok(Date.parse(session.created_at) <= Date.parse(session.last_used_at) + 1000)
  }
  t.ok(sessions.some((session: { user_agent: string }) => session.user_agent === SAFARI), 'the other device')
  t.notOk(sessions.some((session: { ip: string }) => session.ip === '203.0.113.7'), 'X-Forwarded-For is not believed without TRUST_PROXY')
  t.equal((await list(safari)).json().sessions.find((session: { current: boolean }) => session.current).user_agent, SAFARI)
  t.equal((await list(signupToken)).statusCode, 200)

  const grace = await signUp(app, { email: 'grace@example.com' })
  t.equal((await list(grace.token)).json().sessions.length, 1, 'only one\'s own')

  const anonymous = await login('grace@example.com', { 'user-agent': '' })
  t.equal((await list(anonymous)).json().sessions.find((session: { current: boolean }) => session.current).user_agent, null, 'no User-Agent: null')
})

t.test('ending a session logs it out; another user\'s or an unknown id is a 404', async (t) => {
  const { token } = await signUp(app, { email: 'ada@example.com' })
  const other = await login('ada@example.com', { 'user-agent': FIREFOX })
  const grace = await signUp(app, { email: 'grace@example.com' })
  const [graceSession] = (await list(grace.token)).json().sessions

  const foreign = await end(token, graceSession.id)
  t.equal(foreign.statusCode, 404)
  t.equal(foreign.json().message, `no session of yours with id ${graceSession.id}`)
  t.equal((await list(grace.token)).statusCode, 200, 'and grace is still logged in')
  t.equal((await end(token, '00000000-0000-4000-8000-000000000000')).statusCode, 404)
  const malformed = await end(token, 'not-a-uuid')
  t.equal(malformed.statusCode, 400)
  t.match(malformed.json().message, /^params\/id /)

  const otherId = (await list(other)).json().sessions.find((session: { current: boolean }) => session.current).id
  t.equal((await end(token, otherId)).statusCode, 204)
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(other) })).statusCode, 401, 'that token is dead')
  t.equal((await list(token)).json().sessions.length, 1)
  t.equal((await end(token, otherId)).statusCode, 404, 'already ended')

  const mine = (await list(token)).json().sessions[0].id
  t.equal((await end(token, mine)).statusCode, 204, 'ending the calling one is a logout')
  t.equal((await list(token)).statusCode, 401)
})

t.test('last_used_at is written at most once every 5 minutes: GET /me is one query', async (t) => {
  const { token } = await signUp(app, { email: 'ada@example.com' })
  const lastUsed = async (): Promise<string> => (await db.query<{ at: string }>('SELECT last_used_at::text AS at FROM sessions')).rows[0].at
  const before = await lastUsed()

  queries.length = 0
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(token) })).statusCode, 200)
  t.same(queries, ['sessions.find-user-and-state'], 'a fresh session: the one query, no write')
  t.equal(await lastUsed(), before)

  await db.query("UPDATE sessions SET last_used_at = now() - interval '6 minutes'")
  const stale = await lastUsed()
  queries.length = 0
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(token) })).statusCode, 200)
  t.equal(queries.length, 2, 'a session unused for over 5 minutes: one write')
  t.ok(await lastUsed() > stale, 'last_used_at moved')

  queries.length = 0
  await app.inject({ url: '/api/v1/users/me', headers: auth(token) })
  t.equal(queries.length, 1, 'and the next request is back to one query')
})

t.test('a login from a new device or address mails a notice; a known one does not', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  await deliver(app, smtp, 1) // the verification mail
  const notices = async (): Promise<number> =>
    (await db.query("SELECT 1 FROM mail_outbox WHERE template = 'new_device_login'")).rows.length

  await login('ada@example.com')
  t.equal(await notices(), 0, 'the device of the signup is known')

  await login('ada@example.com', { 'user-agent': FIREFOX })
  const [, mail] = await deliver(app, smtp, 2)
  t.equal(mail.to, 'ada@example.com')
  t.equal(mail.subject, 'A new device logged in to your dna-api account')
  t.match(mail.text, /end that session under "Devices"/)
  t.notMatch(mail.text, /Firefox|127\.0\.0\.1/, 'nothing the device sent is repeated in the mail')

  await login('ada@example.com', { 'user-agent': FIREFOX })
  t.equal(await notices(), 1, 'the same device again: no second notice')
})
