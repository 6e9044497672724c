// Passkeys through HTTP with honest WebAuthn answers from a software authenticator: adding,
// listing and deleting them; passwordless login (two factors, the counter, the lockout); and every
// way an answer can be wrong (origin, RP id, challenge unknown, used, expired or another's,
// signature, counter), each a 400 that stores nothing.
import { generateKeyPairSync } from 'node:crypto'
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { auth, buildTestApp, PASSWORD, resetData, signUp, signUpAdmin, testDatabase } from '../helper.js'
import { clientData, SoftAuthenticator, type CeremonyOptions } from '../webauthn-support.js'
import {
  BAD_ATTESTATION, BAD_SIGNATURE, CHALLENGE_INVALID, CLIENT_DATA_INVALID, PASSKEY_TAKEN, UNKNOWN_PASSKEY
} from '../../src/accounts/passkeys.js'

const db = await testDatabase(t)
const ORIGIN = 'https://dna.example.com'
const RP_ID = 'dna.example.com'
const app = await buildTestApp(t, db, { PUBLIC_URL: `${ORIGIN}/`, ADMIN_MFA: 'required' })
t.beforeEach(async () => await resetData(db))

const registrationOptions = async (token: string): Promise<LightMyRequestResponse> =>
  await app.inject({ method: 'POST', url: '/api/v1/users/me/passkeys/options', headers: auth(token) })
const add = async (token: string, response: unknown, name = 'Laptop'): Promise<LightMyRequestResponse> =>
  await app.inject({ method: 'POST', url: '/api/v1/users/me/passkeys', headers: auth(token), payload: { response, name } })
const list = async (token: string): Promise<Array<{ id: string, name: string, created_at: string, last_used_at: string | null }>> =>
  (await app.inject({ url: '/api/v1/users/me/passkeys', headers: auth(token) })).json().passkeys
const loginOptions = async (server: FastifyInstance = app): Promise<LightMyRequestResponse> =>
  await server.inject({ method: 'POST', url: '/api/v1/users/login/passkey/options' })
const login = async (response: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
  await app.inject({ method: 'POST', url: '/api/v1/users/login/passkey', headers, payload: { response } })

/** The options of a ceremony as an honest browser on the service's origin reads them. */
const ceremony = (options: LightMyRequestResponse, changes: Partial<CeremonyOptions> = {}): CeremonyOptions =>
  ({ challenge: options.json().challenge, origin: ORIGIN, rpId: RP_ID, ...changes })

/** Signs up and adds the authenticator's passkey: the account's token. */
async function withPasskey (authenticator: SoftAuthenticator, fields: Record<string, unknown> = {}): Promise<string> {
  const { token } = await signUp(app, fields)
  const added = await add(token, authenticator.register(ceremony(await registrationOptions(token))))
  if (added.statusCode !== 201) throw new Error(added.body)
  return token
}

const storedPasskeys = async (): Promise<number> => Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM passkeys')).rows[0].n)

t.test('registration options: a discoverable credential for the host of PUBLIC_URL, not the account\'s passkeys again', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  const first = await registrationOptions(token)
  t.equal(first.statusCode, 200)
  t.match(first.json(), {
    rp: { id: RP_ID, name: 'dna-api' },
    user: { name: 'ada@example.com' },
    challenge: /^[A-Za-z0-9_-]{20,}$/,
    excludeCredentials: [],
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
    attestation: 'none',
    timeout: 300_000
  })
  t.not(first.json().user.id, String(user.id), 'the user handle is not the account id')

  const authenticator = new SoftAuthenticator()
  t.equal((await add(token, authenticator.register(ceremony(first)))).statusCode, 201)
  const second = await registrationOptions(token)
  t.not(second.json().challenge, first.json().challenge, 'a new challenge each time')
  t.same(second.json().user.id, first.json().user.id, 'the same user handle each time')
  t.same(second.json().excludeCredentials, [{ id: authenticator.id, type: 'public-key', transports: ['internal'] }])

  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users/me/passkeys/options' })).statusCode, 401, 'a token is needed')
})

