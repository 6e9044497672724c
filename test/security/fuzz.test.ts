// Property-based fuzzing of every route: random and hostile bodies, headers, query strings and
// path parameters, as nobody, with a garbage token, as an ordinary user and as an admin. Whatever
// arrives, the service must answer below 500 with the one error shape, and leave another user's
// data alone. FUZZ_RUNS sets the number of requests (`make fuzz` sends many more); a failure
// prints a seed, and FUZZ_SEED=<seed> replays it.
import fc from 'fast-check'
import t from 'tap'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { auth, buildTestApp, PASSWORD, signUp, signUpAdmin, testDatabase, type SignedUp } from '../helper.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 300)
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)

const db = await testDatabase(t)
const ALLOWED_ORIGIN = 'https://app.example.com'
// Two configurations on one database: the defaults, and every optional defence switched on.
// The limits are lifted so that requests reach the handlers instead of a 429.
const apps = {
  plain: await buildTestApp(t, db, { AUTH_RATE_LIMIT: '1000000', LOGIN_MAX_FAILURES: '1000' }),
  hardened: await buildTestApp(t, db, {
    AUTH_RATE_LIMIT: '1000000', LOGIN_MAX_FAILURES: '1000', TRUST_PROXY: '1', CORS_ORIGINS: ALLOWED_ORIGIN, CAPTCHA: 'on', CAPTCHA_DIFFICULTY: '1'
  })
}

// ---------------------------------------------------------------------------------------------
// The routes, read from the app itself so that a new route is fuzzed without touching this file.

interface Route { method: string, path: string }

/** Parses `printRoutes({ commonPrefix: false })`: `├── segment (GET, HEAD)`, indented four characters a level. */
function listRoutes (app: FastifyInstance): Route[] {
  const routes: Route[] = []
  const parents: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.+?) \(([A-Z, ]+)\)$/.exec(line)
    if (match === null) continue
    const depth = match[1].length / 4
    parents.length = depth
    const path = (parents[depth - 1] ?? '') + match[2]
    parents.push(path)
    for (const method of match[3].split(', ')) routes.push({ method, path })
  }
  return routes
}

// The hardened app has every route the plain one has, and the CORS preflight (OPTIONS *) besides.
const routes = listRoutes(apps.hardened)

// ---------------------------------------------------------------------------------------------
// The people: a victim whose data nobody may change, an attacker with an ordinary account, an admin.

const victim = await signUp(apps.plain, { email: 'victim@example.com', first_name: 'Victoria' })
let attacker = await signUp(apps.plain, { email: 'attacker@example.com' })
let admin = await signUpAdmin(apps.plain, db, { email: 'admin@example.com' })
// Genetic results need a verified address (the link mailed at signup, followed).
await db.query('UPDATE users SET email_verified = true WHERE id = $1', [victim.user.id])
const genetics = await apps.plain.inject({
  method: 'PUT',
  url: `/api/v1/users/${victim.user.id}/genetics`,
  headers: auth(admin.token),
  payload: { genetic_result: { BRCA1: 'negative', markers: [{ rsid: 'rs429358', genotype: 'TT' }] }, policy: 'POL-VICTIM-1' }
})
if (genetics.statusCode !== 200) throw new Error(`setting the victim's genetics failed: ${genetics.body}`)
await apps.plain.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'victim@example.com', password: PASSWORD } })

async function victimSnapshot (): Promise<string> {
  const id = victim.user.id
  const [user, sessions, profile] = await Promise.all([
    db.query('SELECT * FROM users WHERE id = $1', [id]),
    db.query('SELECT id, expires_at FROM sessions WHERE user_id = $1 ORDER BY id', [id]),
    // Not updated_by: it names the admin who wrote the profile, whom a fuzzed admin may delete.
    db.query('SELECT user_id, policy, genetic_result, updated_at FROM genetic_profiles WHERE user_id = $1', [id])
  ])
  return JSON.stringify({ user: user.rows, sessions: sessions.rows, profile: profile.rows })
}
const before = await victimSnapshot()

