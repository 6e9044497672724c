import { mock } from 'node:test'
import t from 'tap'
import { solveChallenge, type Challenge } from 'altcha-lib'
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2'
import type { FastifyInstance } from 'fastify'
import { CAPTCHA_MESSAGES } from '../../src/plugins/app/captcha.js'
import { CAPTCHA_OFF } from '../../src/routes/captcha.js'
import { buildTestApp, PASSWORD, resetData, testDatabase } from '../helper.js'

const db = await testDatabase(t)
// A low difficulty keeps each solve to a few milliseconds; the work is the same in kind.
const ON = { CAPTCHA: 'on', CAPTCHA_DIFFICULTY: '20' }
const app = await buildTestApp(t, db, ON)
const off = await buildTestApp(t, db)
t.beforeEach(async () => { await resetData(db) })

let counter = 0
const signupBody = (fields: Record<string, unknown> = {}): Record<string, unknown> => {
  counter += 1
  return { email: `captcha${counter}@example.com`, password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17', ...fields }
}
const signup = async (target: FastifyInstance, fields: Record<string, unknown> = {}) =>
  await target.inject({ method: 'POST', url: '/api/v1/users', payload: signupBody(fields) })
const users = async (): Promise<number> => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users')).rows[0].n

async function challengeFrom (target: FastifyInstance): Promise<Challenge> {
  const response = await target.inject({ url: '/api/v1/captcha' })
  if (response.statusCode !== 200) throw new Error(`no challenge: ${response.statusCode} ${response.body}`)
  return response.json()
}

/** What the ALTCHA widget submits: the challenge and its solution, as base64 JSON. */
async function solve (challenge: Challenge, overrides: { solution?: Record<string, unknown> } = {}): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey })
  const payload = { challenge: { parameters: challenge.parameters, signature: challenge.signature }, solution: { ...solution, ...overrides.solution } }
  return Buffer.from(JSON.stringify(payload)).toString('base64')
}

const refusal = (message: string) => ({ statusCode: 400, error: 'Bad Request', message })

t.test('with CAPTCHA=on, a challenge is served, never cached, and its solution signs up', async (t) => {
  const response = await app.inject({ url: '/api/v1/captcha' })
  t.equal(response.statusCode, 200)
  t.equal(response.headers['cache-control'], 'no-store')
  const challenge = response.json() as Challenge
  t.match(challenge, {
    parameters: { algorithm: 'PBKDF2/SHA-256', cost: 1000, keyLength: 32, keyPrefix: /^[0-9a-f]{32}$/, keySignature: /^[0-9a-f]{64}$/, nonce: /^[0-9a-f]{32}$/, salt: /^[0-9a-f]{32}$/ },
    signature: /^[0-9a-f]{64}$/
  })
  const ttl = (challenge.parameters.expiresAt as number) - Date.now() / 1000
  t.ok(ttl > 590 && ttl <= 600, `expires in ten minutes (${ttl} s)`)
  t.not((await challengeFrom(app)).signature, challenge.signature, 'each challenge is new')

  const created = await signup(app, { altcha: await solve(challenge) })
  t.equal(created.statusCode, 201)
  t.equal(await users(), 1)
  const { rows } = await db.query<{ signature: string, expires_at: string }>('SELECT signature, expires_at FROM used_captchas')
  t.same(rows.map((row) => row.signature), [challenge.signature], 'the challenge is remembered as used')
  t.equal(Date.parse(rows[0].expires_at), ((challenge.parameters.expiresAt as number) + 600) * 1000, '...until ten minutes after it expires')
})

t.test('the status says whether signup needs a captcha, with a 200 whether it is on or off', async (t) => {
  for (const [target, required] of [[app, true], [off, false]] as const) {
    const response = await target.inject({ url: '/api/v1/captcha/status' })
    t.equal(response.statusCode, 200, `required: ${required}`)
    t.match(response.headers['content-type'], /^application\/json/)
    t.equal(response.headers['cache-control'], 'no-store', 'never cached: it follows the server\'s configuration')
    t.same(response.json(), { required })
  }
  t.equal((await off.inject({ url: '/api/v1/captcha' })).statusCode, 404, 'the challenge itself still answers 404 when off')
  const body = signupBody()
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users', payload: body })).statusCode, 400, 'and required means required')
  t.equal((await off.inject({ method: 'POST', url: '/api/v1/users', payload: body })).statusCode, 201, 'and not required means not')
  t.same((await db.query('SELECT * FROM used_captchas')).rows, [])
})

t.test('with CAPTCHA=on, signup without a solution is refused', async (t) => {
  const response = await signup(app)
  t.equal(response.statusCode, 400)
  t.same(response.json(), refusal('body/altcha is required: solve a challenge (get one from GET /api/v1/captcha) and send its payload'))
  t.equal(await users(), 0)
})

