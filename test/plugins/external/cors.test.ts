import t from 'tap'
import { auth, buildTestApp, signUp, testDatabase } from '../../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db, { CORS_ORIGINS: 'https://app.example.com,http://localhost:5173' })
const sameOriginOnly = await buildTestApp(t, db)

const ALLOWED = 'https://app.example.com'
const REFUSED = 'https://evil.example.net'
const CORS_HEADERS = ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods',
  'access-control-allow-headers', 'access-control-expose-headers', 'access-control-max-age']

const preflight = (origin: string, method = 'PATCH', headers = 'authorization, api-token, content-type') => ({
  method: 'OPTIONS' as const,
  url: '/api/v1/users/me',
  headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers }
})

t.test('an allowed origin may read the answer, without credentials', async (t) => {
  const response = await app.inject({ url: '/health', headers: { origin: ALLOWED } })
  t.equal(response.statusCode, 200)
  t.equal(response.headers['access-control-allow-origin'], ALLOWED)
  t.notOk('access-control-allow-credentials' in response.headers)
  t.match(response.headers.vary, /Origin/, 'caches keep answers for different origins apart')
  t.equal(response.headers['access-control-expose-headers'], 'ETag, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset')

  const other = await app.inject({ url: '/health', headers: { origin: 'http://localhost:5173' } })
  t.equal(other.headers['access-control-allow-origin'], 'http://localhost:5173', 'each listed origin is allowed')
})

t.test('errors carry the header too, so an allowed client can read why', async (t) => {
  const response = await app.inject({ url: '/api/v1/users/me', headers: { origin: ALLOWED } })
  t.equal(response.statusCode, 401)
  t.equal(response.headers['access-control-allow-origin'], ALLOWED)
})

t.test('a refused origin gets no CORS header at all', async (t) => {
  for (const origin of [REFUSED, 'null', 'https://app.example.com.evil.example.net', 'http://app.example.com', 'https://APP.example.com']) {
    const response = await app.inject({ url: '/health', headers: { origin } })
    t.equal(response.statusCode, 200, 'the request itself is served: CORS only tells the browser what a page may read')
    for (const header of CORS_HEADERS) t.notOk(header in response.headers, `${origin}: no ${header}`)
  }
})

t.test('the preflight for an allowed origin grants what the API needs', async (t) => {
  const { token } = await signUp(app)
  const response = await app.inject(preflight(ALLOWED))
  t.equal(response.statusCode, 204)
  t.equal(response.body, '')
  t.equal(response.headers['access-control-allow-origin'], ALLOWED)
  t.equal(response.headers['access-control-allow-methods'], 'GET, HEAD, POST, PUT, PATCH, DELETE')
  t.equal(response.headers['access-control-allow-headers'], 'Authorization, api-token, Content-Type, If-Match')
  t.equal(response.headers['access-control-max-age'], '600')
  t.notOk('access-control-allow-credentials' in response.headers)

  // What the browser then sends.
  const actual = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { origin: ALLOWED, ...auth(token) }, payload: { first_name: 'Grace' } })
  t.equal(actual.statusCode, 200)
  t.equal(actual.headers['access-control-allow-origin'], ALLOWED)
})

t.test('the preflight for a refused origin grants nothing', async (t) => {
  const response = await app.inject(preflight(REFUSED))
  t.equal(response.statusCode, 404)
  t.same(response.json(), { statusCode: 404, error: 'Not Found', message: 'no route for OPTIONS /api/v1/users/me' })
  for (const header of CORS_HEADERS) t.notOk(header in response.headers, `no ${header}`)
})

t.test('an OPTIONS request that is not a preflight is answered harmlessly', async (t) => {
  const response = await app.inject({ method: 'OPTIONS', url: '/api/v1/users', headers: { origin: ALLOWED } })
  t.equal(response.statusCode, 204)
  const anonymous = await app.inject({ method: 'OPTIONS', url: '/api/v1/users' })
  t.equal(anonymous.statusCode, 404)
  t.equal(anonymous.json().error, 'Not Found')
})

t.test('by default no other origin is allowed', async (t) => {
  const simple = await sameOriginOnly.inject({ url: '/health', headers: { origin: ALLOWED } })
  t.equal(simple.statusCode, 200)
  for (const header of CORS_HEADERS) t.notOk(header in simple.headers, `no ${header}`)
  t.notOk('vary' in simple.headers, 'no answer depends on the Origin, so none says it varies with it')
  const response = await sameOriginOnly.inject(preflight(ALLOWED))
  t.equal(response.statusCode, 404)
  for (const header of CORS_HEADERS) t.notOk(header in response.headers, `no ${header}`)
})
