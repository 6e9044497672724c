import { join } from 'node:path'
import t from 'tap'
import { openDatabase, type Database } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrations.js'
import { buildTestApp, migrateDataDir, type Test } from '../helper.js'
import { EXPECTED_CONFLICTS, legacyDatabase, OLD_PASSWORDS } from '../legacy-database.js'
import { emptyPostgresDatabase, runCli, startCli, tempDir } from '../support.js'

const SCRIPT = 'src/cli/import-legacy.ts'
const IMPORTED_IDS = [1, 2, 3, 13, 16, 40]
const old = await legacyDatabase(t)

type Target = { DATA_DIR: string } | { DATABASE_URL: string }

async function embeddedTarget (t: Test): Promise<Target> {
  const dir = join(tempDir(t), 'data')
  await migrateDataDir(dir)
  return { DATA_DIR: dir }
}

async function postgresTarget (t: Test): Promise<Target> {
  const url = await emptyPostgresDatabase(t)
  const db = await openDatabase({ url })
  await migrate(db)
  await db.close()
  return { DATABASE_URL: url }
}

/** Opens the target after the command has ended (the embedded one is locked while it runs). */
async function inspect<T> (target: Target, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase('DATA_DIR' in target ? { dataDir: target.DATA_DIR } : { url: target.DATABASE_URL })
  try {
    return await work(db)
  } finally {
    await db.close()
  }
}

const importLegacy = (target: Target, args: string[] = []): ReturnType<typeof runCli> =>
  runCli(SCRIPT, ['--from', old.url, ...args], { env: { ...target } })

const ids = async (target: Target): Promise<number[]> =>
  await inspect(target, async (db) => (await db.query<{ id: number }>('SELECT id FROM users ORDER BY id')).rows.map((row) => row.id))

const WHERE = new URL(old.url).host + new URL(old.url).pathname

function expectedReport (header: string, counts: { imported: number, unchanged: number, conflicts: typeof EXPECTED_CONFLICTS, created: [number, number], modified: number }): string {
  const { imported, unchanged, conflicts, created, modified } = counts
  return [
    header,
    '  old rows read        18 of 18',
    `  imported             ${imported} new users`,
    '  updated              0 users whose old row changed since the last run',
    `  unchanged            ${unchanged} rows the same as at an earlier run (imported or refused then)`,
    `  conflicts            ${conflicts.length} rows not imported, ${header.includes('dry run') ? 'to be kept' : 'kept'} whole in legacy_import_conflicts`,
    `  created_at missing   ${created[0] + created[1]} (${created[0]} given modified_at, ${created[1]} the import time)`,
    `  modified_at missing  ${modified} (given created_at, or the import time)`,
    '  new accounts\' ids    after 40',
    ...(conflicts.length > 0 ? ['conflicts (old id: reason):', ...conflicts.map((c) => `  ${c.oldId}: ${c.reason}`)] : [])
  ].join('\n') + '\n'
}

const FIRST = { imported: 6, unchanged: 0, conflicts: EXPECTED_CONFLICTS, created: [1, 1] as [number, number], modified: 2 }

