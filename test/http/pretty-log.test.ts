// What a person at a terminal sees: the log lines the service writes, made pretty.
import t from 'tap'
import { loggerOptions } from '../../src/app.js'
import { prettyStream } from '../../src/http/pretty-log.js'
import { buildTestApp, testConfig, testDatabase, type Test } from '../helper.js'

const db = await testDatabase(t)
// eslint-disable-next-line no-control-regex
const plain = (text: string): string => text.replace(/\u001b\[\d+m/g, '')
const TIME = '\\d\\d:\\d\\d:\\d\\d\\.\\d{3}'

async function prettyApp (t: Test, level: string): Promise<{ app: Awaited<ReturnType<typeof buildTestApp>>, written: string[] }> {
  const written: string[] = []
  const config = testConfig({ LOG_LEVEL: level })
  const options = { ...(loggerOptions(config, { pretty: true }) as object), stream: prettyStream({ write: (line: string) => written.push(line) }) }
  const app = await buildTestApp(t, db, { LOG_LEVEL: level }, { logger: options })
  return { app, written }
}

t.test('in a terminal a request is one short line: method, path, status and time', async (t) => {
  const { app, written } = await prettyApp(t, 'info')
  t.equal((await app.inject({ url: '/api/v1/users/me?email=ada@example.com' })).statusCode, 401)
  t.equal((await app.inject({ url: '/api/v1/captcha/status' })).statusCode, 200)
  t.equal(written.length, 2, 'one line per request')
  t.match(plain(written[0]), new RegExp(`^${TIME} INFO  GET /api/v1/users/me 401 \\d+ ms\\n$`), 'without the query string')
  t.match(plain(written[1]), new RegExp(`^${TIME} INFO  GET /api/v1/captcha/status 200 \\d+ ms\\n$`))
  t.match(written[0], '\u001b[33m401\u001b[39m', 'a 4xx in yellow')
  t.match(written[1], '\u001b[32m200\u001b[39m', 'a 2xx in green')
})

t.test('other messages are one line each, with their fields and error', async (t) => {
  const { app, written } = await prettyApp(t, 'debug')
  await app.inject({ url: '/health' })
  app.log.info({ signal: 'SIGINT' }, 'closing')
  app.log.warn({ maxEventLoopDelayMs: 1000 }, 'overloaded')
  app.log.error({ err: new Error('a bug nobody caught') }, 'closing after an unexpected error')
  t.match(written.map(plain), [
    new RegExp(`^${TIME} DEBUG incoming request GET /health\\n$`),
    new RegExp(`^${TIME} INFO  GET /health 200 \\d+ ms\\n$`),
    new RegExp(`^${TIME} INFO  closing signal=SIGINT\\n$`),
    new RegExp(`^${TIME} WARN  overloaded maxEventLoopDelayMs=1000\\n$`),
    new RegExp(`^${TIME} ERROR closing after an unexpected error Error: a bug nobody caught\\n$`)
  ])
  t.match(written[4], '\u001b[31mERROR\u001b[39m', 'errors in red')
})
