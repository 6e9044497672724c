import { readdirSync } from 'node:fs'
import t, { type Test } from 'tap'
import { openDatabase, type Database } from '../../src/db/database.js'
import { migrate, schemaStatus } from '../../src/db/migrations.js'
import { verifyAuditChain } from '../../src/accounts/audit-chain.js'
import { tables } from '../../src/db/tables.js'
import { testConfig, testDatabase } from '../helper.js'
import { emptyPostgresDatabase } from '../support.js'

/** The latest version is the number of the last `NNN.do.*.sql` file. */
const LATEST = Math.max(...readdirSync('sql').filter((file) => /^\d+\.do\./.test(file)).map((file) => Number(file.split('.')[0])))

async function tableNames (db: Database): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    'SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename')
  return rows.map((row) => row.name)
}

t.test('on a new PostgreSQL database: up to the latest version, down to any, and back', async (t) => {
  const db = await openDatabase({ url: await emptyPostgresDatabase(t) })
  t.teardown(async () => await db.close())
  t.same(await schemaStatus(db), { current: 0, latest: LATEST }, 'a new database is behind')

  t.same(await migrate(db), { from: 0, to: LATEST })
  t.same(await schemaStatus(db), { current: LATEST, latest: LATEST })
  const tables = await tableNames(db)
  for (const name of ['users', 'sessions', 'genetic_profiles', 'schemaversion']) t.ok(tables.includes(name), `${name} exists`)

  t.same(await migrate(db), { from: LATEST, to: LATEST }, 'nothing to do the second time')

  t.same(await migrate(db, 2), { from: LATEST, to: 2 })
  t.same(await tableNames(db), ['schemaversion', 'sessions', 'users'], 'version 2 is users and sessions')

  t.same(await migrate(db, 0), { from: 2, to: 0 })
  t.same(await tableNames(db), ['schemaversion'], 'every undo file undoes its migration')

  t.same(await migrate(db), { from: 0, to: LATEST }, 'and it can all be done again')
})

t.test('on the embedded database: the same files, down and up', async (t) => {
  const db = await testDatabase(t, testConfig({ TEST_DATABASE_URL: '' }))
  t.equal(db.kind, 'embedded')
  t.same(await schemaStatus(db), { current: LATEST, latest: LATEST })
  t.same(await migrate(db, 0), { from: LATEST, to: 0 })
  t.same(await tableNames(db), ['schemaversion'])
  t.same(await schemaStatus(db), { current: 0, latest: LATEST })
  t.same(await migrate(db), { from: 0, to: LATEST })
  const tables = await tableNames(db)
  for (const name of ['users', 'sessions', 'genetic_profiles']) t.ok(tables.includes(name), `${name} exists`)
  await t.rejects(migrate(db, LATEST + 1), { message: `there is no schema version ${LATEST + 1}: the latest is ${LATEST}` })
  t.same(await schemaStatus(db), { current: LATEST, latest: LATEST }, 'and nothing was undone')
})

async function columnNames (db: Database, table: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1', [table])
  return rows.map((row) => row.name)
}

/** Whether every entry holds the hash of the one before and the hash the database's own function gives it, under 015's names. */
async function chainedUnder015 (db: Database): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>(
    `SELECT bool_and(hash = audit_log_hash(id, at, actor_id, action, target_id, fields, prev_hash) AND prev_hash = previous) AS ok
       FROM (SELECT *, coalesce(lag(hash) OVER (ORDER BY id), repeat('0', 64)) AS previous FROM audit_log) AS entries`)
  return rows[0].ok
}

/**
 * Migration 016 renames users.modified_at to updated_at and audit_log.at to created_at: the rows
 * keep their values, the User keeps its `modified_at`, and entries chained before it still verify,
 * whichever way it is crossed.
 */
async function across016 (t: Test, db: Database): Promise<void> {
  await migrate(db, 15)
  await db.query(`INSERT INTO users (email, email_folded, password_hash, first_name, last_name, dob, created_at, modified_at)
                  VALUES ('ada@example.com', 'ada@example.com', 'x', 'Ada', 'Lovelace', '1815-12-10', '2020-01-02T03:04:05.123456Z', '2021-02-03T04:05:06.654321Z')`)
  await db.query(`INSERT INTO audit_log (actor_id, action, target_id, fields)
                  VALUES (NULL, 'user.update', 1, '{role}'), (1, 'users.list', NULL, '{}'), (1, 'user.read', 1, '{}')`)
  t.ok(await chainedUnder015(db), 'three entries chained under 015')
  const { rows: before } = await db.query<{ id: number, hash: string }>('SELECT id, hash FROM audit_log ORDER BY id')

  t.same(await migrate(db, 16), { from: 15, to: 16 })
  const users = await columnNames(db, 'users')
  t.ok(users.includes('updated_at') && !users.includes('modified_at'), 'users.updated_at')
  const audit = await columnNames(db, 'audit_log')
  t.ok(audit.includes('created_at') && !audit.includes('at'), 'audit_log.created_at')
  const data = tables(db)
  t.match(await data.users.findById(1), { created_at: '2020-01-02T03:04:05.123Z', modified_at: '2021-02-03T04:05:06.654Z' },
    'the User keeps its field names and values')
  t.same(await verifyAuditChain(db, 2, () => {}), { intact: true, entries: 3, head: before[2] }, 'the entries chained before 016 verify after it')
  await data.auditLog.record({ actorId: 1, action: 'user.update', targetId: 1, fields: ['first_name'] })
  const verdict = await verifyAuditChain(db, 2, () => {})
  t.match(verdict, { intact: true, entries: 4 }, 'and one chained by 016\'s trigger follows them')
  t.match((await data.auditLog.page({ limit: 1 }))[0], { action: 'user.update', at: String }, 'an entry keeps its `at`')

  t.same(await migrate(db, 15), { from: 16, to: 15 })
  t.ok((await columnNames(db, 'users')).includes('modified_at'), 'undone: users.modified_at')
  t.ok((await columnNames(db, 'audit_log')).includes('at'), 'undone: audit_log.at')
  await db.query("INSERT INTO audit_log (actor_id, action, target_id, fields) VALUES (1, 'user.read', 1, '{}')")
  t.ok(await chainedUnder015(db), 'all five chained under 015 again, one by its trigger')
  const { rows } = await db.query<{ modified_at: Date | string }>('SELECT modified_at FROM users')
  t.equal(new Date(rows[0].modified_at).toISOString(), '2021-02-03T04:05:06.654Z', 'and the value kept')

  t.same(await migrate(db), { from: 15, to: LATEST })
  t.match(await verifyAuditChain(db, 2, () => {}), { intact: true, entries: 5 }, 'and verified once more after it')
}

t.test('migration 016 on PostgreSQL: the renamed columns keep their values, and the audit chain verifies across it', async (t) => {
  const db = await openDatabase({ url: await emptyPostgresDatabase(t) })
  t.teardown(async () => await db.close())
  await across016(t, db)
})

t.test('migration 016 on the embedded database: the same', async (t) => {
  await across016(t, await testDatabase(t, testConfig({ TEST_DATABASE_URL: '' })))
})
