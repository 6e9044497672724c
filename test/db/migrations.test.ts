import { readdirSync } from 'node:fs'
import t from 'tap'
import { openDatabase, type Database } from '../../src/db/database.js'
import { migrate, schemaStatus } from '../../src/db/migrations.js'
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
