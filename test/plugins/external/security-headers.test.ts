import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { connect, type AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { helmetHeaders } from '../../../src/plugins/external/security-headers.js'
import { buildTestApp, signUp, testDatabase } from '../../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)

/** The directives of a Content-Security-Policy header, by name. */
function directives (header: unknown): Map<string, string[]> {
  return new Map(String(header).split(';').map((part) => part.trim()).filter((part) => part !== '')
    .map((part) => { const [name, ...values] = part.split(/\s+/); return [name, values] }))
}

t.test('the pages get a strict Content-Security-Policy with no inline code allowed', async (t) => {
  const response = await app.inject({ url: '/login.html' })
  t.equal(response.statusCode, 200)
  const header = response.headers['content-security-policy']
  t.notMatch(String(header), 'unsafe-inline')
  t.notMatch(String(header), 'unsafe-eval')
  const csp = directives(header)
  t.same(csp.get('default-src'), ["'self'"])
  t.same(csp.get('script-src'), ["'self'"])
  t.same(csp.get('style-src'), ["'self'"])
  t.same(csp.get('script-src-attr'), ["'none'"])
  t.same(csp.get('object-src'), ["'none'"])
  t.same(csp.get('frame-ancestors'), ["'none'"])
})

t.test('every response carries the other headers, and HSTS only over TLS', async (t) => {
  for (const url of ['/login.html', '/signup.html', '/account.html', '/api/v1/users/me', '/no-such-page']) {
    const response = await app.inject({ url })
    t.match(response.headers, {
      'content-security-policy': /default-src 'self'/,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer'
    }, url)
    t.notOk('strict-transport-security' in response.headers, url)
  }
})

t.test('the headers are helmet\'s, the same on every response, worked out once', async (t) => {
  const expected = {
    'content-security-policy': /^default-src 'self';/,
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-frame-options': 'DENY',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0'
  }
  const first = await app.inject({ url: '/health' })
  t.match(first.headers, expected)
  const again = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: {} })
  t.equal(again.statusCode, 400)
  t.match(again.headers, { ...expected, 'content-security-policy': first.headers['content-security-policy'] })
  t.same(helmetHeaders({ xPoweredBy: false, contentSecurityPolicy: false }).remove, [], 'what helmet removes is found too')
  t.same(helmetHeaders({}).remove, ['X-Powered-By'])
})

t.test('Swagger UI gets its own policy, still without inline code, and the pages keep theirs', async (t) => {
  for (const url of ['/docs', '/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js', '/docs/json']) {
    const response = await app.inject({ url })
    t.equal(response.statusCode, 200, url)
    const header = String(response.headers['content-security-policy'])
    t.notMatch(header, 'unsafe-inline', url)
    t.notMatch(header, 'unsafe-eval', url)
    const csp = directives(header)
    t.same(csp.get('script-src'), ["'self'"], url)
    t.same(csp.get('frame-ancestors'), ["'none'"], url)
  }
  const page = await app.inject({ url: '/account.html' })
  t.same(directives(page.headers['content-security-policy']).get('img-src'), ["'self'"])
})

t.test('a server that serves TLS itself tells browsers to keep to HTTPS', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dna-api-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost',
    '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
  const tlsApp = await buildTestApp(t, db, { TLS_CERT_FILE: cert, TLS_KEY_FILE: key })
  const response = await tlsApp.inject({ url: '/login.html' })
  t.equal(response.headers['strict-transport-security'], `max-age=${365 * 86400}`)
})

t.test('API answers may not be cached anywhere; pages may', async (t) => {
  for (const url of ['/api/v1/users/me', '/api/v1/nothing-here']) {
    t.equal((await app.inject({ url })).headers['cache-control'], 'no-store', url)
  }
  const login = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'nobody@example.com', password: 'wrong-password' } })
  t.equal(login.headers['cache-control'], 'no-store')
  t.not((await app.inject({ url: '/login.html' })).headers['cache-control'], 'no-store')
})

t.test('an API answer is kept nowhere however its URL is spelt: the route decides, not the text of the URL', async (t) => {
  // On a real socket: app.inject() would normalise the request line before the app saw it.
  const listening = await buildTestApp(t, db)
  await listening.listen({ port: 0, host: '127.0.0.1' })
  const { port } = listening.server.address() as AddressInfo
  const { token, user } = await signUp(listening)
  const get = async (target: string, headers = ''): Promise<{ status: string, headers: string, body: string }> => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    socket.on('data', (chunk: Buffer) => { text += chunk.toString() })
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headers}Connection: close\r\n\r\n`)
    await once(socket, 'close')
    const [head, body] = text.split('\r\n\r\n')
    return { status: head.split('\r\n')[0], headers: head, body }
  }
  const authorization = `Authorization: Bearer ${token}\r\n`
  for (const target of ['/api/v1/users/me', '/%61pi/v1/users/me', '/%61%70%69/v1/%75sers/me/', `http://127.0.0.1:${port}/api/v1/users/me`]) {
    const answer = await get(target, authorization)
    t.equal(answer.status, 'HTTP/1.1 200 OK', target)
    t.match(JSON.parse(answer.body), { id: user.id, email: user.email }, `${target} answers the profile`)
    t.match(answer.headers, /\r\ncache-control: no-store\r\n/i, `${target} is not to be stored`)
  }
  for (const target of ['/%61pi/v1/users/me', '/%61pi/v1/nothing-here']) {
    const answer = await get(target)
    t.match(answer.status, /^HTTP\/1\.1 40[14] /, target)
    t.match(answer.headers, /\r\ncache-control: no-store\r\n/i, `${target}: its error neither`)
  }
  const page = await get('/%6cogin.html')
  t.equal(page.status, 'HTTP/1.1 200 OK')
  t.notMatch(page.headers, /cache-control: no-store/i, 'a page may still be cached')
})
