// Input that would be stored as something other than what was sent, or shown as something other
// than what it is: numbers JSON.parse cannot hold, bytes that are not UTF-8, names that are
// invisible or reorder the text around them, and email local parts longer than RFC 5321 allows.
import fc from 'fast-check'
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { auth, buildTestApp, PASSWORD, resetData, signUp, signUpAdmin, testDatabase, type SignedUp } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
t.beforeEach(async () => { await resetData(db) })

const JSON_TYPE = { 'content-type': 'application/json' }
const ADA = { password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' }

/** A body sent exactly as these bytes or this text, not re-encoded by the test. */
const send = async (method: 'POST' | 'PATCH' | 'PUT', url: string, token: string | undefined, payload: string | Buffer): Promise<LightMyRequestResponse> =>
  await app.inject({ method, url, headers: { ...(token === undefined ? {} : auth(token)), ...JSON_TYPE }, payload })

/** Genetic results go only to a verified address: the account is marked verified first. */
async function putGenetics (admin: SignedUp, id: number, json: string): Promise<LightMyRequestResponse> {
  await db.query('UPDATE users SET email_verified = true WHERE id = $1', [id])
  return await send('PUT', `/api/v1/users/${id}/genetics`, admin.token, `{"policy": "POL-1", "genetic_result": ${json}}`)
}

async function storedGenetics (id: number): Promise<unknown> {
  const { rows } = await db.query<{ genetic_result: string }>('SELECT genetic_result FROM genetic_profiles WHERE user_id = $1', [id])
  // Stored encrypted for this user: what is stored is what decrypts.
  return rows[0] === undefined ? undefined : JSON.parse(app.dataCipher.decrypt(rows[0].genetic_result, id))
}

const OVERFLOW = 'is a number too large to be carried exactly (beyond ±1.8e308): send it as a string'
const UNSAFE = 'is an integer beyond ±9007199254740991 (2^53 - 1), which cannot be carried exactly: send it as a string'

t.test('a number JSON cannot carry exactly is a 400 naming its path, and nothing is stored; any other is stored as sent', async (t) => {
  const admin = await signUpAdmin(app, db)
  const { user } = await signUp(app)
  const cases: Array<[string, string]> = [
    ['{"markers": [1e400]}', `body/genetic_result/markers/0 ${OVERFLOW}`],
    ['{"markers": [1, -1e400]}', `body/genetic_result/markers/1 ${OVERFLOW}`],
    ['{"score": 1.5E+309}', `body/genetic_result/score ${OVERFLOW}`],
    ['{"score": 17976931348623159' + '0'.repeat(292) + '}', `body/genetic_result/score ${OVERFLOW}`],
    ['{"read_count": 12345678901234567890123}', `body/genetic_result/read_count ${UNSAFE}`],
    ['{"read_count": 9007199254740992}', `body/genetic_result/read_count ${UNSAFE}`],
    ['{"read_count": -9007199254740993}', `body/genetic_result/read_count ${UNSAFE}`],
    ['{"a": {"b": [{"c": 1}, {"d": "12345678901234567890", "e": [0, 0, 99999999999999999]}]}}', `body/genetic_result/a/b/1/e/2 ${UNSAFE}`],
    ['{"key \\"quoted\\", with [brackets]": [{}, [], "x", 1e999]}', `body/genetic_result/key "quoted", with [brackets]/3 ${OVERFLOW}`]
  ]
  for (const [json, message] of cases) {
    const response = await putGenetics(admin, user.id, json)
    t.equal(response.statusCode, 400, json)
    t.same(response.json(), { statusCode: 400, error: 'Bad Request', message }, json)
  }
  t.equal(await storedGenetics(user.id), undefined, 'no profile was written')

  // What JSON does carry exactly is stored as sent: fractions that round, big exponents, digits in strings and keys.
  const json = '{"max": 9007199254740991, "min": -9007199254740991, "ratio": 0.1, "big": 1e20, "huge": 1.7976931348623157e308, ' +
    '"tiny": 5e-324, "id": "12345678901234567890123", "12345678901234567890": 0.12345678901234567890}'
  const response = await putGenetics(admin, user.id, json)
  t.equal(response.statusCode, 200)
  const expected = JSON.parse(json) as unknown
  t.same(response.json().genetic_result, expected)
  t.same(await storedGenetics(user.id), expected)
})

t.test('every JSON body is checked, not only genetic results', async (t) => {
  const { token, user } = await signUp(app)
  const me = await send('PATCH', '/api/v1/users/me', token, '{"first_name": "Grace", "dob": 19900417000000000000}')
  t.same(me.json(), { statusCode: 400, error: 'Bad Request', message: `body/dob ${UNSAFE}` })
  const top = await send('POST', '/api/v1/users/logout', token, '-1e400')
  t.same(top.json(), { statusCode: 400, error: 'Bad Request', message: `body ${OVERFLOW}` })
  const { rows } = await db.query('SELECT first_name FROM users WHERE id = $1', [user.id])
  t.same(rows, [{ first_name: 'Ada' }])
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(token) })).statusCode, 200, 'the session was not ended')
})

