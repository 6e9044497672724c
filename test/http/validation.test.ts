import { Ajv, type ErrorObject } from 'ajv'
import addFormatsModule from 'ajv-formats'
import t from 'tap'
import { formatValidationError } from '../../src/http/validation.js'
import { EMAIL_LOCAL_PART_PATTERN, HAS_LETTER, NAME_FORMAT, NAME_PATTERN } from '../../src/schemas/user.js'
import { auth, buildTestApp, resetData, signUp, signUpAdmin, testDatabase } from '../helper.js'

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
// A route with a schema for every part of a request, as a resource route declares them.
app.post('/test-only/items/:id', {
  schema: {
    params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
    querystring: {
      type: 'object',
      properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 }, tags: { type: 'array', items: { type: 'string' } } },
      additionalProperties: false
    },
    body: {
      type: 'object',
      properties: { count: { type: 'integer' }, kind: { type: 'string', enum: ['blood', 'saliva'] }, done: { type: 'boolean', default: false } },
      additionalProperties: false
    }
  }
}, async (request) => ({ params: request.params, query: request.query, body: request.body }))
t.beforeEach(async () => { await resetData(db) })

const post = async (url: string, payload: unknown = {}): Promise<{ status: number, body: Record<string, unknown> }> => {
  const response = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) })
  return { status: response.statusCode, body: response.json() }
}

/** What the formatter says about the first error a real Ajv finds in `data`. */
function firstError (schema: object, data: unknown, options: { messages?: boolean } = {}): ErrorObject {
  const ajv = new Ajv({ allErrors: false, strict: true, ...options })
  addFormats(ajv)
  ajv.addFormat(NAME_FORMAT, HAS_LETTER)
  const validate = ajv.compile(schema)
  if (validate(data)) throw new Error(`${JSON.stringify(data)} is valid`)
  return (validate.errors as ErrorObject[])[0]
}
const say = (schema: object, data: unknown, options: { messages?: boolean } = {}): string =>
  formatValidationError(firstError(schema, data, options), 'body')

t.test('query and path parameters arrive as text and are coerced; missing ones take their default', async (t) => {
  t.same(await post('/test-only/items/7?limit=5&tags=a'), { status: 200, body: { params: { id: 7 }, query: { limit: 5, tags: ['a'] }, body: { done: false } } })
  t.same((await post('/test-only/items/7')).body.query, { limit: 20 })
  t.same((await post('/test-only/items/7?limit=5&extra=1')).body.query, { limit: 5 }, 'an unknown query parameter is dropped')
})

t.test('out-of-range or mistyped parameters are 400s naming them', async (t) => {
  const cases: Array<[string, string]> = [
    ['/test-only/items/7?limit=500', 'querystring/limit must be at most 100'],
    ['/test-only/items/7?limit=0', 'querystring/limit must be at least 1'],
    ['/test-only/items/7?limit=ten', 'querystring/limit must be an integer'],
    ['/test-only/items/abc', 'params/id must be an integer'],
    ['/test-only/items/0', 'params/id must be at least 1']
  ]
  for (const [url, message] of cases) t.same(await post(url), { status: 400, body: { statusCode: 400, error: 'Bad Request', message } }, url)
})

t.test('bodies are strict: no coercion, and an unknown field is refused rather than dropped', async (t) => {
  const cases: Array<[unknown, string]> = [
    [{ count: '12' }, 'body/count must be an integer'],
    [{ count: 1.5 }, 'body/count must be an integer'],
    [{ done: 'true' }, 'body/done must be a boolean'],
    [{ kind: 'urine' }, 'body/kind must be one of: blood, saliva'],
    [{ colour: 'red' }, 'body/colour is not a known field'],
    ['just text', 'body must be an object']
  ]
  for (const [payload, message] of cases) {
    t.same(await post('/test-only/items/1', payload), { status: 400, body: { statusCode: 400, error: 'Bad Request', message } }, message)
  }
  t.same((await post('/test-only/items/1', { count: 12, kind: 'blood' })).body.body, { count: 12, kind: 'blood', done: false })
})

t.test('the service\'s own bodies: each message names the field and says what is wrong', async (t) => {
  const { token } = await signUp(app)
  const login = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com' } })
  t.same(login.json(), { statusCode: 400, error: 'Bad Request', message: 'body/password is required' })
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ email: 'ada' }, 'body/email must be a valid email address'],
    [{ email: `${'a'.repeat(243)}@example.com` }, 'body/email must be at most 254 characters'],
    [{ first_name: 'Ada\tLovelace' }, 'body/first_name must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters'],
    [{ last_name: 12 }, 'body/last_name must be a string'],
    [{ dob: '1990-13-01' }, 'body/dob must be a real date written YYYY-MM-DD'],
    [{ password: 'short' }, 'body/password must be at least 10 characters'],
    [{ nickname: 'ada' }, 'body/nickname is not a known field'],
    [{ id: 2 }, 'body/id is set by the server and cannot be changed'],
    [{ modified_at: '2024-01-01T00:00:00Z' }, 'body/modified_at is set by the server and cannot be changed'],
    [{}, 'body must contain at least one field to change']
  ]
  for (const [payload, message] of cases) {
    const response = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(token), payload })
    t.same(response.json(), { statusCode: 400, error: 'Bad Request', message }, message)
  }
  const role = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(token), payload: { role: 'admin' } })
  t.match(role.json(), { statusCode: 400, message: /^body\/role cannot be set here: / })
})