/** After a request that logged the attacker or the admin out, demoted or deleted them: new ones. */
async function restorePrincipals (): Promise<void> {
  const role = async (who: SignedUp): Promise<unknown> => {
    const response = await apps.plain.inject({ url: '/api/v1/users/me', headers: auth(who.token) })
    return response.statusCode === 200 ? response.json().role : undefined
  }
  if (await role(attacker) !== 'user') attacker = await signUp(apps.plain)
  if (await role(admin) !== 'admin') admin = await signUpAdmin(apps.plain, db)
}

// ---------------------------------------------------------------------------------------------
// Hostile values.

const SQL = ["' OR '1'='1", "'; DROP TABLE users; --", '1; SELECT pg_sleep(5)', "' UNION SELECT password_hash FROM users --", '$1', '%', '_', '\\', "E'\\x00'"]
const NASTY = ['', ' ', '\u0000', 'a\u0000b', '\uD800', '\uDFFF', 'x\uDBFF', '\uFEFF', '\u202E', '\r\n', '__proto__', 'constructor', 'prototype',
  // eslint-disable-next-line no-template-curly-in-string -- a template-injection probe, sent as text on purpose
  '../../etc/passwd', '<script>alert(1)</script>', '{{7*7}}', '${7*7}', 'null', 'undefined', 'NaN', 'Infinity', '-0', '1e309', '9'.repeat(400),
  '0x10', ' 1', '1 ', '1.5', '-1', '2147483648', '9007199254740993', '0000-01-01', '9999-12-31', '2000-02-30', '1990-04-17', PASSWORD,
  'victim@example.com', 'VICTIM@EXAMPLE.COM', 'admin', 'user', 'Ada', 'POL-1', 'ä'.repeat(40), '😀'.repeat(20), 'a'.repeat(300)]

const loneSurrogate = fc.integer({ min: 0xD800, max: 0xDFFF }).map((code) => String.fromCharCode(code))
const hostileString = fc.oneof(
  fc.constantFrom(...SQL, ...NASTY),
  fc.string({ unit: fc.oneof(fc.constantFrom('\u0000', "'", '"', '\\', '%', '/'), loneSurrogate, fc.string({ unit: 'binary', maxLength: 1 })), maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.emailAddress(),
  fc.nat({ max: 150 }).map((n) => 'x'.repeat(n * 20)),
  fc.constant(String(victim.user.id))
)
const hostileNumber = fc.oneof(
  fc.integer(), fc.double(), fc.constantFrom(0, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 5e-324, 1.5, victim.user.id)
)
const FIELDS = ['email', 'password', 'first_name', 'last_name', 'dob', 'current_password', 'remember_me', 'all', 'role', 'genetic_result', 'policy', 'altcha',
  'id', 'created_at', 'limit', 'cursor', 'user_id', '__proto__', 'constructor', 'prototype']
const hostileKey = fc.oneof(fc.constantFrom(...FIELDS), hostileString)
const { value: hostileValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    hostileString, hostileNumber, fc.boolean(), fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(hostileKey, tie('value')), { maxLength: 5 }).map((entries) => Object.fromEntries(entries)))
}))

/** JSON text for an object with these entries, `__proto__` included as a plain key (as an attacker would send it). */
const jsonObject = (entries: Array<[string, unknown]>): string =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`).join(',')}}`

