import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loggerOptions } from '../src/app.js'
import { buildTestApp, testConfig, testDatabase } from './helper.js'

const db = await testDatabase(t)

/** A self-signed certificate for 127.0.0.1, made for this test run. */
function selfSignedCertificate (): { cert: string, key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dna-api-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' })
  return { cert, key }
}

/** GET over https or http; resolves with the status and body, rejects when the connection fails. */
async function get (client: typeof http | typeof https, url: string, options: https.RequestOptions = {}): Promise<{ status: number | undefined, body: string }> {
  return await new Promise((resolve, reject) => {
    client.get(url, options, (response) => {
      let body = ''
      response.on('data', (chunk) => { body += String(chunk) })
      response.on('end', () => resolve({ status: response.statusCode, body }))
    }).on('error', reject)
  })
}

t.test('with TLS_CERT_FILE and TLS_KEY_FILE the server speaks HTTPS, and only HTTPS', async (t) => {
  const { cert, key } = selfSignedCertificate()
  const app = await buildTestApp(t, db, { TLS_CERT_FILE: cert, TLS_KEY_FILE: key })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }

  const secure = await get(https, `https://127.0.0.1:${port}/health`, { ca: readFileSync(cert) })
  t.equal(secure.status, 200)
  t.same(JSON.parse(secure.body), { status: 'ok' })

  await t.rejects(get(https, `https://127.0.0.1:${port}/health`), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
    'a client that does not trust the certificate refuses it')
  await t.rejects(get(http, `http://127.0.0.1:${port}/health`), { code: 'ECONNRESET' }, 'plain HTTP on that port gets no answer')
})

t.test('without TLS files the server speaks plain HTTP', async (t) => {
  const app = await buildTestApp(t, db)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  t.equal((await get(http, `http://127.0.0.1:${port}/health`)).status, 200)
})

t.test('log lines carry no query string, and errors keep what explains them', async (t) => {
  const options = loggerOptions(testConfig({ LOG_LEVEL: 'debug' })) as {
    level: string
    serializers: { req: (request: unknown) => unknown, err: (error: unknown) => unknown }
  }
  t.equal(options.level, 'debug')
  t.notOk('transport' in options, 'JSON lines unless asked for pretty ones')
  t.same(options.serializers.req({ method: 'GET', url: '/api/v1/users?email=ada%40example.com&cursor=abc', ip: '203.0.113.9' }),
    { method: 'GET', url: '/api/v1/users', remoteAddress: '203.0.113.9' })

  const failure = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
  t.match(options.serializers.err(failure), { type: 'Error', message: 'connect ECONNREFUSED', code: 'ECONNREFUSED', stack: /^Error: connect ECONNREFUSED\n/ })
  const bare = new Error('no stack')
  delete bare.stack
  t.same(options.serializers.err(bare), { type: 'Error', message: 'no stack', code: undefined, statusCode: undefined, stack: '' })
})

t.test('without logger options the app logs at LOG_LEVEL', async (t) => {
  const app = await buildTestApp(t, db, { LOG_LEVEL: 'warn' }, { logger: undefined })
  t.equal(app.log.level, 'warn')
})

t.test('a logger made by the caller is used as it is', async (t) => {
  const messages: unknown[] = []
  const record = (...args: unknown[]) => { messages.push(args[args.length - 1]) }
  const ignore = (): void => {}
  // At level info, as a real logger would be: debug and trace lines go nowhere.
  const logger = { level: 'info', info: record, warn: record, error: record, fatal: record, debug: ignore, trace: ignore, silent: ignore, child: () => logger }
  const app = await buildTestApp(t, db, {}, { logger: undefined, loggerInstance: logger as never })
  await app.inject({ url: '/api/v1/captcha/status' })
  t.same(messages, ['request completed'], 'one line per request')
})

t.test('in a terminal the lines are pretty', async (t) => {
  t.type((loggerOptions(testConfig(), { pretty: true }) as { stream: { write: unknown } }).stream.write, 'function', 'a stream of one-line messages (test/http/pretty-log.test.ts)')
})
