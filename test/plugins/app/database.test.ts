import pg from 'pg'
import t from 'tap'
import { buildApp } from '../../../src/app.js'
import { testConfig } from '../../helper.js'
import { captureLogs, emptyPostgresDatabase, POSTGRES_URL } from '../../support.js'

t.test('an app that opens its own database warns when an idle connection is lost, carries on, and closes it', async (t) => {
  const url = await emptyPostgresDatabase(t)
  const logs = captureLogs('warn')
  const app = await buildApp(testConfig({ DATABASE_URL: url }), { logger: logs.logger })
  t.equal(app.db.kind, 'postgres')
  t.equal((await app.inject({ url: '/ready' })).statusCode, 200)

  // The server ends the connection the pool keeps open (a restart, a failover, an idle timeout).
  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  t.teardown(async () => await admin.end())
  const activity = async (): Promise<number[]> => (await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [new URL(url).pathname.slice(1)])).rows.map((row) => row.pid)
  const pids = await activity()
  t.equal(pids.length, 1, 'one idle connection')
  await admin.query('SELECT pg_terminate_backend($1)', [pids[0]])

  const warning = await logs.waitFor((line) => line.msg === 'idle database connection lost')
  t.match(warning, { level: 40, err: { message: /terminating connection due to administrator command|Connection terminated unexpectedly/ } })
  t.equal((await app.inject({ url: '/ready' })).statusCode, 200, 'the next request reconnects')

  await app.close()
  // The pool says goodbye on each connection as it closes; the server ends those backends a moment
  // later, and on a busy machine that moment can outlast one query: ask again for a few seconds.
  const deadline = Date.now() + 10_000
  let left = await activity()
  while (left.length > 0 && Date.now() < deadline) left = await activity()
  t.same(left, [], 'closing the app closed its connections')
})
