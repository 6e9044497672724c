// Two instances of the service behind a real PgBouncer (Debian's package, started here on a
// loopback port with a configuration of the test's own) in front of the local PostgreSQL: the
// pooling mode is the one that version supports with the service's named prepared statements.
// PgBouncer 1.21 and later track prepared statements (max_prepared_statements): transaction mode.
// Older ones do not, and a statement prepared on one server connection is unknown on the next:
// session mode, where a client keeps its server connection.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { openDatabase } from '../src/db/database.js'
import { migrate } from '../src/db/migrations.js'
import { auth, buildTestApp, PASSWORD } from './helper.js'
import { emptyPostgresDatabase, tempDir } from './support.js'

const PGBOUNCER = '/usr/sbin/pgbouncer'
const version = /PgBouncer (\d+)\.(\d+)/.exec(spawnSync(PGBOUNCER, ['--version'], { encoding: 'utf8' }).stdout)
if (version === null) throw new Error(`${PGBOUNCER} --version did not say its version: apt-get install -y pgbouncer`)
const [major, minor] = [Number(version[1]), Number(version[2])]
const tracksPreparedStatements = major > 1 || (major === 1 && minor >= 21)

const url = new URL(await emptyPostgresDatabase(t))
const setup = await openDatabase({ url: url.toString() })
await migrate(setup)
await setup.close()

const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as AddressInfo
    probe.close(() => resolve(port))
  })
})
const dir = tempDir(t)
// PgBouncer will not run as root: it drops to the postgres user (-u), who must read these files
// (and writes none).
chmodSync(dir, 0o755)
const config = join(dir, 'pgbouncer.ini')
writeFileSync(join(dir, 'userlist.txt'), `"${url.username}" ""\n`)
writeFileSync(config, [
  '[databases]',
  `dna = host=${url.hostname} port=${url.port || 5432} dbname=${url.pathname.slice(1)} user=${url.username}`,
  '[pgbouncer]',
  'listen_addr = 127.0.0.1',
  `listen_port = ${port}`,
  'unix_socket_dir =',
  'auth_type = trust',
  `auth_file = ${join(dir, 'userlist.txt')}`,
  `pool_mode = ${tracksPreparedStatements ? 'transaction' : 'session'}`,
  ...(tracksPreparedStatements ? ['max_prepared_statements = 100'] : []),
  // Fewer server connections than the two instances' clients: they are shared.
  'default_pool_size = 4',
  'max_client_conn = 100',
  // Its log goes to stderr, kept for the failure message; no pid file, as it does not daemonise.
  ''
].join('\n'))
for (const file of ['pgbouncer.ini', 'userlist.txt']) chmodSync(join(dir, file), 0o644)

const bouncer = spawn(PGBOUNCER, [...(process.getuid?.() === 0 ? ['-u', 'postgres'] : []), config], { stdio: ['ignore', 'pipe', 'pipe'] })
let output = ''
bouncer.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
bouncer.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
t.teardown(() => { bouncer.kill('SIGTERM') })

const bouncerUrl = `postgres://${url.username}@127.0.0.1:${port}/dna`
// node-postgres would send statement_timeout as a start-up parameter, which PgBouncer refuses:
// behind it the limit belongs on the role (README, Deployment).
const openThroughBouncer = async (): Promise<Awaited<ReturnType<typeof openDatabase>>> => {
  for (let tries = 0; ; tries++) {
    const db = await openDatabase({ url: bouncerUrl, statementTimeoutMs: 0, poolSize: 5, connectionTimeoutMs: 5000 })
    try {
      await db.query('SELECT 1')
      return db
    } catch (error) {
      await db.close()
      if (tries > 100 || bouncer.exitCode !== null) throw new Error(`PgBouncer did not take connections: ${String(error)}\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
const databases = [await openThroughBouncer(), await openThroughBouncer()]
t.teardown(async () => { for (const db of databases) await db.close() })
const [a, b] = await Promise.all(databases.map(async (db) => await buildTestApp(t, db)))

const call = async (app: FastifyInstance, method: 'GET' | 'POST', path: string, body?: object, token?: string): Promise<{ status: number, body: Record<string, unknown> }> => {
  const response = await app.inject({ method, url: path, payload: body, headers: token === undefined ? {} : auth(token) })
  return { status: response.statusCode, body: response.body === '' ? {} : response.json() }
}

t.test(`two instances through PgBouncer ${major}.${minor} in ${tracksPreparedStatements ? 'transaction' : 'session'} mode: signup, login, my account and revocation`, async (t) => {
  const signup = await call(a, 'POST', '/api/v1/users', { email: 'ada@example.com', password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' })
  t.equal(signup.status, 201)
  const login = await call(b, 'POST', '/api/v1/users/login', { email: 'ada@example.com', password: PASSWORD })
  t.equal(login.status, 200, 'B knows the account A created')
  const token = login.body.jwt_token as string
  // Many reads on both, so that the prepared session lookup runs on every server connection.
  for (let round = 0; round < 20; round++) {
    const answers = await Promise.all([a, b, a, b].map(async (app) => await call(app, 'GET', '/api/v1/users/me', undefined, token)))
    t.same(answers.map((answer) => answer.status), [200, 200, 200, 200], `round ${round}`)
  }
  t.match((await call(a, 'GET', '/api/v1/users/me', undefined, token)).body, { email: 'ada@example.com', first_name: 'Ada' })
  t.equal((await call(a, 'POST', '/api/v1/users/logout', undefined, token)).status, 204)
  const after = await call(b, 'GET', '/api/v1/users/me', undefined, token)
  t.equal(after.status, 401, 'B refuses the token at once')
  t.match(after.body, { message: /session has ended/ })
})
