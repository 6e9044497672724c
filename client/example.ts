// How another TypeScript service talks to dna-api: the types generated from openapi/openapi.json
// (`make client` writes client/generated/api.ts) with openapi-fetch as the runtime. Paths, bodies,
// responses and errors are all typed from the spec. Against a running service:
//
//   API_URL=http://127.0.0.1:3000 npx tsx client/example.ts
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths, SchemaError, SchemaToken, SchemaUser } from './generated/api.js'

const baseUrl = process.env.API_URL
if (baseUrl === undefined) throw new Error('set API_URL to the service\'s address, e.g. API_URL=http://127.0.0.1:3000')
const api = createClient<paths>({ baseUrl })

/** The answer of a call that succeeded; a failed call's error body is the spec's Error: `{statusCode, error, message}`. */
function ok<T> (step: string, result: { data?: T, error?: SchemaError }): T {
  if (result.error !== undefined) throw new Error(`${step} failed: ${result.error.statusCode} ${result.error.message}`)
  return result.data as T
}

const email = `ada.${Date.now()}@example.com`
const password = 'violet-Harbor-93-kettle'

// Sign up: the account is created and logged in at once.
const signup = ok('signup', await api.POST('/api/v1/users', {
  body: { email, password, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' }
}))
console.log(`signed up as user ${signup.user.id}`)

// Log in (a second session); remember_me asks for a long-lived token.
// An account with two-factor authentication on answers `{mfa_required: true, mfa_token}` instead,
// and its login completes at POST /api/v1/users/login/mfa with a code; a new account has none.
const login = ok('login', await api.POST('/api/v1/users/login', { body: { email, password } })) as SchemaToken
console.log(`logged in; the token expires in ${login.expires_in} s`)

// From here on, every request carries the token.
const bearer: Middleware = {
  onRequest ({ request }) {
    request.headers.set('Authorization', `Bearer ${login.jwt_token}`)
    return request
  }
}
api.use(bearer)

const user: SchemaUser = ok('get me', await api.GET('/api/v1/users/me'))
console.log(`I am ${user.first_name} ${user.last_name} <${user.email}>, policy: ${JSON.stringify(user.policy)}`)

const updated = ok('update me', await api.PATCH('/api/v1/users/me', { body: { last_name: 'King' } }))
console.log(`now ${updated.first_name} ${updated.last_name}`)

// Log out: this token stops working at once (`body: { all: true }` would end every session).
ok('logout', await api.POST('/api/v1/users/logout'))

const after = await api.GET('/api/v1/users/me')
console.log(`after logout: ${after.response.status}`)