/** Nearly valid bodies get furthest into the handlers: a valid body of some route, with a few fields replaced, dropped or added. */
let fresh = 0
/** The shape of a solved captcha, with made-up values: the hardened app must refuse it, whatever is changed in it. */
const ALTCHA = Buffer.from(JSON.stringify({
  challenge: {
    parameters: { algorithm: 'PBKDF2/SHA-256', cost: 1000, expiresAt: 4102444800, keyLength: 32, keyPrefix: '0'.repeat(32), keySignature: '0'.repeat(64), nonce: '0'.repeat(32), salt: '0'.repeat(32) },
    signature: '0'.repeat(64)
  },
  solution: { counter: 1, derivedKey: '0'.repeat(64), time: 1 }
})).toString('base64')
const TEMPLATES: Record<string, () => Record<string, unknown>> = {
  'POST /api/v1/users': () => ({ email: `fuzz${++fresh}@example.com`, password: 'violet-Harbor-93-kettle-2', first_name: 'Grace', last_name: 'Hopper', dob: '1906-12-09', altcha: ALTCHA }),
  'POST /api/v1/users/login': () => ({ email: 'attacker@example.com', password: PASSWORD, remember_me: true }),
  'PATCH /api/v1/users/me': () => ({ first_name: 'Grace', last_name: 'Hopper', dob: '1906-12-09', email: `fuzz${++fresh}@example.com`, password: 'violet-Harbor-93-kettle-2', current_password: PASSWORD }),
  'PATCH /api/v1/users/:id': () => ({ first_name: 'Grace', email: `fuzz${++fresh}@example.com`, role: 'admin' }),
  'PUT /api/v1/users/:id/genetics': () => ({ genetic_result: { BRCA1: 'positive', markers: [{ rsid: 'rs1', genotype: 'AA' }] }, policy: 'POL-2' }),
  'POST /api/v1/users/logout': () => ({ all: true })
}
TEMPLATES['PUT /api/v1/users/me'] = TEMPLATES['PATCH /api/v1/users/me']
type Mutation = [kind: 'replace' | 'drop' | 'add', index: number, key: string, value: unknown]
/** The valid body of `route` (of another route when it takes none, or by chance), mutated. */
const nearlyValid = (route: Route): fc.Arbitrary<string> => fc.tuple(
  fc.oneof({ arbitrary: fc.constant(`${route.method} ${route.path}`), weight: 2 }, fc.constantFrom(...Object.keys(TEMPLATES))),
  fc.oneof(fc.constant([]), fc.array(fc.tuple(fc.constantFrom('replace', 'drop', 'add'), fc.nat(), hostileKey, hostileValue), { minLength: 1, maxLength: 2 }))
).map(([name, mutations]) => {
  const entries = Object.entries((TEMPLATES[name] ?? TEMPLATES['POST /api/v1/users'])())
  for (const [kind, index, key, value] of mutations as Mutation[]) {
    const at = index % Math.max(entries.length, 1)
    if (kind === 'add' || entries.length === 0) entries.push([key, value])
    else if (kind === 'drop') entries.splice(at, 1)
    else entries[at] = [entries[at][0], value]
  }
  return jsonObject(entries)
})

const deeplyNested = fc.tuple(fc.integer({ min: 20, max: 20_000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) =>
  open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth))
const RAW_BODIES = ['{"email":', '{"__proto__":{"role":"admin"}}', '{"constructor":{"prototype":{"role":"admin"}}}', '"\\ud800"', '{"email":"\\u0000"}',
  '1' + '0'.repeat(400), '[]', 'null', '""', 'true', '{}', '{"a":1,"a":2}', 'x'.repeat(70_000), '\uFEFF{}']

