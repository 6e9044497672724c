// `make run`, as an operator sees it: the server runs as its own process, on a data directory
// of its own, on a port the system picks.
import { once } from 'node:events'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { get } from 'node:https'
import { connect, createServer, type AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import t from 'tap'
import { openDatabase } from '../src/db/database.js'
import { migrate } from '../src/db/migrations.js'
import { SAMPLE_JWT_SECRET } from '../src/config.js'
import { PASSWORD } from './helper.js'
import { emptyPostgresDatabase, logLines, POSTGRES_URL, runCli, serve, tempDir } from './support.js'

const LATEST = Math.max(...readdirSync('sql').filter((file) => /^\d+\.do\./.test(file)).map((file) => Number(file.split('.')[0])))
const dataDir = join(tempDir(t), 'data')

t.test('a bad variable stops start-up with one line naming it', async (t) => {
  t.same(runCli('src/server.ts', [], { env: { PORT: 'abc' } }), {
    status: 1,
    stdout: '',
    stderr: "dna-api: configuration error: PORT: expected a whole number from 0 to 65535, got 'abc'\n"
  })
})

t.test('the server reads .env from where it runs, and its values are checked too', async (t) => {
  const cwd = tempDir(t)
  writeFileSync(join(cwd, '.env'), 'LOG_LEVEL=loud\n')
  t.same(runCli('src/server.ts', [], { cwd, env: { LOG_LEVEL: undefined } }), {
    status: 1,
    stdout: '',
    stderr: "dna-api: configuration error: LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got 'loud'\n"
  })
})

t.test('a database whose schema is behind the code is not served: the operator is told to migrate', async (t) => {
  t.same(runCli('src/server.ts', [], { env: { DATA_DIR: dataDir } }), {
    status: 1,
    stdout: '',
    stderr: `dna-api: error: the database schema is at version 0 but this code needs ${LATEST}: run \`make migrate\` first\n`
  })
  t.notOk(existsSync(join(dataDir, 'dna-api.pid')), 'the database was closed on the way out')
  // The tests below serve this directory (`make migrate` itself is tested in cli/migrate.test.ts).
  const db = await openDatabase({ dataDir })
  await migrate(db)
  await db.close()
})

t.test('the server answers, logs requests as JSON without their query string, and stops cleanly on SIGTERM', async (t) => {
  const { server, url } = await serve(t, { DATA_DIR: dataDir, NODE_ENV: 'development', JWT_SECRET: undefined })
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, 'in development it listens on localhost, on the port the system gave')

  const health = await fetch(`${url}/health?email=ada@example.com`)
  t.equal(health.status, 200)
  t.same(await health.json(), { status: 'ok' })
  const ready = await fetch(`${url}/ready`)
  t.equal(ready.status, 200)
  t.same(await ready.json(), { status: 'ok' })
  const missing = await fetch(`${url}/nowhere`)
  t.equal(missing.status, 404)
  t.same(await missing.json(), { statusCode: 404, error: 'Not Found', message: 'no route for GET /nowhere' })

  const completed = (text: string): number => logLines(text).filter((line) => line.msg === 'request completed').length
  // The probes that succeeded write no line; the one refused (400) does.
  const refused = await fetch(`${url}/ready?email=ada@example.com&probe=%00`)
  t.equal(refused.status, 400)
  await server.waitFor('stdout', (text) => completed(text) === 2)
  const lines = logLines(server.output.stdout)
  t.match(lines.find((line) => line.level === 40), { msg: `JWT_SECRET is not set: made a random one and saved it in ${dataDir}/jwt-secret (readable by this user only) for later starts to reuse; production needs JWT_SECRET` },
    'the generated secret is worth a warning')
  t.match(lines.filter((line) => line.req !== undefined).map((line) => line.req),
    [{ method: 'GET', url: '/nowhere', remoteAddress: '127.0.0.1' }, { url: '/ready' }])
  t.notMatch(server.output.stdout, /ada@example\.com/, 'the query string, which may hold personal data, is not logged')
  t.match(lines.find((line) => /^dna-api is serving/.test(line.msg)), {
    level: 30,
    msg: `dna-api is serving the pages at ${url}/ and the API docs at ${url}/docs, on the embedded database in ${dataDir}/`
  }, 'the start-up line says where to look and which database is in use')

  server.child.kill('SIGTERM')
  t.same(await server.closed, { code: 0, signal: null })
  t.equal(server.output.stderr, '')
  t.notOk(existsSync(join(dataDir, 'dna-api.pid')), 'the database was closed: its lock is released')
})

