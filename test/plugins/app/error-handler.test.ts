import { createServer } from 'node:net'
import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { loggerOptions } from '../../../src/app.js'
import { tooManyRequests } from '../../../src/http/errors.js'
import { openDatabase } from '../../../src/db/database.js'
import { buildTestApp, testConfig, testDatabase } from '../../helper.js'
import { captureLogs } from '../../support.js'

const db = await testDatabase(t)
const logs = captureLogs('info')
const app = await buildTestApp(t, db, {}, { logger: { ...loggerOptions(testConfig({ LOG_LEVEL: 'info' })) as object, ...logs.logger } })
// Routes that fail the ways a handler can, so the test can see what the caller and the log get.
app.get('/test-only/bug', async () => { throw new Error('cannot read properties of undefined (reading \'hash\') with postgres://app:hunter2@db/dna') })
app.get('/test-only/sql', async () => await app.db.query('SELECT 1 / 0'))
app.get('/test-only/fails/:status', async (request) => {
  throw Object.assign(new Error(`a ${(request.params as { status: string }).status} from a library`), { statusCode: Number((request.params as { status: string }).status) })
})
app.get('/test-only/not-an-error', async () => {
  // What PGlite throws when its files are unusable: a plain object, without a message or a stack.
  throw Object.assign(Object.create(null) as object, { name: 'ErrnoError', errno: 54 })
})
app.get('/test-only/http-error', async () => { throw tooManyRequests('slow down: try again in 30 seconds', 30) })
app.get('/test-only/database/:how', async (request) => {
  const how = (request.params as { how: string }).how
  throw /^[0-9A-Z]+$/.test(how) ? Object.assign(new Error(`database said ${how}`), { code: how }) : new Error(how)
})
t.beforeEach(() => { logs.lines.length = 0 })

const GENERIC = { statusCode: 500, error: 'Internal Server Error', message: 'something went wrong on our side; it has been logged' }

t.test('a bug is a 500 that tells nothing internal; the detail goes to the log', async (t) => {
  const response = await app.inject({ url: '/test-only/bug?email=ada@example.com' })
  t.equal(response.statusCode, 500)
  t.same(response.json(), GENERIC)
  t.notMatch(response.body, /hunter2|hash|stack|at /)
  const logged = logs.lines.find((line) => line.msg === 'request failed')
  t.match(logged, { level: 50, err: { type: 'Error', message: /reading 'hash'/, stack: /^Error: cannot read properties/ } })
  t.match(await logs.waitFor((line) => line.msg === 'request completed' && line.reqId === logged?.reqId),
    { req: { method: 'GET', url: '/test-only/bug', remoteAddress: '127.0.0.1' }, res: { statusCode: 500 } },
    'the request it failed is logged under the same id')
  t.notMatch(JSON.stringify(logs.lines), /ada@example\.com/, 'the query string is not logged')
})

t.test('a thrown value that is not an Error is a 500 too, and logged as well as it can be', async (t) => {
  const response = await app.inject({ url: '/test-only/not-an-error' })
  t.same(response.json(), GENERIC)
  t.match(logs.lines.find((line) => line.msg === 'request failed'), { level: 50, err: { type: 'ErrnoError', stack: '' } })
})

t.test('an error meant for the caller keeps its status, headers and message', async (t) => {
  const response = await app.inject({ url: '/test-only/http-error' })
  t.equal(response.statusCode, 429)
  t.equal(response.headers['retry-after'], '30')
  t.same(response.json(), { statusCode: 429, error: 'Too Many Requests', message: 'slow down: try again in 30 seconds' })
})

t.test('an SQL error is a 500 without the SQL message', async (t) => {
  const response = await app.inject({ url: '/test-only/sql' })
  t.equal(response.statusCode, 500)
  t.same(response.json(), GENERIC)
  t.match(logs.lines.find((line) => line.msg === 'request failed'), { err: { message: 'division by zero', code: '22012' } })
})

t.test('a library error with an HTTP status keeps it; a 5xx still says nothing internal', async (t) => {
  const notFound = await app.inject({ url: '/test-only/fails/404' })
  t.same(notFound.json(), { statusCode: 404, error: 'Not Found', message: 'a 404 from a library' })
  const badGateway = await app.inject({ url: '/test-only/fails/502' })
  t.same(badGateway.json(), { statusCode: 502, error: 'Bad Gateway', message: GENERIC.message })
  const unnamed = await app.inject({ url: '/test-only/fails/599' })
  t.same(unnamed.json(), { statusCode: 599, error: 'Error', message: GENERIC.message }, 'a status without a reason phrase')
  for (const status of ['302', '200', '600']) {
    const response = await app.inject({ url: `/test-only/fails/${status}` })
    t.same(response.json(), GENERIC, `a status of ${status} on an error is a 500`)
  }
})

