import t from 'tap'
import { openDatabase } from '../../src/db/database.js'
import { buildTestApp, testDatabase } from '../helper.js'
import { captureLogs, databaseBehindSwitch, silentServer } from '../support.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)

t.test('/health says the process is up, /ready that the database answers', async (t) => {
  for (const url of ['/health', '/ready']) {
    const response = await app.inject({ url })
    t.equal(response.statusCode, 200, url)
    t.same(response.json(), { status: 'ok' }, url)
  }
})

t.test('during a database outage /ready is a quick 503 and /health stays 200; both recover by themselves', async (t) => {
  const database = await databaseBehindSwitch(t)
  const logs = captureLogs('warn')
  const remote = await openDatabase({ url: database.url, connectionTimeoutMs: 500 })
  t.teardown(async () => await remote.close())
  const service = await buildTestApp(t, remote, {}, { logger: logs.logger })
  t.equal((await service.inject({ url: '/ready' })).statusCode, 200, 'before the outage')

  database.set('down')
  const ready = await service.inject({ url: '/ready' })
  t.equal(ready.statusCode, 503)
  t.equal(ready.headers['retry-after'], '5')
  t.same(ready.json(), { statusCode: 503, error: 'Service Unavailable', message: 'the database is not reachable' })
  t.equal((await service.inject({ url: '/health' })).statusCode, 200, 'the process itself is fine')
  t.ok(logs.lines.some((line) => line.msg === 'readiness check failed' && line.level === 40), 'the operator finds out why in the log')

  database.set('up')
  const back = await service.inject({ url: '/ready' })
  t.equal(back.statusCode, 200, 'no restart needed')
  t.same(back.json(), { status: 'ok' })
})

t.test('a database that accepts connections but never answers gives a 503, not a hang', async (t) => {
  const hung = await openDatabase({ url: `postgres://postgres@127.0.0.1:${await silentServer(t)}/postgres`, connectionTimeoutMs: 300 })
  t.teardown(async () => await hung.close())
  const service = await buildTestApp(t, hung)
  const response = await service.inject({ url: '/ready' })
  t.equal(response.statusCode, 503)
  t.equal(response.json().message, 'the database is not reachable')
})

t.test('the probes refuse what no route accepts, as the spec says: a NUL byte in the query string', async (t) => {
  for (const url of ['/health?probe=%00', '/ready?probe=%00']) {
    const response = await app.inject({ url })
    t.equal(response.statusCode, 400, url)
    t.equal(response.json().message, 'querystring/probe contains a NUL character or invalid Unicode, which cannot be stored')
  }
})
