import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { openDatabase } from '../../src/db/database.js'
import { schemaStatus } from '../../src/db/migrations.js'
import { emptyPostgresDatabase, runCli, tempDir } from '../support.js'

const LATEST = Math.max(...readdirSync('sql').filter((file) => /^\d+\.do\./.test(file)).map((file) => Number(file.split('.')[0])))
const migrate = (args: string[], env: Record<string, string>): ReturnType<typeof runCli> => runCli('src/cli/migrate.ts', args, { env })
// The embedded database of these tests, made by the first one: making one takes a while.
const dir = join(tempDir(t), 'data')

t.test('make migrate on the embedded database: migrates, then has nothing to do, and TO=0 undoes it all', async (t) => {
  const where = `the embedded database in ${dir}/`

  t.same(migrate([], { DATA_DIR: dir }), { status: 0, stdout: `${where}: migrated from schema version 0 to ${LATEST}\n`, stderr: '' })
  t.same(migrate([], { DATA_DIR: dir }), { status: 0, stdout: `${where} is at schema version ${LATEST}; nothing to do\n`, stderr: '' })
  t.same(migrate(['0'], { DATA_DIR: dir }), { status: 0, stdout: `${where}: migrated from schema version ${LATEST} to 0\n`, stderr: '' })

  const db = await openDatabase({ dataDir: dir })
  const { rows } = await db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
  t.same(rows, [{ tablename: 'schemaversion' }], 'the files on disk were changed, and then closed for others to open')
  await db.close()
})

t.test('make migrate refuses while another process has the embedded database open', async (t) => {
  const db = await openDatabase({ dataDir: dir })
  const result = migrate([], { DATA_DIR: dir })
  t.same(result, {
    status: 1,
    stdout: '',
    stderr: `dna-api: error: the embedded database in ${dir} is open in another process (pid ${process.pid}, probably \`make run\`); ` +
      'stop that process first, or set DATABASE_URL to use a PostgreSQL server\n'
  })
  await db.close()
})

t.test('a target that is not a version number fails with one line, before touching anything', async (t) => {
  const elsewhere = join(tempDir(t), 'data')
  t.same(migrate(['latest'], { DATA_DIR: elsewhere }), { status: 1, stdout: '', stderr: "dna-api: error: TO must be a version number, got 'latest'\n" })
  t.same(readdirSync(join(elsewhere, '..')), [], 'no database was made')
})

t.test('a configuration error is reported as one, naming the variable', async (t) => {
  t.same(migrate([], { DATABASE_URL: 'mysql://root@localhost/dna' }), {
    status: 1,
    stdout: '',
    stderr: 'dna-api: configuration error: DATABASE_URL: expected a URL like postgres://user:password@host:5432/database\n'
  })
})

t.test('make migrate with DATABASE_URL migrates that PostgreSQL database', async (t) => {
  const url = await emptyPostgresDatabase(t)
  t.same(migrate([], { DATABASE_URL: url }), { status: 0, stdout: `DATABASE_URL: migrated from schema version 0 to ${LATEST}\n`, stderr: '' })
  const db = await openDatabase({ url })
  t.teardown(async () => await db.close())
  const { rows } = await db.query<{ version: number }>('SELECT max(version)::integer AS version FROM schemaversion')
  t.same(rows, [{ version: LATEST }])
  t.same((await db.query('SELECT count(*)::integer AS n FROM users')).rows, [{ n: 0 }], 'the users table is there')
  t.same(await schemaStatus(db), { current: LATEST, latest: LATEST }, 'so the server will serve it')
})
