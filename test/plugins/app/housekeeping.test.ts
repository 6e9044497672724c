import { mock } from 'node:test'
import { Writable } from 'node:stream'
import t from 'tap'
import { AUDIT_HEAD_INTERVAL_MS, HOUSEKEEPING_INTERVAL_MS } from '../../../src/plugins/app/housekeeping.js'
import { BATCH_SIZE } from '../../../src/db/batches.js'
import type { Database } from '../../../src/db/database.js'
import { buildTestApp, resetData, signUp, testDatabase } from '../../helper.js'
import { captureLogs } from '../../support.js'

const db = await testDatabase(t)
t.beforeEach(async () => { await resetData(db) })

t.test('every ten minutes, expired sessions, counters and used captchas are deleted and live ones kept', async (t) => {
  mock.timers.enable({ apis: ['setInterval'] })
  t.teardown(() => mock.timers.reset())
  const app = await buildTestApp(t, db)
  await app.ready()
  const live = await signUp(app)
  const expired = await signUp(app)
  await db.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1", [expired.user.id])
  await db.query("INSERT INTO rate_limits (key, hits, expires_at) VALUES ('old', 3, now() - interval '1 second'), ('current', 1, now() + interval '1 hour')")
  await db.query("INSERT INTO used_captchas (signature, expires_at) VALUES ('old', now() - interval '1 second'), ('current', now() + interval '1 hour')")

  const done = new Promise<void>((resolve) => {
    const run = app.housekeeping
    app.housekeeping = async () => { const result = await run(); resolve(); return result }
  })
  mock.timers.tick(HOUSEKEEPING_INTERVAL_MS)
  await done

  const { rows: sessions } = await db.query<{ user_id: number }>('SELECT user_id FROM sessions')
  t.same(sessions, [{ user_id: live.user.id }])
  const { rows: counters } = await db.query<{ key: string }>("SELECT key FROM rate_limits WHERE key IN ('old', 'current')")
  t.same(counters, [{ key: 'current' }])
  const { rows: captchas } = await db.query<{ signature: string }>('SELECT signature FROM used_captchas')
  t.same(captchas, [{ signature: 'current' }])
})

t.test('housekeeping reports what it deleted', async (t) => {
  const app = await buildTestApp(t, db)
  const { user } = await signUp(app)
  await db.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1", [user.id])
  t.same(await app.housekeeping(), { sessions: 1, counters: 0, captchas: 0, mfaChallenges: 0, webauthnChallenges: 0 })
})

t.test('more expired rows than one batch are all deleted, in batches', async (t) => {
  const app = await buildTestApp(t, db)
  const { user } = await signUp(app)
  const expired = BATCH_SIZE * 2 + 1
  await db.query(
    'INSERT INTO sessions (user_id, expires_at) SELECT $1, now() - interval \'1 second\' FROM generate_series(1, $2)', [user.id, expired])
  await db.query(
    'INSERT INTO rate_limits (key, hits, expires_at) SELECT \'old-\' || n, 1, now() - interval \'1 second\' FROM generate_series(1, $1) AS n', [BATCH_SIZE])
  t.same(await app.housekeeping(), { sessions: expired, counters: BATCH_SIZE, captchas: 0, mfaChallenges: 0, webauthnChallenges: 0 })
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM sessions')
  t.equal(rows[0].n, 1, 'the live session of the signup stays')
})

t.test('a failed run is logged and the timer keeps going', async (t) => {
  mock.timers.enable({ apis: ['setInterval'] })
  t.teardown(() => mock.timers.reset())
  const lines: string[] = []
  const logged = new Promise<void>((resolve) => {
    const stream = new Writable({ write (chunk, _encoding, callback) { lines.push(String(chunk)); if (String(chunk).includes('housekeeping failed')) resolve(); callback() } })
    buildTestApp(t, {
      ...db,
      query: async () => { throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }) }
    } as unknown as Database, {}, { logger: { level: 'warn', stream } }).then(async (app) => {
      await app.ready()
      mock.timers.tick(HOUSEKEEPING_INTERVAL_MS)
    }, t.error)
  })
  await logged
  const entry = JSON.parse(lines.find((line) => line.includes('housekeeping failed')) as string)
  t.equal(entry.level, 40)
  t.equal(entry.err.code, 'ECONNREFUSED')
})

t.test('every hour, the head of the audit chain is logged: one info line with its id and hash', async (t) => {
  mock.timers.enable({ apis: ['setInterval'] })
  t.teardown(() => mock.timers.reset())
  const logs = captureLogs()
  const app = await buildTestApp(t, db, {}, { logger: logs.logger })
  await app.ready()
  const { user } = await signUp(app)
  await db.query("INSERT INTO audit_log (actor_id, action, target_id) VALUES (NULL, 'user.update', $1), (NULL, 'user.read', $1)", [user.id])
  const { rows } = await db.query<{ id: number, hash: string }>('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1')

  mock.timers.tick(AUDIT_HEAD_INTERVAL_MS - 1)
  t.notOk(logs.lines.some((line) => line.msg === 'audit chain head'), 'not before the hour')
  mock.timers.tick(1)
  const logged = await logs.waitFor((line) => line.msg === 'audit chain head')
  t.match(logged, { level: 30, auditHead: { id: rows[0].id, hash: rows[0].hash } })
  t.match(rows[0].hash, /^[0-9a-f]{64}$/)
  t.equal(logs.lines.filter((line) => line.msg === 'audit chain head').length, 1, 'one line')
})

t.test('an empty audit log is logged as a null head', async (t) => {
  const logs = captureLogs()
  const app = await buildTestApp(t, db, {}, { logger: logs.logger })
  t.equal(await app.logAuditHead(), null)
  t.match(logs.lines.find((line) => line.msg === 'audit chain head'), { level: 30, auditHead: null })
})

t.test('a failed read of the audit chain head is logged and the timer keeps going', async (t) => {
  mock.timers.enable({ apis: ['setInterval'] })
  t.teardown(() => mock.timers.reset())
  const logs = captureLogs('warn')
  const app = await buildTestApp(t, {
    ...db,
    query: async () => { throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }) }
  } as unknown as Database, {}, { logger: logs.logger })
  await app.ready()
  mock.timers.tick(AUDIT_HEAD_INTERVAL_MS)
  const logged = await logs.waitFor((line) => line.msg === 'reading the audit chain head failed; will retry')
  t.match(logged, { level: 40, err: { code: 'ECONNREFUSED' } })
})
