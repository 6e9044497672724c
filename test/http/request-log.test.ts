import t from 'tap'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { loggerOptions } from '../../src/app.js'
import { RequestLog } from '../../src/http/request-log.js'
import { buildTestApp, testConfig, testDatabase } from '../helper.js'
import { captureLogs } from '../support.js'

const db = await testDatabase(t)

t.test('each request is one line, written once it is answered: what was asked, by whom, the status and how long it took', async (t) => {
  const logs = captureLogs('info')
  const app = await buildTestApp(t, db, {}, { logger: { ...loggerOptions(testConfig({ LOG_LEVEL: 'info' })) as object, ...logs.logger } })
  const response = await app.inject({ url: '/api/v1/users/me?email=ada@example.com', headers: { authorization: 'Bearer secret-token' } })
  t.equal(response.statusCode, 401)
  const line = await logs.waitFor((line) => line.msg === 'request completed')
  t.match(line, { level: 30, reqId: String, req: { method: 'GET', url: '/api/v1/users/me', remoteAddress: '127.0.0.1' }, res: { statusCode: 401 }, responseTime: Number })
  t.same(Object.keys(line.req as object), ['method', 'url', 'remoteAddress'], 'no headers, so no token')
  t.same(logs.lines.filter((logged) => logged.reqId === line.reqId).map((logged) => logged.msg), ['request completed'], 'and no other line about it')
  t.notMatch(JSON.stringify(logs.lines), /ada@example\.com|secret-token/)
  t.same(Object.keys(line), ['level', 'time', 'pid', 'hostname', 'reqId', 'req', 'res', 'responseTime', 'msg'], 'in the order pino writes them')
})

t.test('the probes write no line while they succeed, and one when they fail', async (t) => {
  const logs = captureLogs('info')
  const app = await buildTestApp(t, db, {}, { logger: { ...loggerOptions(testConfig({ LOG_LEVEL: 'info' })) as object, ...logs.logger } })
  for (const url of ['/health', '/ready', '/health/']) t.equal((await app.inject({ url })).statusCode, 200, url)
  for (const url of ['/health?probe=%00', '/ready?probe=%00']) t.equal((await app.inject({ url })).statusCode, 400, url)
  // A request after them, so that every line before it has been written.
  t.equal((await app.inject({ url: '/nowhere' })).statusCode, 404)
  const answered = (line: Record<string, unknown>): [string, number] => [(line.req as { url: string }).url, (line.res as { statusCode: number }).statusCode]
  await logs.waitFor((line) => line.msg === 'request completed' && answered(line)[0] === '/nowhere')
  t.same(logs.lines.map(answered), [['/health', 400], ['/ready', 400], ['/nowhere', 404]])
})

t.test('above info, no line is written for a request', async (t) => {
  const logs = captureLogs('warn')
  const app = await buildTestApp(t, db, {}, { logger: { ...loggerOptions(testConfig({ LOG_LEVEL: 'warn' })) as object, ...logs.logger } })
  t.equal((await app.inject({ url: '/health' })).statusCode, 200)
  t.equal((await app.inject({ url: '/nowhere' })).statusCode, 404)
  t.same(logs.lines, [])
})

t.test('at debug level the arrival of a request is a line of its own, for following slow requests, and the probes are logged', async (t) => {
  const logs = captureLogs('debug')
  const app = await buildTestApp(t, db, {}, { logger: { ...loggerOptions(testConfig({ LOG_LEVEL: 'debug' })) as object, ...logs.logger } })
  t.equal((await app.inject({ url: '/health?email=ada@example.com' })).statusCode, 200)
  const completed = await logs.waitFor((line) => line.msg === 'request completed')
  t.same(logs.lines.filter((logged) => logged.reqId === completed.reqId).map((logged) => [logged.level, logged.msg]),
    [[20, 'incoming request'], [30, 'request completed']])
  t.match(logs.lines.find((logged) => logged.msg === 'incoming request'), { req: { method: 'GET', url: '/health' } })
  t.notMatch(JSON.stringify(logs.lines), /ada@example\.com/, 'without the query string')
})

t.test('a response that fails while it is being sent is logged as an error', async (t) => {
  const logged: Array<{ level: string, line: Record<string, unknown>, msg: string }> = []
  const log = {
    info: (line: Record<string, unknown>, msg: string) => logged.push({ level: 'info', line, msg }),
    error: (line: Record<string, unknown>, msg: string) => logged.push({ level: 'error', line, msg })
  }
  const request = { method: 'GET', url: '/api/v1/users/me' } as unknown as FastifyRequest
  const reply = { log, elapsedTime: 12.5 } as unknown as FastifyReply
  const reset = Object.assign(new Error('aborted'), { code: 'ECONNRESET' })
  const controller = new RequestLog()
  controller.requestCompleted(reset, request, reply)
  t.same(logged, [{ level: 'error', line: { req: request, res: reply, responseTime: 12.5, err: reset }, msg: 'request errored' }])
})
