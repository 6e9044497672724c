// The OpenAPI document as a product: generated clients take their method names, types and
// errors from it, and Swagger UI its examples. These checks hold for every operation, so a new
// route cannot leave a hole in the spec unnoticed.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { STATUS_CODES } from 'node:http'
import t from 'tap'
import { openDatabase } from '../../src/db/database.js'
import { renderOpenApi, SPEC_FILE } from '../../src/http/spec.js'
import { buildTestApp, resetData, signUpAdmin, testDatabase } from '../helper.js'

interface Response {
  description: string
  headers?: Record<string, unknown>
  content?: Record<string, { schema: { $ref?: string } }>
}
interface Operation {
  operationId: string
  summary: string
  tags: string[]
  security?: Array<Record<string, string[]>>
  requestBody?: { required: boolean, content: Record<string, { examples?: Record<string, { summary: string, value: unknown }> }> }
  responses: Record<string, Response>
}
interface Document {
  info: { version: string }
  servers: Array<{ url: string }>
  tags: Array<{ name: string }>
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, unknown>, securitySchemes: Record<string, unknown> }
}

const committed = readFileSync(SPEC_FILE, 'utf8')
const spec = JSON.parse(committed) as Document
const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })))

const db = await testDatabase(t)
const app = await buildTestApp(t, db)

t.test('openapi/openapi.json is what the code emits', async (t) => {
  t.equal(await renderOpenApi(), committed, 'out of date: run `make openapi` and commit openapi/openapi.json')
})

t.test('the running service serves the same document at /openapi.json', async (t) => {
  const response = await app.inject({ url: '/openapi.json' })
  t.equal(response.statusCode, 200)
  t.same(response.json(), spec)
})

t.test('the document says which version it describes and that the API is on this origin', async (t) => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
  t.equal(spec.info.version, version)
  t.same(spec.servers.map((server) => server.url), ['/'])
  t.same(Object.keys(spec.components.securitySchemes).sort(), ['apiToken', 'bearerAuth'])
  for (const name of ['User', 'Error', 'Token', 'UserPage', 'AuditPage', 'AuditEntry']) t.ok(spec.components.schemas[name], `component ${name}`)
})

t.test('operation ids are the method names clients are generated with', async (t) => {
  t.same(operations.map(({ operation }) => operation.operationId).sort(), [
    'createUser', 'deleteMe', 'deleteUser', 'getCaptcha', 'getCaptchaStatus', 'getMe', 'getUser', 'health', 'listAudit', 'listUsers',
    'exportMe', 'login', 'logout', 'putMe', 'ready', 'setGenetics', 'changeGenetics', 'updateMe', 'updateUser',
    'confirmEmailChange', 'confirmEmailVerification', 'confirmPasswordReset', 'requestEmailVerification', 'requestPasswordReset',
    'loginMfa', 'enrolTotp', 'confirmTotp', 'disableTotp', 'listMySessions', 'endMySession',
    'passkeyRegistrationOptions', 'addPasskey', 'listMyPasskeys', 'deleteMyPasskey', 'passkeyLoginOptions', 'loginPasskey'
  ].sort())
})

t.test('every operation has a summary, a declared tag, its security and every error it can answer', async (t) => {
  const tags = new Set(spec.tags.map((tag) => tag.name))
  for (const { path, method, operation } of operations) {
    const name = `${method} ${path}`
    const statuses = Object.keys(operation.responses)
    t.match(operation.operationId, /^[a-z][A-Za-z]+$/, `${name}: operationId`)
    t.ok(operation.summary, `${name}: summary`)
    t.equal(operation.tags.length, 1, `${name}: one tag`)
    t.ok(tags.has(operation.tags[0]), `${name}: tag ${operation.tags[0]} is declared`)
    t.ok(Array.isArray(operation.security), `${name}: security is explicit, [] when public`)
    t.ok(statuses.some((status) => status.startsWith('2')), `${name}: a success response`)
    // The input guard refuses a NUL byte anywhere, in any route's query string too.
    t.ok(statuses.includes('400'), `${name}: 400`)
    if (operation.security?.length !== 0) t.ok(statuses.includes('401'), `${name}: 401`)
    if (operation.requestBody !== undefined) {
      t.ok(statuses.includes('413') && statuses.includes('415'), `${name}: 413 and 415 for a body too large or not JSON`)
      const examples = operation.requestBody.content['application/json'].examples ?? {}
      t.ok(Object.keys(examples).length > 0, `${name}: request body examples`)
    }
    for (const [status, response] of Object.entries(operation.responses)) {
      t.not(response.description, 'Default Response', `${name} ${status}: described`)
      if (Number(status) >= 400) t.equal(response.content?.['application/json'].schema.$ref, '#/components/schemas/Error', `${name} ${status}: Error`)
    }
  }
})

