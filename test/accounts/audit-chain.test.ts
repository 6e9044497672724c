// The audit log is tamper-evident: chained by SHA-256, append-only for the service's own
// connection, and `make audit-verify` names the first entry that does not fit.
import t from 'tap'
import { verifyAuditChain } from '../../src/accounts/audit-chain.js'
import { canonicalEntry, GENESIS_HASH } from '../../src/db/audit-log.js'
import { runTask } from '../../src/cli/tasks.js'
import { auth, buildTestApp, resetData, signUp, signUpAdmin, TEST_SECRET, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
t.beforeEach(async () => await resetData(db))

/** An admin reads `count` times: an audit entry each. */
async function reads (count: number): Promise<void> {
  const admin = await signUpAdmin(app, db)
  const user = await signUp(app)
  await Promise.all(Array.from({ length: count }, async () => await app.inject({ url: `/api/v1/users/${user.user.id}`, headers: auth(admin.token) })))
}

const verify = async (): Promise<string> => await runTask(app.db, { task: 'audit-verify', batchSize: 4 }, () => {}, TEST_SECRET)

t.test('every entry carries the hash of the one before and its own; concurrent inserts still make one chain', async (t) => {
  t.equal(await verify(), 'the audit log is empty')
  await reads(12)
  // Changes from the command line (no actor), and lists (no target): empty fields of the canonical form.
  await Promise.all(Array.from({ length: 8 }, async (_, i) => await app.data.auditLog.record(i % 2 === 0
    ? { actorId: null, action: 'user.update', targetId: i + 1, fields: ['role'] }
    : { actorId: 1, action: 'users.list', targetId: null })))
  const { rows } = await db.query<{ id: number, prev_hash: string, hash: string }>('SELECT id, prev_hash, hash FROM audit_log ORDER BY id')
  t.equal(rows.length, 20)
  t.equal(rows[0].prev_hash, GENESIS_HASH)
  for (let i = 1; i < rows.length; i += 1) t.equal(rows[i].prev_hash, rows[i - 1].hash, `entry ${rows[i].id} follows ${rows[i - 1].id}`)
  const checked: number[] = []
  const verdict = await verifyAuditChain(db, 6, (n) => checked.push(n))
  t.same(verdict, { intact: true, entries: 20, head: { id: rows[19].id, hash: rows[19].hash } })
  t.same(checked, [6, 12, 18, 20], 'in batches')
  t.equal(await verify(), `the audit log is intact: 20 entries, head entry ${rows[19].id} with hash ${rows[19].hash}`)
})

t.test('the canonical form is the documented one', async (t) => {
  t.equal(canonicalEntry({ id: 7, created_at: '2026-12-03T14:02:05.123456Z', actor_id: null, action: 'user.update', target_id: 3, fields: ['first_name', 'role'], prev_hash: GENESIS_HASH }),
    `dna-api audit v1\n7\n2026-12-03T14:02:05.123456Z\n\nuser.update\n3\n["first_name","role"]\n${GENESIS_HASH}`)
})

t.test('the service\'s own connection can neither change nor remove an entry; deleting a user keeps theirs', async (t) => {
  await reads(2)
  await t.rejects(app.db.query("UPDATE audit_log SET fields = '{policy}'"), { message: 'audit_log is append-only: UPDATE is refused' })
  await t.rejects(app.db.query('DELETE FROM audit_log'), { message: 'audit_log is append-only: DELETE is refused' })
  await t.rejects(app.db.query('DELETE FROM audit_log WHERE id < 0'), { message: 'audit_log is append-only: DELETE is refused' }, 'even of no row')

  const admin = await signUpAdmin(app, db)
  const user = await signUp(app)
  await app.inject({ url: `/api/v1/users/${user.user.id}`, headers: auth(admin.token) })
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/${user.user.id}`, headers: auth(admin.token) })).statusCode, 204, 'user deletion works')
  const { rows } = await db.query('SELECT action, target_id FROM audit_log WHERE target_id = $1 ORDER BY id', [user.user.id])
  t.same(rows, [{ action: 'user.read', target_id: user.user.id }, { action: 'user.delete', target_id: user.user.id }], 'their entries stay, with the id only')
  t.match(await verify(), /^the audit log is intact: 4 entries/)
})

t.test('an entry edited or removed with the trigger disabled is the one audit-verify names', async (t) => {
  await reads(6)
  const { rows } = await db.query<{ id: number }>('SELECT id FROM audit_log ORDER BY id')
  const edited = rows[2].id
  await db.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only')
  await db.query("UPDATE audit_log SET fields = '{genetic_result}' WHERE id = $1", [edited])
  await db.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only')
  await t.rejects(verify(), { message: `the audit log is broken at entry ${edited}: its fields do not match its hash: the entry was changed (2 entries before it are intact)` })

  // Rewritten with a hash that fits its new fields: then the next entry no longer follows it.
  await db.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only')
  await db.query('UPDATE audit_log SET hash = audit_log_hash(id, created_at, actor_id, action, target_id, fields, prev_hash) WHERE id = $1', [edited])
  await db.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only')
  await t.rejects(verify(), { message: `the audit log is broken at entry ${rows[3].id}: its prev_hash is not the hash of entry ${edited}: an entry before it was removed, added or rewritten (3 entries before it are intact)` })

  await db.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only')
  await db.query('DELETE FROM audit_log WHERE id <= $1', [edited])
  await db.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only')
  await t.rejects(verify(), { message: `the audit log is broken at entry ${rows[3].id}: its prev_hash is not the hash of the start of the log: an entry before it was removed, added or rewritten (0 entries before it are intact)` })
})