t.test('anything but the solution of one of our challenges is refused', async (t) => {
  const challenge = await challengeFrom(app)
  const valid = JSON.parse(Buffer.from(await solve(challenge), 'base64').toString())
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64')
  const stranger = await buildTestApp(t, db, { ...ON, JWT_SECRET: 'another-server-with-another-secret-of-32-bytes' })

  const forgeries: Array<[string, string]> = [
    ['not base64 at all', 'not base64 at all!'],
    ['base64 of text', Buffer.from('hello').toString('base64')],
    ['null', encode(null)],
    ['an empty object', encode({})],
    ['no solution', encode({ challenge: valid.challenge })],
    ['a v1 payload', encode({ algorithm: 'SHA-256', challenge: 'abc', number: 1, salt: 'x', signature: 'y' })],
    ['a counter out of range', encode({ ...valid, solution: { ...valid.solution, counter: -1 } })],
    ['unsigned', encode({ ...valid, challenge: { parameters: valid.challenge.parameters } })],
    ['an easier cost', encode({ ...valid, challenge: { ...valid.challenge, parameters: { ...valid.challenge.parameters, cost: 1 } } })],
    ['a later expiry', encode({ ...valid, challenge: { ...valid.challenge, parameters: { ...valid.challenge.parameters, expiresAt: valid.challenge.parameters.expiresAt + 3600 } } })],
    ['another signature', encode({ ...valid, challenge: { ...valid.challenge, signature: 'f'.repeat(64) } })],
    ['a challenge from another server', await solve(await challengeFrom(stranger))],
    ['an extra parameter', encode({ ...valid, challenge: { ...valid.challenge, parameters: { ...valid.challenge.parameters, data: {} } } })]
  ]
  for (const [what, altcha] of forgeries) {
    const response = await signup(app, { altcha })
    t.equal(response.statusCode, 400, what)
    t.same(response.json(), refusal('body/altcha is not the solution of a challenge issued by this server; get one from GET /api/v1/captcha'), what)
  }

  const wrongKey = await signup(app, { altcha: await solve(challenge, { solution: { derivedKey: '00'.repeat(32) } }) })
  t.same(wrongKey.json(), refusal('body/altcha does not solve its challenge; solve it again'))
  t.equal(await users(), 0)
  t.equal((await signup(app, { altcha: encode(valid) })).statusCode, 201, 'the genuine solution still works after all that')
})

t.test('an expired challenge is refused', async (t) => {
  const altcha = await solve(await challengeFrom(app))
  mock.timers.enable({ apis: ['Date'], now: Date.now() + 601_000 })
  t.teardown(() => mock.timers.reset())
  const response = await signup(app, { altcha })
  t.equal(response.statusCode, 400)
  t.same(response.json(), refusal('body/altcha solves a challenge that has expired (they last 10 minutes); get one from GET /api/v1/captcha'))
})

t.test('a solution serves one signup attempt, on any instance', async (t) => {
  const other = await buildTestApp(t, db, ON)
  const reused = refusal('body/altcha has already been used; each solution is good for one signup attempt: get one from GET /api/v1/captcha')
  const altcha = await solve(await challengeFrom(app))
  t.equal((await signup(app, { altcha })).statusCode, 201)
  t.same((await signup(app, { altcha })).json(), reused)
  t.same((await signup(other, { altcha })).json(), reused, 'another instance knows it was used')

  const raced = await solve(await challengeFrom(other))
  const responses = await Promise.all([signup(app, { altcha: raced }), signup(other, { altcha: raced }), signup(other, { altcha: raced })])
  t.same(responses.map((r) => r.statusCode).sort(), [201, 400, 400], 'sent at the same moment to two instances: one signup')
  t.equal(await users(), 2)
  t.equal(CAPTCHA_MESSAGES.reused, reused.message)
})

t.test('a refused signup uses the solution up, unless its body was malformed', async (t) => {
  const altcha = await solve(await challengeFrom(app))
  const malformed = await signup(app, { altcha, dob: 'yesterday' })
  t.equal(malformed.statusCode, 400)
  t.equal(malformed.json().message, 'body/dob must be a real date written YYYY-MM-DD')
  const weak = await signup(app, { altcha, password: 'password123' })
  t.equal(weak.statusCode, 400)
  t.match(weak.json().message, /^body\/password is too easy to guess/)
  t.equal((await signup(app, { altcha })).json().message, CAPTCHA_MESSAGES.reused,
    'so that a script cannot probe, say, which emails are taken with one solution')
})

t.test('with CAPTCHA=off (the default), there is no challenge and the field is ignored', async (t) => {
  const response = await off.inject({ url: '/api/v1/captcha' })
  t.equal(response.statusCode, 404)
  t.same(response.json(), { statusCode: 404, error: 'Not Found', message: CAPTCHA_OFF })
  t.equal(CAPTCHA_OFF, 'the captcha is off on this server (CAPTCHA=off): sign up without an altcha field')

  t.equal((await signup(off)).statusCode, 201, 'API clients keep working unchanged')
  t.equal((await signup(off, { altcha: 'anything, from a page loaded while the captcha was on' })).statusCode, 201)
  const typed = await signup(off, { altcha: 42 })
  t.equal(typed.statusCode, 400)
  t.equal(typed.json().message, 'body/altcha must be a string')
  t.equal(await users(), 2)
  t.same((await db.query('SELECT * FROM used_captchas')).rows, [], 'nothing is checked or stored')
})