t.test('the formatter, keyword by keyword, on the errors Ajv really gives', async (t) => {
  const object = (properties: Record<string, object>, extra: object = {}): object => ({ type: 'object', properties, ...extra })
  const cases: Array<[string, object, unknown, string | RegExp]> = [
    ['required', object({ email: { type: 'string' } }, { required: ['email'] }), {}, 'body/email is required'],
    ['required, nested', object({ address: object({ city: { type: 'string' } }, { required: ['city'] }) }), { address: {} }, 'body/address/city is required'],
    ['an admin-only field', object({}, { additionalProperties: false }), { genetic_result: {} }, /^body\/genetic_result cannot be set here: /],
    ['a server-set field', object({}, { additionalProperties: false }), { created_at: 'x' }, 'body/created_at is set by the server and cannot be changed'],
    ['an unknown field', object({}, { additionalProperties: false }), { shoe_size: 42 }, 'body/shoe_size is not a known field'],
    ['type string', object({ name: { type: 'string' } }), { name: 1 }, 'body/name must be a string'],
    ['type integer', object({ n: { type: 'integer' } }), { n: 'x' }, 'body/n must be an integer'],
    ['type object', object({ result: { type: 'object' } }), { result: [] }, 'body/result must be an object'],
    ['type array', object({ tags: { type: 'array' } }), { tags: 'x' }, 'body/tags must be an array'],
    ['type number', object({ n: { type: 'number' } }), { n: 'x' }, 'body/n must be a number'],
    ['a nullable type names the first', object({ policy: { type: ['string', 'null'] } }), { policy: 1 }, 'body/policy must be a string'],
    ['format email', { type: 'string', format: 'email' }, 'x', 'body must be a valid email address'],
    ['format date', { type: 'string', format: 'date' }, '2023-02-29', 'body must be a real date written YYYY-MM-DD'],
    ['format date-time', { type: 'string', format: 'date-time' }, '2023-01-01', 'body must be a date and time in RFC 3339 form'],
    ['another format', { type: 'string', format: 'uuid' }, 'x', 'body must be a valid uuid'],
    ['the name pattern', { type: 'string', pattern: NAME_PATTERN }, ' ', 'body must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters'],
    ['the name\'s letter', { type: 'string', format: NAME_FORMAT }, '\u200B', 'body must contain at least one letter'],
    ['the email\'s local part', { type: 'string', pattern: EMAIL_LOCAL_PART_PATTERN }, `${'a'.repeat(65)}@example.com`, 'body must have at most 64 characters before the @'],
    ['another pattern', { type: 'string', pattern: '^[A-Z]+$' }, 'abc', 'body has characters that are not allowed'],
    ['minLength', { type: 'string', minLength: 10 }, 'abc', 'body must be at least 10 characters'],
    ['maxLength', { type: 'string', maxLength: 3 }, 'abcd', 'body must be at most 3 characters'],
    ['minimum', { type: 'integer', minimum: 1 }, 0, 'body must be at least 1'],
    ['maximum', { type: 'integer', maximum: 100 }, 101, 'body must be at most 100'],
    ['minProperties', object({ a: { type: 'string' } }, { minProperties: 1 }), {}, 'body must contain at least one field to change'],
    ['enum', { type: 'string', enum: ['user', 'admin'] }, 'root', 'body must be one of: user, admin'],
    ['any other keyword, in Ajv\'s words', { type: 'integer', multipleOf: 5 }, 7, 'body must be multiple of 5']
  ]
  for (const [what, schema, data, message] of cases) t.match(say(schema, data), message, what)
  t.equal(say({ type: 'integer', multipleOf: 5 }, 7, { messages: false }), 'body is invalid', 'and without a message from Ajv')
  t.equal(formatValidationError(firstError({ type: 'string' }, 1), 'querystring/limit'), 'querystring/limit must be a string', 'where the data is comes first')
})

t.test('query and path numbers are coerced from text, but must be finite', async (t) => {
  const admin = await signUpAdmin(app, db)
  const get = async (url: string) => await app.inject({ url, headers: auth(admin.token) })
  // Ajv turns `1e400` into Infinity and then skips its range checks, which compare finite numbers only.
  const cases: Array<[string, string]> = [
    ['/api/v1/users?limit=1e400', 'querystring/limit must be a finite number'],
    ['/api/v1/users?limit=-Infinity', 'querystring/limit must be a finite number'],
    ['/api/v1/audit?user_id=Infinity', 'querystring/user_id must be a finite number'],
    ['/api/v1/users/1e400', 'params/id must be a finite number'],
    ['/api/v1/users/-Infinity/', 'params/id must be a finite number']
  ]
  for (const [url, message] of cases) {
    const response = await get(url)
    t.equal(response.statusCode, 400, url)
    t.same(response.json(), { statusCode: 400, error: 'Bad Request', message }, url)
  }
  t.equal((await get('/api/v1/users?limit=1e1')).json().users.length, 1, 'other spellings of a number still work')
  t.equal((await get(`/api/v1/users/${admin.user.id}.0`)).statusCode, 200)
  t.equal((await get('/api/v1/users?email=Infinity')).statusCode, 200, 'text fields are not numbers')
})