t.test('property: an unsafe integer anywhere in a genetic result is named by its path; without one the result is stored as sent', async (t) => {
  const admin = await signUpAdmin(app, db)
  const { user } = await signUp(app)
  const key = fc.string({ unit: fc.constantFrom('a', 'b', '1', ' ', '"', '\\', '/', ',', ':', '[', '{', 'é'), minLength: 1, maxLength: 6 })
  const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
    tree: fc.oneof({ depthSize: 'small' },
      fc.maxSafeInteger(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null),
      fc.array(tie('tree'), { maxLength: 4 }),
      fc.dictionary(key, tie('tree'), { maxKeys: 4 }))
  }))
  const unsafe = fc.bigInt({ min: 2n ** 53n, max: 10n ** 30n }).chain((n) => fc.constantFrom(String(n), `-${n}`))
  await fc.assert(fc.asyncProperty(fc.dictionary(key, tree, { maxKeys: 4 }), fc.option(unsafe, { nil: undefined }), async (result, planted) => {
    // Plant the number at the end of the deepest-first walk's last container, keeping the path to it.
    let at: Record<string, unknown> | unknown[] = result
    const path = ['body', 'genetic_result']
    for (;;) {
      const children: Array<[string, unknown]> = Object.entries(at).filter(([, child]) => child !== null && typeof child === 'object')
      if (children.length === 0) break
      const [name, child] = children[children.length - 1]
      path.push(name)
      at = child as Record<string, unknown> | unknown[]
    }
    const MARK = 'planted-number-7f3a'
    if (Array.isArray(at)) { path.push(String(at.length)); at.push(MARK) } else { path.push('planted'); at.planted = MARK }
    const json = planted === undefined
      ? JSON.stringify(result).replace(`"${MARK}"`, '0')
      : JSON.stringify(result).replace(`"${MARK}"`, planted)
    // Doubles such as 1e21 print as integers beyond 2^53: those are refused too, as they should be.
    const printedUnsafe = /(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/.test(json.replace(/"(?:[^"\\]|\\.)*"/g, '""'))
    const response = await putGenetics(admin, user.id, json)
    if (planted !== undefined) {
      t.equal(response.statusCode, 400, json)
      if (!printedUnsafe) t.equal(response.json().message, `${path.join('/')} ${UNSAFE}`, json)
    } else if (!printedUnsafe) {
      t.equal(response.statusCode, 200, json)
      t.same(await storedGenetics(user.id), JSON.parse(json), json)
    }
  }), { numRuns: 40, seed: 4242 })
})

// Bytes no UTF-8 decoder should accept: each used to be stored with U+FFFD in its place.
const NOT_UTF8: Array<[string, number[]]> = [
  ['a lead byte followed by ASCII', [0xC3, 0x28]],
  ['an overlong encoding of /', [0xC0, 0xAF]],
  ['a lone continuation byte', [0x80]],
  ['an encoded UTF-16 surrogate', [0xED, 0xA0, 0x80]],
  ['a code point beyond U+10FFFF', [0xF4, 0x90, 0x80, 0x80]],
  ['a sequence cut short', [0xE2, 0x82]]
]
const withBytes = (before: string, bytes: number[], after: string): Buffer => Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)])
const NOT_UTF8_MESSAGE = { statusCode: 400, error: 'Bad Request', message: 'body is not valid UTF-8: send the text encoded as UTF-8' }

