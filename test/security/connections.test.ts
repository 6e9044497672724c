// Clients that misuse the connection itself, against the app listening on a real socket: a body
// that trickles in (REQUEST_TIMEOUT_MS, short here), a reset in the middle of a body, bytes that
// are not HTTP. Each gets an answer in the one error shape, or none when it is gone, and none of
// them is logged as the service failing.
import { once } from 'node:events'
import { connect, type AddressInfo, type Socket } from 'node:net'
import t from 'tap'
import { loggerOptions } from '../../src/app.js'
import { buildTestApp, testConfig, testDatabase } from '../helper.js'
import { captureLogs } from '../support.js'

const TIMEOUT_MS = 300
const db = await testDatabase(t)
const logs = captureLogs('info')
const app = await buildTestApp(t, db, { REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) },
  { logger: { ...loggerOptions(testConfig({ LOG_LEVEL: 'info' })) as object, ...logs.logger } })
// When a request's body starts being read, and when its client went away: the events a test waits for.
const waiting = { parsing: [] as Array<() => void>, aborted: [] as Array<() => void> }
app.addHook('preParsing', (_request, _reply, payload, done) => {
  for (const resolve of waiting.parsing.splice(0)) resolve()
  done(null, payload)
})
app.addHook('onRequestAbort', (_request, done) => {
  for (const resolve of waiting.aborted.splice(0)) resolve()
  done()
})
await app.listen({ port: 0, host: '127.0.0.1' })
const { port } = app.server.address() as AddressInfo
t.beforeEach(() => { logs.lines.length = 0 })

const next = async (event: keyof typeof waiting): Promise<void> => { await new Promise<void>((resolve) => waiting[event].push(resolve)) }

/** A raw connection: everything the server sent, once it has closed the connection. */
function open (): { socket: Socket, answer: Promise<string> } {
  const socket = connect(port, '127.0.0.1')
  let text = ''
  socket.on('data', (chunk: Buffer) => { text += chunk.toString() })
  socket.on('error', () => {})
  return { socket, answer: once(socket, 'close').then(() => text) }
}

/** The status line, the headers (lower-cased names) and the parsed body of a raw answer. */
function parse (answer: string): { status: string, headers: Record<string, string>, body: unknown } {
  const [head, body] = answer.split('\r\n\r\n')
  const [status, ...lines] = head.split('\r\n')
  const headers = Object.fromEntries(lines.map((line) => line.split(/: (.*)/s, 2) as [string, string]).map(([name, value]) => [name.toLowerCase(), value]))
  return { status, headers, body: JSON.parse(body) }
}

const LOGIN_HEAD = 'POST /api/v1/users/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n'
const OUTAGE = (line: { level: number, msg: string }): boolean => line.msg === 'database unavailable' || line.level >= 50

t.test('a body that trickles in gets a 408 in the error shape, soon after REQUEST_TIMEOUT_MS, and its connection is closed', async (t) => {
  const { socket, answer } = open()
  const aborted = next('aborted')
  const started = Date.now()
  socket.write(`${LOGIN_HEAD}{"email":"ada@example.com",`)
  const { status, headers, body } = parse(await answer)
  const elapsed = Date.now() - started
  await aborted
  t.equal(status, 'HTTP/1.1 408 Request Timeout')
  t.match(headers, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', connection: 'close' })
  t.same(body, { statusCode: 408, error: 'Request Timeout', message: 'the request did not arrive in full within 0.3 s: send its headers and body without pausing' })
  t.ok(elapsed >= TIMEOUT_MS - 50, `not before the limit (${elapsed} ms)`)
  t.ok(elapsed < TIMEOUT_MS + 5000, `no later than 5 s after it (${elapsed} ms), not at Node's next 30 s check`)
  t.ok(socket.destroyed, 'the server closed the connection')
  t.same(logs.lines.filter(OUTAGE), [], 'a slow client is not the service failing')
})

t.test('headers that never end get the same 408', async (t) => {
  const { socket, answer } = open()
  socket.write('GET /api/v1/users/me HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1')
  const { status, body } = parse(await answer)
  t.equal(status, 'HTTP/1.1 408 Request Timeout')
  t.match(body, { statusCode: 408, error: 'Request Timeout' })
})

t.test('a body that arrives in time is answered as usual, even in pieces', async (t) => {
  const { socket, answer } = open()
  const body = JSON.stringify({ email: 'nobody@example.com', password: 'not-the-password' })
  socket.write(`POST /api/v1/users/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`)
  await next('parsing')
  socket.write(body.slice(10))
  const login = parse(await answer)
  t.equal(login.status, 'HTTP/1.1 401 Unauthorized')
  t.same(login.body, { statusCode: 401, error: 'Unauthorized', message: 'invalid credentials' })
})

t.test('a client that resets its connection mid-body is not logged as a database outage', async (t) => {
  const { socket, answer } = open()
  const parsing = next('parsing')
  socket.write(`${LOGIN_HEAD}{"email":`)
  await parsing
  const aborted = next('aborted')
  socket.resetAndDestroy()
  await answer
  // Fastify calls the error handler with the body's error before it runs the abort hooks.
  await aborted
  t.same(logs.lines.filter(OUTAGE), [], 'no "database unavailable", no error at all')
  t.equal((await fetch(`http://127.0.0.1:${port}/ready`)).status, 200, 'and the service goes on')
})

t.test('bytes that are not HTTP, or headers too large, get a 400 or a 431 in the error shape', async (t) => {
  const garbage = open()
  garbage.socket.write('HELLO\r\n\r\n')
  const invalid = parse(await garbage.answer)
  t.equal(invalid.status, 'HTTP/1.1 400 Bad Request')
  t.same(invalid.body, { statusCode: 400, error: 'Bad Request', message: 'the request is not valid HTTP/1.1' })

  const large = open()
  large.socket.write(`GET /health HTTP/1.1\r\nHost: localhost\r\nX-Large: ${'x'.repeat(20 * 1024)}\r\n\r\n`)
  const tooLarge = parse(await large.answer)
  t.equal(tooLarge.status, 'HTTP/1.1 431 Request Header Fields Too Large')
  t.same(tooLarge.body, { statusCode: 431, error: 'Request Header Fields Too Large', message: 'the request headers are too large' })
  t.same(logs.lines.filter(OUTAGE), [])
})