t.test('the database being unreachable, in every way the drivers report it, is a 503 to retry', async (t) => {
  const ways = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '08006', '08001', '57P01', '57P03', '57014',
    'timeout exceeded when trying to connect', 'Connection terminated unexpectedly', 'Query read timeout']
  for (const how of ways) {
    const response = await app.inject({ url: `/test-only/database/${encodeURIComponent(how)}` })
    t.equal(response.statusCode, 503, how)
    t.equal(response.headers['retry-after'], '5', how)
    t.same(response.json(), { statusCode: 503, error: 'Service Unavailable', message: 'the service is temporarily unavailable; try again in a few seconds' }, how)
  }
  t.ok(logs.lines.some((line) => line.msg === 'database unavailable' && line.level === 50), 'and it is logged')
  for (const how of ['23505', '42P01', 'EACCES', 'some other failure']) {
    t.same((await app.inject({ url: `/test-only/database/${encodeURIComponent(how)}` })).json(), GENERIC, `${how} is not an outage`)
  }
})

t.test('with the database down, an authenticated request gets a 503 at once', async (t) => {
  // A port where nothing listens: the connection is refused, as when PostgreSQL is stopped.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  const down = await openDatabase({ url: `postgres://postgres@127.0.0.1:${port}/postgres` })
  t.teardown(async () => await down.close())
  const outage = await buildTestApp(t, down)
  const token = outage.signToken({ id: 1, role: 'user' }, randomUUID(), 60)
  const response = await outage.inject({ url: '/api/v1/users/me', headers: { authorization: `Bearer ${token}` } })
  t.equal(response.statusCode, 503)
  t.equal(response.headers['retry-after'], '5')
  t.equal(response.json().message, 'the service is temporarily unavailable; try again in a few seconds')
})

t.test('Fastify\'s own refusals keep the error shape', async (t) => {
  const login = async (headers: Record<string, string>, payload?: string): Promise<LightMyRequestResponse> =>
    await app.inject({ method: 'POST', url: '/api/v1/users/login', headers, payload })
  const cases: Array<[string, LightMyRequestResponse, number, string]> = [
    ['invalid JSON', await login({ 'content-type': 'application/json' }, '{"email": '), 400,
      "Body is not valid JSON but content-type is set to 'application/json'"],
    ['an empty JSON body', await login({ 'content-type': 'application/json' }, ''), 400,
      "Body cannot be empty when content-type is set to 'application/json'"],
    ['a body over 64 KiB', await login({ 'content-type': 'application/json' }, JSON.stringify({ email: 'x'.repeat(64 * 1024) })), 413,
      'Request body is too large'],
    ['XML', await login({ 'content-type': 'application/xml' }, '<login/>'), 415,
      "content-type 'application/xml' is not accepted: send JSON with content-type: application/json"],
    ['no content-type', await login({}, 'email=ada'), 415,
      'a body without a content-type is not accepted: send JSON with content-type: application/json']
  ]
  for (const [what, response, status, message] of cases) {
    t.equal(response.statusCode, status, what)
    t.same(response.json(), { statusCode: status, error: response.json().error, message }, what)
  }
  t.same(cases.map(([, response]) => response.json().error), ['Bad Request', 'Bad Request', 'Payload Too Large', 'Unsupported Media Type', 'Unsupported Media Type'])
  t.equal(logs.lines.filter((line) => line.level >= 50).length, 0, 'the caller\'s mistakes are not logged as errors')
})

t.test('an unknown route is a JSON 404 naming the method and path, without the query string', async (t) => {
  for (const [method, url, message] of [['GET', '/api/v1/nothing?email=ada@example.com', 'no route for GET /api/v1/nothing'], ['DELETE', '/health', 'no route for DELETE /health']] as const) {
    const response = await app.inject({ method, url })
    t.equal(response.statusCode, 404)
    t.match(response.headers['content-type'], /^application\/json/)
    t.same(response.json(), { statusCode: 404, error: 'Not Found', message })
  }
})

t.test('URLs the router cannot read get the one error shape too', async (t) => {
  const badEscape = await app.inject({ url: '/api/v1/users/%E0%A4%A' })
  t.equal(badEscape.statusCode, 400)
  t.same(badEscape.json(), { statusCode: 400, error: 'Bad Request', message: 'the URL is not valid: each % must start the escape of a UTF-8 character, such as %20' })

  const long = await app.inject({ url: `/api/v1/users/${'1'.repeat(101)}` })
  t.equal(long.statusCode, 414)
  t.same(long.json(), { statusCode: 414, error: 'URI Too Long', message: 'a path parameter is longer than 100 characters' })
  t.equal((await app.inject({ url: `/api/v1/users/${'1'.repeat(100)}` })).statusCode, 401, '100 characters are read as usual')
})
