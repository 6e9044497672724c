import t from 'tap'
import { buildApp } from '../src/app.js'
import { buildTestApp, testConfig, testDatabase } from './helper.js'
import { captureLogs } from './support.js'

const db = await testDatabase(t)

t.test('without logger options, the app logs at LOG_LEVEL', async (t) => {
  const app = await buildApp(testConfig({ LOG_LEVEL: 'warn' }), { db })
  t.teardown(async () => await app.close())
  t.equal(app.log.level, 'warn')
})

t.test('a logger instance of the caller\'s is used as it is', async (t) => {
  const logs = captureLogs('info')
  const first = await buildTestApp(t, db, {}, { logger: logs.logger })
  const second = await buildApp(testConfig(), { db, loggerInstance: first.log })
  t.teardown(async () => await second.close())
  await second.inject({ url: '/health' })
  t.match(logs.lines.find((line) => line.msg === 'incoming request'), { req: { method: 'GET', url: '/health' } },
    'the second app\'s requests are in the first one\'s log')
})