const bodyFor = (route: Route): fc.Arbitrary<{ payload: string | undefined, contentType: string | undefined }> => fc.oneof(
  { arbitrary: fc.constant({ payload: undefined, contentType: undefined }), weight: 1 },
  {
    arbitrary: fc.tuple(fc.oneof({ arbitrary: nearlyValid(route), weight: 3 }, hostileValue.map((value) => JSON.stringify(value) ?? 'null'), deeplyNested, fc.constantFrom(...RAW_BODIES), hostileString),
      fc.oneof({ arbitrary: fc.constant('application/json'), weight: 3 }, fc.constantFrom('application/json; charset=utf-8', 'application/json; charset=utf-16le',
        'text/plain', 'text/html', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/vnd.api+json', 'application/jsonx', '')))
      .map(([payload, contentType]) => ({ payload, contentType })),
    weight: 3
  }
)

/** Text as it can appear in a URL: percent-encoded UTF-8, or raw escapes that are malformed or unusual on purpose. */
const RAW_ESCAPES = ['%', '%G1', '%%', '%00', '%ED%A0%80', '%C0%80', '%FF', '%2F', '%2E%2E', '+', '&', '=', '#', '?', '[]', ';']
const encoded = (text: string): string => [...Buffer.from(text)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')
const urlText = fc.oneof(hostileString.map(encoded), fc.constantFrom(...RAW_ESCAPES), fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/))

const NUMBER_TEXT = ['1e400', '-1e400', 'Infinity', '-Infinity', 'NaN', '1e-400', '0x1F', '0b1', '0o7', '1_000', '+1', '.5', '5.', '1e2', '00', '-0',
  '2147483647', '2147483648', '4294967297', '9007199254740993', '99999999999999999999', String(victim.user.id)]
const numberText = fc.oneof(fc.constantFrom(...NUMBER_TEXT), hostileNumber.map(String), { arbitrary: fc.integer({ min: -2, max: 40 }).map(String), weight: 3 })

const pathValue = fc.oneof({ arbitrary: numberText, weight: 6 }, { arbitrary: urlText, weight: 2 }, fc.constant('a'.repeat(101)))

const QUERY_KEYS = ['limit', 'cursor', 'email', 'user_id', '__proto__', 'constructor', '__proto__[role]', 'token', 'api-token']
const cursorFor = (kind: string, id: string): string => Buffer.from(`${kind}:${id}`).toString('base64url')
const queryValue = fc.oneof(
  urlText,
  numberText,
  fc.tuple(fc.constantFrom('users', 'audit', 'other'), numberText).map(([kind, id]) => cursorFor(kind, id))
)
const query = fc.array(fc.tuple(fc.oneof({ arbitrary: fc.constantFrom(...QUERY_KEYS), weight: 4 }, { arbitrary: urlText, weight: 1 }), queryValue), { maxLength: 4 })
  .map((pairs) => pairs.map(([key, value]) => `${key}=${value}`).join('&'))

const HEADER_NAMES = ['accept', 'accept-encoding', 'accept-language', 'accept-version', 'origin', 'x-forwarded-for', 'x-forwarded-proto',
  'x-forwarded-host', 'cookie', 'range', 'if-none-match', 'if-modified-since', 'user-agent', 'referer', 'x-request-id',
  'access-control-request-method', 'access-control-request-headers', 'x-http-method-override']
const headerValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xFF }).filter((code) => code !== 0x7F).map((code) => String.fromCharCode(code)), maxLength: 60 }),
  fc.constantFrom(ALLOWED_ORIGIN, 'null', '*', 'bytes=0-1,5-', 'bytes=999999-', 'gzip, br;q=0', '1.2.3.4, 10.0.0.1', '::1', 'not-an-ip', 'PATCH',
    'authorization, api-token, content-type', 'a'.repeat(8000), ...SQL)
)
const headers = fc.dictionary(fc.constantFrom(...HEADER_NAMES), headerValue, { maxKeys: 4 })

/** A route whose path `where` accepts: each such path as likely as another, whatever its number of methods. */
const routeUnder = (where: (path: string) => boolean): fc.Arbitrary<Route> =>
  fc.constantFrom(...new Set(routes.map((r) => r.path).filter(where))).chain((path) => fc.constantFrom(...routes.filter((r) => r.path === path)))

const principal = fc.oneof(
  { arbitrary: fc.constantFrom('nobody', 'garbage'), weight: 1 },
  { arbitrary: fc.constantFrom('attacker', 'admin'), weight: 3 }
)
const tokenHeader = fc.constantFrom('bearer', 'api-token')

// ---------------------------------------------------------------------------------------------

interface Attempt {
  app: keyof typeof apps
  route: Route
  values: string[]
  query: string
  headers: Record<string, string>
  body: { payload: string | undefined, contentType: string | undefined }
  principal: 'nobody' | 'garbage' | 'attacker' | 'admin'
  tokenHeader: 'bearer' | 'api-token'
  garbage: string
}