t.test('a body that is not valid UTF-8 is a 400, never repaired, on every route that takes one', async (t) => {
  const admin = await signUpAdmin(app, db)
  const { token, user } = await signUp(app)
  for (const [what, bytes] of NOT_UTF8) {
    const signup = await send('POST', '/api/v1/users', undefined, withBytes(`{"email": "grace@example.com", "password": "${PASSWORD}", "first_name": "Gr`, bytes,
      '", "last_name": "Hopper", "dob": "1906-12-09"}'))
    t.same([signup.statusCode, signup.json()], [400, NOT_UTF8_MESSAGE], `signup: ${what}`)
    const me = await send('PATCH', '/api/v1/users/me', token, withBytes('{"last_name": "Love', bytes, 'lace"}'))
    t.same([me.statusCode, me.json()], [400, NOT_UTF8_MESSAGE], `PATCH /me: ${what}`)
    const genetics = await send('PUT', `/api/v1/users/${user.id}/genetics`, admin.token, withBytes('{"policy": "POL-1", "genetic_result": {"BRCA1": "neg', bytes, '"}}'))
    t.same([genetics.statusCode, genetics.json()], [400, NOT_UTF8_MESSAGE], `genetics: ${what}`)
    const text = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { ...auth(token), 'content-type': 'text/plain' }, payload: Buffer.from(bytes) })
    t.same([text.statusCode, text.json()], [400, NOT_UTF8_MESSAGE], `as text/plain: ${what}`)
  }
  const { rows } = await db.query('SELECT email, last_name FROM users ORDER BY id')
  t.same(rows, [{ email: admin.user.email, last_name: 'Lovelace' }, { email: user.email, last_name: 'Lovelace' }], 'nothing stored or changed')
  t.equal(await storedGenetics(user.id), undefined)

  const fine = await send('PATCH', '/api/v1/users/me', token, Buffer.from('{"first_name": "Zoë 李 🧬"}', 'utf8'))
  t.equal(fine.statusCode, 200, 'text that is UTF-8, in any script, passes')
  t.equal(fine.json().first_name, 'Zoë 李 🧬')
})

t.test('property: any byte string that is not UTF-8 is refused; any that is goes on to be parsed', async (t) => {
  const { token } = await signUp(app)
  await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 12 }), async (bytes) => {
    let valid = true
    try { new TextDecoder('utf-8', { fatal: true }).decode(bytes) } catch { valid = false }
    const response = await send('PATCH', '/api/v1/users/me', token, withBytes('{"first_name": "', [...bytes], '"}'))
    t.equal(response.json().message === NOT_UTF8_MESSAGE.message, !valid, Buffer.from(bytes).toString('hex'))
  }), { numRuns: 60, seed: 99 })
})

const BAD_NAMES: Array<[string, string, string]> = [
  ['only a zero-width space', '\u200B', 'must contain at least one letter'],
  ['only word joiners', '\u2060\u2060', 'must contain at least one letter'],
  ['zero-width spaces and joiners', '\u200B\u200C\u200D', 'must contain at least one letter'],
  ['only a byte-order mark', '\uFEFF', 'must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters'],
  ['digits only', '1234', 'must contain at least one letter'],
  ['a combining mark alone', '\u0301', 'must contain at least one letter'],
  ['a right-to-left override', 'Ada\u202Egnp.exe', 'must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters'],
  ['a left-to-right embedding', '\u202AAda', 'must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters'],
  ['a first-strong isolate', 'Ada\u2068', 'must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters'],
  ['a pop directional isolate', 'A\u2069da', 'must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters'],
  ['a left-to-right mark', '\u200EAda', 'must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters'],
  ['a right-to-left mark', 'Ada\u200F', 'must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters'],
  ['an Arabic letter mark', 'Ada\u061C', 'must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters'],
  ['a C1 control', 'Ada\u0085', 'must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters']
]
const GOOD_NAMES = ['Zoë', 'José María', '李小龍', "O'Brien-Smith", 'Nguyễn', 'محمد', 'Ada 2', 'ʻOumuamua']