for (const [name, makeTarget] of [['embedded', embeddedTarget], ['PostgreSQL', postgresTarget]] as const) {
  t.test(`on the ${name} database: a dry run, the run, a second run, the audit entry and an old password`, async (t) => {
    const target = await makeTarget(t)
    const dry = importLegacy(target, ['--dry-run'])
    t.equal(dry.status, 0, dry.stderr)
    t.equal(dry.stdout, expectedReport(`import from ${WHERE}, a dry run: nothing was written`, FIRST))
    t.match(dry.stderr, /^18 of 18 rows \(100\.0 %\), \d+ rows\/s, 0 s left\n$/, 'a plain progress line when not on a terminal')
    t.same(await ids(target), [], 'the dry run wrote nothing')
    t.same(await inspect(target, async (db) => (await db.query('SELECT count(*)::integer AS n FROM audit_log')).rows), [{ n: 0 }])

    const real = importLegacy(target)
    t.equal(real.status, 0, real.stderr)
    t.equal(real.stdout, expectedReport(`import from ${WHERE}`, FIRST), 'the same report as the dry run')
    t.same(await ids(target), IMPORTED_IDS)

    const again = importLegacy(target)
    t.equal(again.stdout, expectedReport(`import from ${WHERE}`, { imported: 0, unchanged: 18, conflicts: [], created: [0, 0], modified: 0 }))
    t.same(await ids(target), IMPORTED_IDS, 'nothing twice')

    await inspect(target, async (db) => {
      const audit = await db.query('SELECT actor_id, action, target_id, fields FROM audit_log ORDER BY id')
      t.same(audit.rows, [
        {
          actor_id: null,
          action: 'legacy.import',
          target_id: null,
          fields: ['read=18', 'imported=6', 'updated=0', 'unchanged=0', 'conflicts=12', 'created_at_from_modified_at=1', 'created_at_from_import_time=1', 'modified_at_filled=2']
        },
        {
          actor_id: null,
          action: 'legacy.import',
          target_id: null,
          fields: ['read=18', 'imported=0', 'updated=0', 'unchanged=18', 'conflicts=0', 'created_at_from_modified_at=0', 'created_at_from_import_time=0', 'modified_at_filled=0']
        }
      ], 'one entry per real run, with its counts')
      const app = await buildTestApp(t, db, { BCRYPT_COST: '5' })
      const login = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'grace@example.org', password: OLD_PASSWORDS.grace } })
      t.equal(login.statusCode, 200)
      t.match(login.json().user, { id: 2, first_name: 'Grace', last_name: 'Hopper' })
      await app.close()
    })
  })
}

t.test('killed after its first batch, the run resumes without duplicates', async (t) => {
  const target = await postgresTarget(t)
  const first = startCli(t, SCRIPT, ['--from', old.url, '--batch-size', '3'], { env: { ...target } })
  await first.waitFor('stderr', (text) => /^3 of 18 rows/m.test(text))
  first.child.kill('SIGKILL')
  t.same(await first.closed, { code: null, signal: 'SIGKILL' })
  const committed = await ids(target)
  t.ok(committed.length >= 2, 'the first batch was committed')

  const resumed = importLegacy(target, ['--batch-size', '3'])
  t.equal(resumed.status, 0, resumed.stderr)
  t.same(await ids(target), IMPORTED_IDS)
  t.match(resumed.stdout, /^ {2}unchanged {12}([3-9]|1\d) rows/m, 'what the killed run committed is not done again')
  t.same(await inspect(target, async (db) => (await db.query('SELECT old_id FROM legacy_import_conflicts ORDER BY old_id')).rows.map((r) => r.old_id)),
    EXPECTED_CONFLICTS.map((c) => c.oldId))
})

t.test('Ctrl-C stops after the current batch, cleanly, and the next run goes on', async (t) => {
  const target = await postgresTarget(t)
  const run = startCli(t, SCRIPT, ['--from', old.url, '--batch-size', '1'], { env: { ...target } })
  await run.waitFor('stderr', (text) => /^1 of 18 rows/m.test(text))
  run.child.kill('SIGINT')
  t.same(await run.closed, { code: 130, signal: null })
  t.match(run.output.stderr, /stopping after the current batch/)
  t.match(run.output.stdout, new RegExp(`^import from ${WHERE}, stopped: run it again to go on\n {2}old rows read {8}\\d+ of 18\n`))
  const rest = importLegacy(target, ['--batch-size', '1'])
  t.equal(rest.status, 0, rest.stderr)
  t.same(await ids(target), IMPORTED_IDS)
  const audit = await inspect(target, async (db) => (await db.query<{ fields: string[] }>('SELECT fields FROM audit_log ORDER BY id')).rows)
  t.equal(audit.length, 2)
  t.ok(audit[0].fields.includes('stopped=1'), 'the stopped run says so in its entry')
})
