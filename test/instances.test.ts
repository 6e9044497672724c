// Several instances behind a load balancer: two server processes on one PostgreSQL database, each
// request going to either. Sessions and the login lockout live in the database, so it must not
// matter which one a caller reaches. Always real PostgreSQL: the embedded database is one
// process's own.
import t from 'tap'
import { openDatabase } from '../src/db/database.js'
import { migrate } from '../src/db/migrations.js'
import { PASSWORD } from './helper.js'
import { emptyPostgresDatabase, serve } from './support.js'

const url = await emptyPostgresDatabase(t)
const setup = await openDatabase({ url })
await migrate(setup)
await setup.close()

const [a, b] = await Promise.all([serve(t, { DATABASE_URL: url }), serve(t, { DATABASE_URL: url })])

interface Answer {
  status: number
  headers: Headers
  body: Record<string, unknown> | undefined
}

/** A JSON request to one instance, with a token or without. */
async function call (instance: { url: string }, method: string, path: string, body?: unknown, token?: string): Promise<Answer> {
  const response = await fetch(`${instance.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) as Record<string, unknown> }
}

const ADA = { email: 'ada@example.com', password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' }

t.test('two instances, one account: signup on A, login on B, my account on A with the token from B, logout on B ends it on A', async (t) => {
  t.not(a.url, b.url)
  const signup = await call(a, 'POST', '/api/v1/users', ADA)
  t.equal(signup.status, 201)

  const login = await call(b, 'POST', '/api/v1/users/login', { email: ADA.email, password: PASSWORD })
  t.equal(login.status, 200, 'B knows the account A created')
  const token = login.body?.jwt_token as string

  const me = await call(a, 'GET', '/api/v1/users/me', undefined, token)
  t.equal(me.status, 200, 'A accepts the session B started')
  t.match(me.body, { email: ADA.email, first_name: 'Ada' })

  t.equal((await call(b, 'POST', '/api/v1/users/logout', undefined, token)).status, 204)
  const after = await call(a, 'GET', '/api/v1/users/me', undefined, token)
  t.equal(after.status, 401, 'A refuses the token at once')
  t.match(after.body, { statusCode: 401, message: /session has ended/ })
})

t.test('the login lockout counts failures on every instance: wrong passwords on A, A and B lock the account on both', async (t) => {
  const wrong = { email: ADA.email, password: 'not-the-password-at-all' }
  for (const [instance, name] of [[a, 'A'], [a, 'A'], [b, 'B']] as const) {
    t.equal((await call(instance, 'POST', '/api/v1/users/login', wrong)).status, 401, `a failure on ${name}`)
  }
  for (const [instance, name] of [[a, 'A'], [b, 'B']] as const) {
    const locked = await call(instance, 'POST', '/api/v1/users/login', { email: ADA.email, password: PASSWORD })
    t.equal(locked.status, 429, `the right password is refused on ${name}`)
    t.match(locked.body, { statusCode: 429, message: /too many failed logins/ })
    t.ok(Number(locked.headers.get('retry-after')) > 0, `${name}: Retry-After`)
  }
})