t.test('on SIGTERM the server takes no new connection, finishes the request in flight, closes the database and exits with 0', async (t) => {
  // LOG_LEVEL=debug: the server logs each request as it arrives, which says when the signup is in flight.
  const { server, url } = await serve(t, { DATA_DIR: dataDir, LOG_LEVEL: 'debug' })
  const { hostname, port } = new URL(url)

  // A keep-alive connection left idle after one request, as browsers and proxies keep them.
  const idle = connect(Number(port), hostname)
  t.teardown(() => idle.destroy())
  idle.write(`GET /health HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`)
  const [answer] = await once(idle, 'data') as [Buffer]
  t.match(answer.toString(), /^HTTP\/1\.1 200 OK\r\n[^]*connection: keep-alive/i)
  const idleClosed = once(idle, 'close')

  // A signup whose body is still on its way: in flight for as long as the test holds back its end,
  // whatever the machine's speed.
  const body = JSON.stringify({ email: 'ada@example.com', password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' })
  const signup = connect(Number(port), hostname)
  t.teardown(() => signup.destroy())
  let answered = ''
  signup.on('data', (chunk: Buffer) => { answered += chunk.toString() })
  const signupEnded = once(signup, 'end')
  signup.write(`POST /api/v1/users HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body.slice(0, 20)}`)
  await server.waitFor('stdout', (text) => logLines(text).some((line) => line.msg === 'incoming request' && (line.req as { url: string }).url === '/api/v1/users'))

  server.child.kill('SIGTERM')
  await server.waitFor('stdout', (text) => logLines(text).some((line) => line.msg === 'closing: no new connections; finishing the requests in flight' && line.signal === 'SIGTERM'))
  // The listening socket closes just after that line is written: a connection accepted in between,
  // or reset because it was still in the queue when the socket closed, is dropped and the next one tried.
  let refusal: unknown
  while (refusal === undefined || (refusal as { code?: string }).code === 'ECONNRESET') {
    const attempt = connect(Number(port), hostname)
    refusal = await Promise.race([once(attempt, 'error').then(([error]) => error as unknown), once(attempt, 'connect').then(() => undefined)])
    attempt.destroy()
  }
  t.match(refusal, { code: 'ECONNREFUSED' }, 'a new connection is refused while the signup is in flight')
  await idleClosed
  t.pass('the idle keep-alive connection is closed by the server')
  t.equal(answered, '', 'the signup is still waiting for its answer')

  signup.write(body.slice(20))
  await signupEnded
  const [head, json] = answered.split('\r\n\r\n')
  t.match(head, /^HTTP\/1\.1 201 Created\r\n/, 'the request in flight gets its answer')
  t.match(head, /\r\nconnection: close\r\n/i, 'and its connection ends with it, not holding up the close')
  t.match(JSON.parse(json), { token_type: 'Bearer', user: { email: 'ada@example.com' } })
  t.same(await server.closed, { code: 0, signal: null }, 'closed within the grace period')
  t.notOk(existsSync(join(dataDir, 'dna-api.pid')), 'after closing the database')
})

t.test('with TLS_CERT_FILE and TLS_KEY_FILE the server speaks HTTPS', async (t) => {
  const cert = resolve('test/fixtures/tls/cert.pem')
  const { server, url } = await serve(t, { DATA_DIR: dataDir, TLS_CERT_FILE: cert, TLS_KEY_FILE: resolve('test/fixtures/tls/key.pem') })
  t.match(url, /^https:\/\/127\.0\.0\.1:\d+$/)
  const response = await new Promise<{ status: number | undefined, body: string }>((resolve, reject) => {
    get(`${url}/health`, { ca: readFileSync(cert) }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => resolve({ status: res.statusCode, body }))
    }).on('error', reject)
  })
  t.same(response, { status: 200, body: '{"status":"ok"}' })
  server.child.kill('SIGTERM')
  t.same(await server.closed, { code: 0, signal: null })
})

t.test('production refuses to start without a strong JWT_SECRET of its own: one line, exit code 1', async (t) => {
  const cases: Array<[string, string]> = [
    ['', 'JWT_SECRET: required in production (at least 32 bytes, e.g. `openssl rand -base64 48`)'],
    ['x'.repeat(31), 'JWT_SECRET: must be at least 32 bytes, got 31'],
    [SAMPLE_JWT_SECRET, 'JWT_SECRET: is the sample value from .env.sample; generate your own']
  ]
  for (const [secret, message] of cases) {
    t.same(runCli('src/server.ts', [], { env: { NODE_ENV: 'production', JWT_SECRET: secret, DATA_DIR: dataDir } }), {
      status: 1,
      stdout: '',
      stderr: `dna-api: configuration error: ${message}\n`
    }, `JWT_SECRET='${secret}'`)
  }
})

