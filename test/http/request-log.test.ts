import { Writable } from 'node:stream'
import t from 'tap'
import pino from 'pino'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { loggerOptions } from '../../src/app.js'
import { completedLine, RequestLog } from '../../src/http/request-log.js'
import { buildTestApp, testConfig, testDatabase } from '../helper.js'
import { captureLogs } from '../support.js'

const db = await testDatabase(t)

t.test('each request is one line, written once it is answered: what was asked, by whom, the status and how long it took', async (t) => {
  const logs = captureLogs('info')
  const app = await buildTestApp(t, db, {}, { logger: { ...loggerOptions(testConfig({ LOG_LEVEL: 'info' })) as object, ...logs.logger } })
  const response = await app.inject({ url: '/health?email=ada@example.com', headers: { authorization: 'Bearer secret-token' } })
  t.equal(response.statusCode, 200)
  const line = await logs.waitFor((line) => line.msg === 'request completed')
  t.match(line, { level: 30, reqId: String, req: { method: 'GET', url: '/health', remoteAddress: '127.0.0.1' }, res: { statusCode: 200 }, responseTime: Number })
  t.same(Object.keys(line.req as object), ['method', 'url', 'remoteAddress'], 'no headers, so no token')
  t.same(logs.lines.filter((logged) => logged.reqId === line.reqId).map((logged) => logged.msg), ['request completed'], 'and no other line about it')
  t.notMatch(JSON.stringify(logs.lines), /ada@example\.com|secret-token/)
  t.same(Object.keys(line), ['level', 'time', 'pid', 'hostname', 'reqId', 'req', 'res', 'responseTime', 'msg'], 'in the order pino writes them')
})

/** What a pino logger made with the service's options writes for `log(logger)`, time taken out. */
function pinoWrites (log: (logger: pino.Logger) => void): string[] {
  const written: string[] = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { written.push(chunk.toString()); done() } })
  const options = loggerOptions(testConfig({ LOG_LEVEL: 'info' })) as pino.LoggerOptions
  log(pino(options, stream).child({ reqId: 'req-7' }))
  return written.map((line) => line.replace(/"time":\d+/, '"time":0'))
}

t.test('the line is made without pino, exactly as pino would make it', async (t) => {
  const requests = [
    { method: 'GET', url: '/health', ip: '127.0.0.1' },
    // JSON escapes in every string; behind a trusted proxy the address comes from a header.
    { method: 'PATCH', url: '/api/v1/users/me/"\\\u2028?email=ada@example.com', ip: '10.0.0.1", "admin": "yes' },
    // A client that has gone has no address any more; pino leaves the field out.
    { method: 'DELETE', url: '/api/v1/users/me', ip: undefined }
  ]
  for (const fields of requests) {
    const request = fields as unknown as FastifyRequest
    const reply = { statusCode: 204, elapsedTime: 12.345678 } as unknown as FastifyReply
    const [expected] = pinoWrites((logger) => logger.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed'))
    const [made] = pinoWrites((logger) => {
      const bindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym]
      ;(logger as unknown as Record<symbol, { write: (line: string) => void }>)[pino.symbols.streamSym].write(completedLine(request, reply, bindings))
    })
    t.equal(made, expected, `the ${fields.method} request`)
    t.notMatch(made, /ada@example\.com/)
  }
})

t.test('above info, no line is written for a request', async (t) => {
  const logs = captureLogs('warn')
  const app = await buildTestApp(t, db, {}, { logger: { ...loggerOptions(testConfig({ LOG_LEVEL: 'warn' })) as object, ...logs.logger } })
  t.equal((await app.inject({ url: '/health' })).statusCode, 200)
  t.equal((await app.inject({ url: '/nowhere' })).statusCode, 404)
  t.same(logs.lines, [])
})

t.test('a logger that writes to several streams by level gets the line through pino, once', async (t) => {
  const logs = captureLogs('info')
  const stream = pino.multistream([{ level: 'info', stream: logs.logger.stream }])
  const app = await buildTestApp(t, db, {}, { logger: { ...loggerOptions(testConfig({ LOG_LEVEL: 'info' })) as object, stream } })
  t.equal((await app.inject({ url: '/health' })).statusCode, 200)
  const line = await logs.waitFor((line) => line.msg === 'request completed')
  t.match(line, { level: 30, req: { method: 'GET', url: '/health' }, res: { statusCode: 200 } })
  t.equal(logs.lines.filter((logged) => logged.msg === 'request completed').length, 1)
})

t.test('at debug level the arrival of a request is a line of its own, for following slow requests', async (t) => {
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