t.test('adding, listing and deleting passkeys', async (t) => {
  const { token } = await signUp(app)
  const laptop = new SoftAuthenticator()
  const response = await add(token, laptop.register(ceremony(await registrationOptions(token))), 'Work laptop')
  t.equal(response.statusCode, 201)
  const passkey = response.json()
  t.same(Object.keys(passkey).sort(), ['created_at', 'id', 'last_used_at', 'name'])
  t.match(passkey, { name: 'Work laptop', last_used_at: null })
  t.ok(Math.abs(Date.parse(passkey.created_at) - Date.now()) < 60_000)

  const phone = new SoftAuthenticator()
  // A browser may not tell the authenticator's transports.
  const answer = phone.register(ceremony(await registrationOptions(token)))
  const { transports: _, ...untold } = answer.response
  t.equal((await add(token, { ...answer, response: untold }, 'Phone')).statusCode, 201)
  t.same((await list(token)).map((listed) => listed.name), ['Work laptop', 'Phone'], 'oldest first')

  const other = await signUp(app)
  t.same(await list(other.token), [], 'another account sees none of them')
  const foreign = await app.inject({ method: 'DELETE', url: `/api/v1/users/me/passkeys/${passkey.id}`, headers: auth(other.token) })
  t.equal(foreign.statusCode, 404)
  t.match(foreign.json(), { statusCode: 404, error: 'Not Found', message: `no passkey of yours with id ${passkey.id}` })
  t.equal((await list(token)).length, 2, 'and it is still there')

  const deleted = await app.inject({ method: 'DELETE', url: `/api/v1/users/me/passkeys/${passkey.id}`, headers: auth(token) })
  t.equal(deleted.statusCode, 204)
  t.same((await list(token)).map((listed) => listed.name), ['Phone'])
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/me/passkeys/${passkey.id}`, headers: auth(token) })).statusCode, 404, 'gone')
  t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/users/me/passkeys/nope', headers: auth(token) })).statusCode, 400, 'not an id')

  const login = await app.inject({
    method: 'POST', url: '/api/v1/users/login/passkey', payload: { response: laptop.authenticate(ceremony(await loginOptions())) }
  })
  t.equal(login.statusCode, 400, 'a deleted passkey logs in no more')
  t.equal(login.json().message, UNKNOWN_PASSKEY)
})

t.test('a registration answer that is wrong is a 400 naming the problem, and nothing is stored', async (t) => {
  const { token } = await signUp(app)
  const other = await signUp(app)
  const authenticator = new SoftAuthenticator()
  const refused = async (response: unknown, message: string | RegExp, what: string): Promise<void> => {
    const answer = await add(token, response)
    t.equal(answer.statusCode, 400, what)
    t.match(answer.json(), { statusCode: 400, error: 'Bad Request', message }, what)
  }

  await refused(authenticator.register(ceremony(await registrationOptions(token), { origin: 'https://dna.example.com.evil.test' })),
    /^body\/response: Unexpected registration response origin "https:\/\/dna\.example\.com\.evil\.test"/, 'another origin')
  await refused(authenticator.register(ceremony(await registrationOptions(token), { rpId: 'evil.test' })),
    /^body\/response: .*RP ID/, 'another RP id')
  await refused(authenticator.register(ceremony(await registrationOptions(token), { challenge: 'bm90LWlzc3VlZA' })), CHALLENGE_INVALID, 'a challenge never issued')
  await refused(authenticator.register(ceremony(await registrationOptions(other.token))), CHALLENGE_INVALID, 'another account\'s challenge')
  await refused(authenticator.register(ceremony(await loginOptions())), CHALLENGE_INVALID, 'a login challenge')

  const expiring = await registrationOptions(token)
  await db.query("UPDATE webauthn_challenges SET expires_at = now() - interval '1 second' WHERE challenge = $1", [expiring.json().challenge])
  await refused(authenticator.register(ceremony(expiring)), CHALLENGE_INVALID, 'an expired challenge')

  const wrongThenRight = await registrationOptions(token)
  await refused(authenticator.register(ceremony(wrongThenRight, { origin: 'https://evil.test' })), /origin/, 'a wrong answer...')
  await refused(authenticator.register(ceremony(wrongThenRight)), CHALLENGE_INVALID, '...spends its challenge')

  const register = authenticator.register(ceremony(await registrationOptions(token)))
  await refused({ ...register, response: { ...register.response, clientDataJSON: 'bm90LWpzb24' } }, CLIENT_DATA_INVALID, 'client data that is not JSON')
  await refused({ ...register, response: { ...register.response, clientDataJSON: clientData({ type: 'webauthn.create', origin: ORIGIN }) } },
    CHALLENGE_INVALID, 'client data without a challenge')

  const { privateKey: stranger } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  await refused(authenticator.register(ceremony(await registrationOptions(token)), stranger), BAD_ATTESTATION, 'an attestation signed by another key')

  t.equal(await storedPasskeys(), 0, 'nothing stored')

  t.equal((await add(token, authenticator.register(ceremony(await registrationOptions(token))))).statusCode, 201, 'the right answer works')
  const again = await add(other.token, authenticator.register(ceremony(await registrationOptions(other.token))))
  t.equal(again.statusCode, 409, 'a credential registered already, even by another account')
  t.equal(again.json().message, PASSKEY_TAKEN)
  t.equal(await storedPasskeys(), 1)
})

t.test('the body is checked by its schema: the name is 1 to 64 printable characters', async (t) => {
  const { token } = await signUp(app)
  const authenticator = new SoftAuthenticator()
  for (const [name, what] of [['', 'empty'], ['x'.repeat(65), '65 characters'], ['   ', 'only spaces'], ['Lap\u0007top', 'a control character']]) {
    const answer = await add(token, authenticator.register(ceremony(await registrationOptions(token))), name)
    t.equal(answer.statusCode, 400, what)
    t.match(answer.json().message, /^body\/name /, what)
  }
  t.equal((await add(token, authenticator.register(ceremony(await registrationOptions(token))), 'x'.repeat(64))).statusCode, 201, '64 characters')
  const missing = await app.inject({ method: 'POST', url: '/api/v1/users/me/passkeys', headers: auth(token), payload: { name: 'Laptop' } })
  t.equal(missing.statusCode, 400)
  t.match(missing.json().message, /response/)
  const extra = await app.inject({ method: 'POST', url: '/api/v1/users/me/passkeys', headers: auth(token), payload: { name: 'Laptop', response: {}, role: 'admin' } })
  t.equal(extra.statusCode, 400)
})

t.test('logging in with a passkey: the usual token, a session of two factors, the counter kept', async (t) => {
  const authenticator = new SoftAuthenticator()
  await withPasskey(authenticator, { email: 'ada@example.com' })

  const options = await loginOptions()
  t.equal(options.statusCode, 200)
  t.match(options.json(), { rpId: RP_ID, userVerification: 'preferred', timeout: 300_000, challenge: /^[A-Za-z0-9_-]{20,}$/ })
  t.notOk('allowCredentials' in options.json() && options.json().allowCredentials.length > 0, 'no credentials listed: discoverable')

  const response = await login(authenticator.authenticate(ceremony(options)), { 'user-agent': 'Passkey browser' })
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.match(body, { token_type: 'Bearer', expires_in: 3600, user: { email: 'ada@example.com', mfa_enabled: false } })
  t.same(Object.keys(body).sort(), ['expires_in', 'jwt_token', 'token_type', 'user'])

  const me = await app.inject({ url: '/api/v1/users/me', headers: auth(body.jwt_token) })
  t.equal(me.statusCode, 200)
  const sessions = (await app.inject({ url: '/api/v1/users/me/sessions', headers: auth(body.jwt_token) })).json().sessions
  t.match(sessions.find((session: { current: boolean }) => session.current), { second_factor: 'passkey', user_agent: 'Passkey browser' })

  const [passkey] = await list(body.jwt_token)
  t.ok(passkey.last_used_at !== null && Math.abs(Date.parse(passkey.last_used_at) - Date.now()) < 60_000, 'last used now')
  t.same((await db.query('SELECT counter::int AS counter FROM passkeys')).rows, [{ counter: 1 }], 'the counter is kept')
  t.same((await db.query("SELECT 1 FROM mail_outbox WHERE template = 'new_device_login'")).rows.length, 1, 'a new device is told of, as for a password login')

  t.equal((await login(authenticator.authenticate(ceremony(await loginOptions())), { 'user-agent': 'Passkey browser' })).statusCode, 200, 'again')
  t.same((await db.query('SELECT counter::int AS counter FROM passkeys')).rows, [{ counter: 2 }])
  t.same((await db.query("SELECT 1 FROM mail_outbox WHERE template = 'new_device_login'")).rows.length, 1, 'a known device is not')
})

t.test('a login answer that is wrong is a 400 naming the problem, and changes nothing', async (t) => {
  const authenticator = new SoftAuthenticator()
  const token = await withPasskey(authenticator)
  const refused = async (response: unknown, message: string | RegExp, what: string): Promise<void> => {
    const answer = await login(response)
    t.equal(answer.statusCode, 400, what)
    t.match(answer.json(), { statusCode: 400, error: 'Bad Request', message }, what)
    // Unlocked between attempts: this test is about each answer, the lockout has its own.
    await db.query('DELETE FROM rate_limits')
  }

  await refused(authenticator.authenticate(ceremony(await loginOptions(), { origin: 'https://evil.test' })),
    /^body\/response: Unexpected authentication response origin "https:\/\/evil\.test"/, 'another origin')
  await refused(authenticator.authenticate(ceremony(await loginOptions(), { rpId: 'evil.test' })), /^body\/response: .*RP ID/, 'another RP id')
  await refused(authenticator.authenticate(ceremony(await loginOptions(), { challenge: 'bm90LWlzc3VlZA' })), CHALLENGE_INVALID, 'a challenge never issued')
  await refused(authenticator.authenticate(ceremony(await registrationOptions(token))), CHALLENGE_INVALID, 'a registration challenge')
  const expiring = await loginOptions()
  await db.query("UPDATE webauthn_challenges SET expires_at = now() - interval '1 second' WHERE challenge = $1", [expiring.json().challenge])
  await refused(authenticator.authenticate(ceremony(expiring)), CHALLENGE_INVALID, 'an expired challenge')

  const { privateKey: stranger } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  await refused(authenticator.authenticate(ceremony(await loginOptions()), stranger), BAD_SIGNATURE, 'signed by another key')
  await refused(new SoftAuthenticator().authenticate(ceremony(await loginOptions())), UNKNOWN_PASSKEY, 'a passkey no account has')

  const good = authenticator.authenticate(ceremony(await loginOptions()))
  t.equal((await login(good)).statusCode, 200, 'the right answer works')
  await refused(good, CHALLENGE_INVALID, 'and works once')

  const stored = async (): Promise<number> => (await db.query<{ counter: number }>('SELECT counter::int AS counter FROM passkeys')).rows[0].counter
  const kept = await stored()
  t.equal(kept, authenticator.counter - 1, 'the good login\'s counter is kept')
  authenticator.counter = kept
  await refused(authenticator.authenticate(ceremony(await loginOptions())),
    `body/response: Response counter value ${kept} was lower than expected ${kept}`, 'a counter that did not grow')
  authenticator.counter = kept - 1
  await refused(authenticator.authenticate(ceremony(await loginOptions())),
    `body/response: Response counter value ${kept - 1} was lower than expected ${kept}`, 'a counter that went backwards')
  t.equal(await stored(), kept, 'the counter is as the good login left it')
  t.equal((await db.query('SELECT 1 FROM sessions')).rows.length, 2, 'the signup\'s session and the good login\'s, no other')
})

t.test('wrong answers count toward the login lockout of the passkey\'s account', async (t) => {
  const authenticator = new SoftAuthenticator()
  await withPasskey(authenticator, { email: 'ada@example.com' })
  for (let attempt = 1; attempt <= 3; attempt++) {
    t.equal((await login(authenticator.authenticate(ceremony(await loginOptions(), { origin: 'https://evil.test' })))).statusCode, 400, `attempt ${attempt}`)
  }
  const locked = await login(authenticator.authenticate(ceremony(await loginOptions())))
  t.equal(locked.statusCode, 429, 'then even the right passkey is refused')
  t.ok(Number(locked.headers['retry-after']) > 0)
  const password = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: PASSWORD } })
  t.equal(password.statusCode, 429, 'the same lock as the password\'s')
})

t.test('a successful passkey login ends the failure streak', async (t) => {
  const authenticator = new SoftAuthenticator()
  await withPasskey(authenticator, { email: 'ada@example.com' })
  for (let attempt = 1; attempt <= 2; attempt++) {
    await login(authenticator.authenticate(ceremony(await loginOptions(), { origin: 'https://evil.test' })))
  }
  t.equal((await login(authenticator.authenticate(ceremony(await loginOptions())))).statusCode, 200)
  for (let attempt = 1; attempt <= 2; attempt++) {
    await login(authenticator.authenticate(ceremony(await loginOptions(), { origin: 'https://evil.test' })))
  }
  t.equal((await login(authenticator.authenticate(ceremony(await loginOptions())))).statusCode, 200, 'two more failures do not lock')
})

t.test('with ADMIN_MFA=required, an admin who logged in with a passkey passes the admin gate', async (t) => {
  const authenticator = new SoftAuthenticator()
  const { token } = await signUpAdmin(app, db, { email: 'admin@example.com' })
  t.equal((await add(token, authenticator.register(ceremony(await registrationOptions(token))))).statusCode, 201)
  const byPassword = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'admin@example.com', password: PASSWORD } })
  const gated = await app.inject({ url: '/api/v1/users', headers: auth(byPassword.json().jwt_token) })
  t.equal(gated.statusCode, 403, 'a password alone does not')
  t.equal(gated.json().message, 'two-factor authentication is required for admin access')
  const byPasskey = await login(authenticator.authenticate(ceremony(await loginOptions())))
  t.equal((await app.inject({ url: '/api/v1/users', headers: auth(byPasskey.json().jwt_token) })).statusCode, 200, 'a passkey does')
})

t.test('a challenge begun on one instance is finished on another', async (t) => {
  const other = await buildTestApp(t, db, { PUBLIC_URL: ORIGIN })
  const authenticator = new SoftAuthenticator()
  await withPasskey(authenticator)
  t.equal((await login(authenticator.authenticate(ceremony(await loginOptions(other))))).statusCode, 200)
})

t.test('housekeeping deletes expired challenges, and only those', async (t) => {
  await loginOptions()
  const expiring = await loginOptions()
  await db.query("UPDATE webauthn_challenges SET expires_at = now() - interval '1 second' WHERE challenge = $1", [expiring.json().challenge])
  t.equal((await app.housekeeping()).webauthnChallenges, 1)
  t.equal((await db.query('SELECT 1 FROM webauthn_challenges')).rows.length, 1)
})
