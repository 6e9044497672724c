// How another TypeScript service talks to dna-api: the types generated from openapi/openapi.json
// (`make client` writes client/generated/api.ts) with openapi-fetch as the runtime. Paths, bodies,
// responses and errors are all typed from the spec. Against a running service:
//
//   API_URL=http://127.0.0.1:3000 npx tsx client/example.ts
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths, SchemaError, SchemaUser } from './generated/api.js'

const api = createClient<paths>({ baseUrl: process.env.API_URL ?? 'http://127.0.0.1:3000' })

/** A failed call's error body is the spec's Error: `{statusCode, error, message}`. */
function fail (step: string, error: SchemaError): never {
  throw new Error(`${step} failed: ${error.statusCode} ${error.message}`)
}

const email = `ada.${Date.now()}@example.com`
const password = 'violet-Harbor-93-kettle'

// Sign up: the account is created and logged in at once.
const signup = await api.POST('/api/v1/users', {
  body: { email, password, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' }
})
if (signup.error !== undefined) fail('signup', signup.error)
console.log(`signed up as user ${signup.data.user.id}`)

// Log in (a second session); remember_me asks for a long-lived token.
const login = await api.POST('/api/v1/users/login', { body: { email, password } })
if (login.error !== undefined) fail('login', login.error)
// An account with two-factor authentication on answers `mfa_required: true` instead: the login
// then completes at POST /api/v1/users/login/mfa with a code. A new account has none.
if ('mfa_required' in login.data) throw new Error('login: this account needs its second factor (POST /api/v1/users/login/mfa)')
const token = login.data.jwt_token
console.log(`logged in; the token expires in ${login.data.expires_in} s`)

// From here on, every request carries the token.
const bearer: Middleware = {
  onRequest ({ request }) {
    request.headers.set('Authorization', `Bearer ${token}`)
    return request
  }
}
api.use(bearer)

const me = await api.GET('/api/v1/users/me')
if (me.error !== undefined) fail('get me', me.error)
const user: SchemaUser = me.data
console.log(`I am ${user.first_name} ${user.last_name} <${user.email}>, policy: ${user.policy ?? 'none yet'}`)

const updated = await api.PATCH('/api/v1/users/me', { body: { last_name: 'King' } })
if (updated.error !== undefined) fail('update me', updated.error)
console.log(`now ${updated.data.first_name} ${updated.data.last_name}`)

// Log out: this token stops working at once (`body: { all: true }` would end every session).
const logout = await api.POST('/api/v1/users/logout')
if (logout.error !== undefined) fail('logout', logout.error)

const after = await api.GET('/api/v1/users/me')
console.log(`after logout: ${after.response.status} ${after.error?.message ?? ''}`)