const route = fc.oneof({ arbitrary: routeUnder((path) => path.startsWith('/api/')), weight: 4 }, { arbitrary: routeUnder((path) => !path.startsWith('/api/')), weight: 1 })
const attempt: fc.Arbitrary<Attempt> = route.chain((route) => fc.record({
  app: fc.constantFrom('plain', 'hardened'),
  route: fc.constant(route),
  values: fc.array(pathValue, { minLength: 2, maxLength: 2 }),
  query,
  headers,
  body: bodyFor(route),
  principal,
  tokenHeader,
  garbage: hostileString.filter((text) => /^[\x20-\x7E]*$/.test(text))
})) as fc.Arbitrary<Attempt>

const PLACEHOLDER = /:[a-z_]+|\*/g

/** Fills `:id` and `*` in the route's path. */
function urlFor ({ route, values, query }: Attempt): string {
  let i = 0
  const path = route.path.replace(PLACEHOLDER, (placeholder) => {
    const value = values[i++]
    return placeholder === '*' ? `/${value}` : value
  })
  return query === '' ? path : `${path}?${query}`
}

function requestFor (attempt: Attempt): InjectOptions {
  const token = { nobody: undefined, garbage: attempt.garbage, attacker: attacker.token, admin: admin.token }[attempt.principal]
  const headers: Record<string, string> = { ...attempt.headers }
  if (token !== undefined) {
    if (attempt.tokenHeader === 'bearer') headers.authorization = `Bearer ${token}`
    else headers['api-token'] = token
  }
  if (attempt.body.contentType !== undefined) headers['content-type'] = attempt.body.contentType
  return { method: attempt.route.method as InjectOptions['method'], url: urlFor(attempt), headers, payload: attempt.body.payload }
}

/** An admin may change anyone: their requests leave out the victim's id, in any spelling that parses as it. */
const aimsAtVictim = (attempt: Attempt): boolean =>
  attempt.values.slice(0, attempt.route.path.match(PLACEHOLDER)?.length ?? 0).some((value) => {
    let decoded = value
    try {
      decoded = decodeURIComponent(value)
    } catch {}
    return Number(decoded) === victim.user.id || Number(decoded.trim()) === victim.user.id
  })

t.test('every route is fuzzed, including those added later', async (t) => {
  const listed = routes.map((r) => `${r.method} ${r.path}`)
  for (const route of ['POST /api/v1/users', 'GET /api/v1/users/:id', 'PUT /api/v1/users/:id/genetics', 'DELETE /api/v1/users/me', 'GET /api/v1/captcha', 'OPTIONS *']) {
    t.ok(listed.includes(route), route)
  }
  t.match(before, /Victoria.*"policy":"v1:test1:/s, 'the victim has an account, two sessions and a genetic profile (encrypted)')
  t.equal((JSON.parse(before) as { sessions: unknown[] }).sessions.length, 2)
})

t.test(`${RUNS} random and hostile requests: no 5xx, the one error shape, the victim untouched`, async (t) => {
  await fc.assert(fc.asyncProperty(attempt, async (attempt) => {
    if (attempt.principal === 'admin' && aimsAtVictim(attempt)) return
    const request = requestFor(attempt)
    const response = await apps[attempt.app].inject(request)
    const what = `${request.method} ${String(request.url).slice(0, 300)} → ${response.statusCode} ${response.body.slice(0, 300)}`

    if (response.statusCode >= 500) throw new Error(`a server error: ${what}`)
    if (response.statusCode >= 400 && request.method !== 'HEAD') {
      let error: Record<string, unknown>
      try {
        error = response.json()
      } catch {
        throw new Error(`an error that is not JSON: ${what}`)
      }
      const shaped = Object.keys(error).sort().join() === 'error,message,statusCode' && error.statusCode === response.statusCode &&
        typeof error.error === 'string' && typeof error.message === 'string' && error.message !== ''
      if (!shaped) throw new Error(`an error of another shape: ${what}`)
    }
    if (await victimSnapshot() !== before) throw new Error(`the victim's data changed: ${what}`)
    await restorePrincipals()
  }), { numRuns: RUNS, seed: SEED, endOnFailure: true })

  t.equal(await victimSnapshot(), before, 'the victim\'s account, sessions and genetic profile are as they were')
  t.equal((await apps.plain.inject({ url: '/health' })).statusCode, 200, 'and the service still answers')
})