t.test('a database that cannot be reached is told in terms of DATABASE_URL, with what to do', async (t) => {
  const server = new URL(POSTGRES_URL)
  const at = (path: string, user = server.username): string => `postgres://${user}@${server.host}${path}`
  const refusing = await portNobodyListensOn()
  const cases: Array<[string, string]> = [
    [`postgres://postgres@127.0.0.1:${refusing}/dna_api`,
      `DATABASE_URL: no PostgreSQL answers at 127.0.0.1:${refusing} (connection refused): start PostgreSQL, or correct the host and port in DATABASE_URL`],
    [at('/no_such_db'),
      `DATABASE_URL: the database "no_such_db" does not exist on ${server.host}: create it with \`createdb no_such_db\` (then \`make migrate\`), or correct its name in DATABASE_URL`],
    [at('/postgres', 'nobody'),
      `DATABASE_URL: PostgreSQL at ${server.host} refused the user "nobody" (role "nobody" does not exist): create the role with \`createuser nobody\`, or correct the user in DATABASE_URL`]
  ]
  for (const [url, message] of cases) {
    t.same(runCli('src/server.ts', [], { env: { DATABASE_URL: url } }), { status: 1, stdout: '', stderr: `dna-api: error: ${message}\n` }, url)
  }
  // Any other refusal is told in PostgreSQL's own words: here, a setting the server does not know.
  const unknownSetting = `${at('/postgres')}?options=${encodeURIComponent('-c no_such_setting=1')}`
  t.match(runCli('src/server.ts', [], { env: { DATABASE_URL: unknownSetting } }),
    { status: 1, stdout: '', stderr: /^dna-api: error: unrecognized configuration parameter "no_such_setting"\n$/ })
  // `make run` migrates first: the migration says the same.
  const [url, message] = cases[1]
  t.same(runCli('src/cli/migrate.ts', [], { env: { DATABASE_URL: url } }), { status: 1, stdout: '', stderr: `dna-api: error: ${message}\n` })
})

t.test('a port in use is told in terms of PORT, and the database is closed on the way out', async (t) => {
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => taken.close())
  const port = (taken.address() as AddressInfo).port
  t.same(runCli('src/server.ts', [], { env: { DATA_DIR: dataDir, PORT: String(port) } }), {
    status: 1,
    stdout: '',
    stderr: `dna-api: error: PORT: 127.0.0.1:${port} is already in use (another dna-api, or another program): ` +
      `stop that program, or pick another port, e.g. PORT=${port + 1} make run\n`
  })
  t.notOk(existsSync(join(dataDir, 'dna-api.pid')), 'the database was closed: its lock is released')
  t.notOk(existsSync(join(dataDir, 'dna-api.sock')), 'and the control socket too')
})

t.test('with METRICS_PORT the server serves GET /metrics on a listener of its own, on the loopback address', async (t) => {
  const { server, url } = await serve(t, { DATA_DIR: dataDir, METRICS_PORT: '0' })
  const output = await server.waitFor('stdout', (text) => /metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/.test(text))
  const metricsUrl = (/metrics at (http:\/\/\S+?\/metrics)/.exec(output) as RegExpExecArray)[1]
  t.equal((await fetch(`${url}/nowhere`)).status, 404)
  const metrics = await fetch(metricsUrl)
  t.equal(metrics.status, 200)
  t.match(await metrics.text(), /^http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1$/m)
  t.equal((await fetch(`${url}/metrics`)).status, 404, 'not on the service\'s own port')
  server.child.kill('SIGTERM')
  t.same(await server.closed, { code: 0, signal: null })
})

t.test('a metrics port in use is told in terms of METRICS_PORT, and the database is closed on the way out', async (t) => {
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => taken.close())
  const port = (taken.address() as AddressInfo).port
  t.same(runCli('src/server.ts', [], { env: { DATA_DIR: dataDir, METRICS_PORT: String(port) } }), {
    status: 1,
    stdout: '',
    stderr: `dna-api: configuration error: METRICS_PORT: 127.0.0.1:${port} is already in use: pick another port for the metrics\n`
  })
  t.notOk(existsSync(join(dataDir, 'dna-api.pid')), 'the database was closed: its lock is released')
})

t.test('on PostgreSQL the start-up line names the server and database, never the password', async (t) => {
  const databaseUrl = new URL(await emptyPostgresDatabase(t))
  const db = await openDatabase({ url: databaseUrl.toString() })
  await migrate(db)
  await db.close()
  // The local server trusts its clients, so any password gets in.
  databaseUrl.password = 'a-password-to-keep-out-of-logs'
  const { server, url } = await serve(t, { DATABASE_URL: databaseUrl.toString() })
  const line = await server.waitFor('stdout', (text) => /dna-api is serving/.test(text))
  t.match(logLines(line).find((entry) => /^dna-api is serving/.test(entry.msg)), {
    level: 30,
    msg: `dna-api is serving the pages at ${url}/ and the API docs at ${url}/docs, on PostgreSQL at ${databaseUrl.host}${databaseUrl.pathname}`
  })
  t.notMatch(server.output.stdout, /a-password-to-keep-out-of-logs/)
  server.child.kill('SIGTERM')
  t.same(await server.closed, { code: 0, signal: null })
})

/** A port on this machine that refuses connections: one the system gave, then closed. */
async function portNobodyListensOn (): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}