t.test('names need a letter and no control or bidirectional-control character: signup', async (t) => {
  for (const [what, name, problem] of BAD_NAMES) {
    for (const field of ['first_name', 'last_name']) {
      const response = await app.inject({ method: 'POST', url: '/api/v1/users', payload: { ...ADA, email: 'grace@example.com', [field]: name } })
      t.same([response.statusCode, response.json()], [400, { statusCode: 400, error: 'Bad Request', message: `body/${field} ${problem}` }], `${field}: ${what}`)
    }
  }
  t.same((await db.query('SELECT count(*)::int AS n FROM users')).rows, [{ n: 0 }], 'no account was created')
  for (const [i, name] of GOOD_NAMES.entries()) {
    const response = await app.inject({ method: 'POST', url: '/api/v1/users', payload: { ...ADA, email: `name${i}@example.com`, first_name: name, last_name: name } })
    t.equal(response.statusCode, 201, name)
    t.match(response.json().user, { first_name: name, last_name: name })
  }
})

t.test('names need a letter and no control or bidirectional-control character: PATCH and PUT /me, and an admin\'s PATCH', async (t) => {
  const admin = await signUpAdmin(app, db)
  const { token, user } = await signUp(app)
  const routes: Array<['PATCH' | 'PUT', string, string]> = [
    ['PATCH', '/api/v1/users/me', token], ['PUT', '/api/v1/users/me', token], ['PATCH', `/api/v1/users/${user.id}`, admin.token]
  ]
  for (const [method, url, caller] of routes) {
    for (const [what, name, problem] of BAD_NAMES) {
      const response = await app.inject({ method, url, headers: auth(caller), payload: { last_name: 'Hopper', first_name: name } })
      t.same([response.statusCode, response.json()], [400, { statusCode: 400, error: 'Bad Request', message: `body/first_name ${problem}` }], `${method} ${url}: ${what}`)
    }
  }
  const { rows } = await db.query('SELECT first_name, last_name FROM users WHERE id = $1', [user.id])
  t.same(rows, [{ first_name: 'Ada', last_name: 'Lovelace' }], 'nothing changed')
  for (const [method, url, caller] of routes) {
    const response = await app.inject({ method, url, headers: auth(caller), payload: { last_name: '  Nguyễn ' } })
    t.equal(response.json().last_name, 'Nguyễn', `${method} ${url}`)
  }
})

const LOCAL_PART = 'body/email must have at most 64 characters before the @'

t.test('an email\'s local part is at most 64 characters, wherever an email is stored', async (t) => {
  const admin = await signUpAdmin(app, db)
  const { token, user } = await signUp(app)
  const long = `${'a'.repeat(65)}@example.com`
  const signup = await app.inject({ method: 'POST', url: '/api/v1/users', payload: { ...ADA, email: long } })
  t.same([signup.statusCode, signup.json()], [400, { statusCode: 400, error: 'Bad Request', message: LOCAL_PART }], 'signup')
  const dotted = await app.inject({ method: 'POST', url: '/api/v1/users', payload: { ...ADA, email: `${'ab.'.repeat(21)}cd@example.com` } })
  t.equal(dotted.json().message, LOCAL_PART, 'dots count as characters of the local part')
  const routes = [
    ['PATCH', '/api/v1/users/me', token, { email: long, current_password: PASSWORD }],
    ['PUT', '/api/v1/users/me', token, { email: long, current_password: PASSWORD }],
    ['PATCH', `/api/v1/users/${user.id}`, admin.token, { email: long }]
  ] as const
  for (const [method, url, caller, payload] of routes) {
    const response = await app.inject({ method, url, headers: auth(caller), payload })
    t.same([response.statusCode, response.json()], [400, { statusCode: 400, error: 'Bad Request', message: LOCAL_PART }], `${method} ${url}`)
  }
  t.same((await db.query('SELECT count(*)::int AS n FROM users WHERE length(email) > 70')).rows, [{ n: 0 }], 'no such email stored')

  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users', payload: { ...ADA, email: `${'a'.repeat(64)}@example.com` } })).statusCode, 201, '64 is fine')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users', payload: { ...ADA, email: 'a'.repeat(70) } })).json().message,
    'body/email must be a valid email address', 'without an @ it is not an email at all')
  const admins = await app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: auth(admin.token), payload: { email: `${'b'.repeat(64)}@example.com` } })
  t.equal(admins.statusCode, 200, 'an admin may set one of 64')
})