t.test('every request body example is accepted by its operation', async (t) => {
  const signup = operations.find(({ operation }) => operation.operationId === 'createUser') as typeof operations[number]
  const account = signup.operation.requestBody?.content['application/json'].examples?.signup.value
  for (const { path, method, operation } of operations) {
    const examples = operation.requestBody?.content['application/json'].examples ?? {}
    for (const [name, example] of Object.entries(examples)) {
      await resetData(db)
      // The examples walk through one account (the signup example's); admins act on it.
      const admin = await signUpAdmin(app, db, { email: 'admin@example.com' })
      const user = operation.operationId === 'createUser'
        ? undefined
        : (await app.inject({ method: 'POST', url: '/api/v1/users', payload: account as object })).json<{ jwt_token: string, user: { id: number } }>()
      // Genetic results need a verified address (the link mailed at signup, followed).
      if (user !== undefined) await db.query('UPDATE users SET email_verified = true WHERE id = $1', [user.user.id])
      const token = operation.tags.includes('admin') ? admin.token : user?.jwt_token
      const response = await app.inject({
        method,
        url: path.replace('{id}', String(user?.user.id)),
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        payload: example.value as object
      })
      // A mailed link's token, a login's mfa_token, an authenticator's code or signature cannot be known in
      // advance: the example is shaped right and refused for what it is.
      const unknowable: Record<string, [number, string]> = {
        confirmEmailChange: [400, 'token is invalid or has expired'],
        confirmEmailVerification: [400, 'token is invalid or has expired'],
        confirmPasswordReset: [400, 'token is invalid or has expired'],
        loginMfa: [401, 'mfa_token is invalid or has expired: log in again with your password'],
        confirmTotp: [409, 'no two-factor enrolment is waiting for its first code: POST /api/v1/users/me/mfa/totp first'],
        disableTotp: [409, 'two-factor authentication is not on for this account'],
        addPasskey: [400, 'body/response challenge is unknown, already used or expired: ask for new options'],
        loginPasskey: [400, 'body/response challenge is unknown, already used or expired: ask for new options']
      }
      const refusal = unknowable[operation.operationId]
      t.ok(refusal !== undefined
        ? response.statusCode === refusal[0] && response.json().message === refusal[1]
        : response.statusCode < 300 && String(response.statusCode) in operation.responses,
      `${operation.operationId} example ${name}`, { status: response.statusCode, body: response.body })
    }
  }
})

// This keeps the spec's 503s honest both ways: an operation that reads the database must document
// a 503 that names the database, and one that names it must be one that needs the database. (The
// 503 of an overloaded instance, on every operation but /health, is in plugins/external/load-shedding.test.ts.)
t.test('an operation answers 503, with Retry-After, while the database is unreachable exactly when its documented 503 names the database', async (t) => {
  // Nothing listens on port 1: every connection is refused at once, as when the server is down.
  const unreachable = await openDatabase({ url: 'postgres://postgres@127.0.0.1:1/dna_api', connectionTimeoutMs: 1000 })
  t.teardown(async () => await unreachable.close())
  const down = await buildTestApp(t, unreachable)
  const token = down.signToken({ id: 1, role: 'admin' }, randomUUID(), 60)
  for (const { path, method, operation } of operations) {
    const example = Object.values(operation.requestBody?.content['application/json'].examples ?? {})[0]
    const response = await down.inject({
      method,
      url: path.replace('{id}', '1'),
      headers: operation.security?.length === 0 ? {} : { authorization: `Bearer ${token}` },
      payload: example?.value as object | undefined
    })
    if (!/database/.test(operation.responses['503']?.description ?? '')) {
      t.ok(response.statusCode !== 503 && String(response.statusCode) in operation.responses, `${operation.operationId} does not need the database`)
      continue
    }
    t.equal(response.statusCode, 503, operation.operationId)
    t.match(response.json(), { statusCode: 503, error: 'Service Unavailable' }, operation.operationId)
    t.equal(response.headers['retry-after'], '5', `${operation.operationId}: Retry-After`)
    t.ok(operation.responses['503'].headers?.['retry-after'], `${operation.operationId}: Retry-After is documented`)
  }
})

t.test('each error response shows an example body of its own status, not the 400 of the Error schema', async (t) => {
  type Examples = Record<string, { summary: string, value: { statusCode: number, error: string, message: string } }>
  const examplesOf = (response: Response): Examples =>
    (response.content?.['application/json'] as { examples?: Examples } | undefined)?.examples ?? {}
  for (const { operation } of operations) {
    for (const [status, response] of Object.entries(operation.responses)) {
      if (Number(status) < 400) continue
      const examples = Object.values(examplesOf(response))
      t.equal(examples.length, 1, `${operation.operationId} ${status}: one example`)
      t.match(examples[0], { summary: STATUS_CODES[status], value: { statusCode: Number(status), error: STATUS_CODES[status], message: /\S/ } },
        `${operation.operationId} ${status}`)
    }
  }
  const me = spec.paths['/api/v1/users/me'].get.responses
  const messages = ['400', '401', '503'].map((status) => Object.values(examplesOf(me[status]))[0].value.message)
  t.equal(new Set(messages).size, 3, 'GET /me: 400, 401 and 503 each have their own message')

  // The examples are what the service answers.
  const anonymous = await app.inject({ url: '/api/v1/users/me' })
  t.same(anonymous.json(), Object.values(examplesOf(me['401']))[0].value, 'GET /me without a token')
  const captcha = Object.values(examplesOf(spec.paths['/api/v1/captcha'].get.responses['503']))[0].value
  t.equal(captcha.message, 'the server is overloaded; try again in a second', 'the captcha route is only ever shed: it reads no database')
})
