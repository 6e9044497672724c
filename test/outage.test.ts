// A PostgreSQL outage as the callers see it. The service opens its own pool, with the default
// timeouts, on a database it reaches through a switch the test controls: always real PostgreSQL,
// whichever database the rest of the suite runs on, as the embedded one cannot be cut off.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { openDatabase } from '../src/db/database.js'
import { migrate } from '../src/db/migrations.js'
import { auth, PASSWORD, testConfig } from './helper.js'
import { captureLogs, databaseBehindSwitch, emptyPostgresDatabase } from './support.js'

const url = await emptyPostgresDatabase(t)
const setup = await openDatabase({ url })
await migrate(setup)
await setup.close()

const database = await databaseBehindSwitch(t, url)
const logs = captureLogs('warn')
const app = await buildApp(testConfig({ DATABASE_URL: database.url }), { logger: logs.logger })
t.teardown(async () => await app.close())

const OUTAGE = { statusCode: 503, error: 'Service Unavailable', message: 'the service is temporarily unavailable; try again in a few seconds' }
/** "About a second": the connection timeout (1 s by default) with room for a slow test machine. */
const PROMPT_MS = 1500

const signup = (email: string): InjectOptions => ({
  method: 'POST',
  url: '/api/v1/users',
  payload: { email, password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' }
})
const login = (email: string): InjectOptions => ({ method: 'POST', url: '/api/v1/users/login', payload: { email, password: PASSWORD } })
const me = (token: string): InjectOptions => ({ url: '/api/v1/users/me', headers: auth(token) })

async function timed (request: InjectOptions, service: FastifyInstance = app): Promise<{ response: LightMyRequestResponse, ms: number }> {
  const start = performance.now()
  const response = await service.inject(request)
  return { response, ms: performance.now() - start }
}

t.test('while the database is down, signup, login and my account are prompt 503s to retry; /ready is 503, /health 200; all recover by themselves', async (t) => {
  const ada = await app.inject(signup('ada@example.com'))
  t.equal(ada.statusCode, 201)
  const token = ada.json<{ jwt_token: string }>().jwt_token

  database.set('down')
  for (const [name, request] of [['signup', signup('grace@example.com')], ['login', login('ada@example.com')], ['my account', me(token)]] as const) {
    const { response, ms } = await timed(request)
    t.equal(response.statusCode, 503, name)
    t.equal(response.headers['retry-after'], '5', `${name}: Retry-After`)
    t.same(response.json(), OUTAGE, `${name}: the error shape, nothing internal`)
    t.ok(ms < PROMPT_MS, `${name} answered in ${Math.round(ms)} ms, not hanging`)
  }
  const ready = await timed({ url: '/ready' })
  t.equal(ready.response.statusCode, 503)
  t.ok(ready.ms < PROMPT_MS, `/ready answered in ${Math.round(ready.ms)} ms`)
  t.equal((await app.inject({ url: '/health' })).statusCode, 200, 'the process itself is fine')
  t.ok(logs.lines.some((line) => line.msg === 'database unavailable' && line.level === 50), 'the operator finds out in the log')

  database.set('up')
  t.equal((await app.inject(signup('grace@example.com'))).statusCode, 201, 'signup works again, without a restart')
  t.equal((await app.inject(login('ada@example.com'))).statusCode, 200, 'login too')
  const back = await app.inject(me(token))
  t.equal(back.statusCode, 200, 'and the token from before the outage')
  t.equal(back.json<{ email: string }>().email, 'ada@example.com')
  t.equal((await app.inject({ url: '/ready' })).statusCode, 200)
})

t.test('a connection lost in the middle of a signup\'s transaction: that signup is a 503 and saved nothing, and the service carries on', async (t) => {
  // The user row is inserted; the connection goes as the session row follows, before COMMIT.
  const cut = database.cutWhenSent(/INSERT INTO sessions/)
  const lost = await app.inject(signup('hedy@example.com'))
  await cut
  t.equal(lost.statusCode, 503)
  t.same(lost.json(), OUTAGE)

  const again = await app.inject(signup('hedy@example.com'))
  t.equal(again.statusCode, 201, 'the email is free: the half-done signup was rolled back')
  t.equal((await app.inject(me(again.json<{ jwt_token: string }>().jwt_token))).statusCode, 200)
})

t.test('while the database does not answer at all, requests are 503s after the connection timeout, or on a connection already open, the statement timeout and that', async (t) => {
  const lin = await app.inject(signup('lin@example.com'))
  const token = lin.json<{ jwt_token: string }>().jwt_token
  // An app of its own, so that its pool holds exactly one idle connection, with a short statement
  // timeout so that the wait on that connection is short too; the connection timeout is the default.
  const quick = await buildApp(testConfig({ DATABASE_URL: database.url, DATABASE_STATEMENT_TIMEOUT_MS: '500' }), { logger: false })
  t.teardown(async () => await quick.close())
  t.equal((await quick.inject(me(token))).statusCode, 200)

  database.set('silent')
  const open = await timed(me(token), quick)
  t.equal(open.response.statusCode, 503)
  t.same(open.response.json(), OUTAGE)
  t.ok(open.ms >= 1400 && open.ms < 2000,
    `on the open connection: ${Math.round(open.ms)} ms, the statement timeout (500 ms) and the connection timeout (1 s)`)
  const fresh = await timed(me(token), quick)
  t.equal(fresh.response.statusCode, 503)
  t.same(fresh.response.json(), OUTAGE)
  t.ok(fresh.ms >= 900 && fresh.ms < PROMPT_MS, `on a new connection: ${Math.round(fresh.ms)} ms, the connection timeout (1 s)`)

  database.set('up')
  t.equal((await quick.inject(me(token))).statusCode, 200, 'back without a restart')
})
