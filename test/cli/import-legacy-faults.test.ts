// The import's refusals: each one line naming the problem, exit 2, nothing written.
import { existsSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { openDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrations.js'
import { migratedEmbeddedDatabase } from '../helper.js'
import { legacyDatabase } from '../legacy-database.js'
import { emptyPostgresDatabase, silentServer, startCli, tempDir } from '../support.js'

const SCRIPT = 'src/cli/import-legacy.ts'
const old = await legacyDatabase(t)

t.test('nothing to read, or no migrated target: one line, exit 2, nothing written', async (t) => {
  const dir = join(tempDir(t), 'data')
  const env = { DATA_DIR: dir }
  // Run without blocking this process, which serves the not-PostgreSQL port.
  const refused = async (args: string[], extra: Record<string, string> = {}): Promise<{ status: number | null, stdout: string, stderr: string }> => {
    const run = startCli(t, SCRIPT, args, { env: { ...env, ...extra } })
    const { code } = await run.closed
    return { status: code, ...run.output }
  }
  const noise = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'))
  await new Promise<void>((resolve) => noise.listen(0, '127.0.0.1', resolve))
  t.teardown(() => noise.close())
  const noisePort = (noise.address() as { port: number }).port
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const closedPort = (closed.address() as { port: number }).port
  await new Promise((resolve) => closed.close(resolve))
  const silentPort = await silentServer(t)
  const noUserTable = await emptyPostgresDatabase(t)
  const noDatabase = new URL(noUserTable)
  noDatabase.pathname = '/no_such_database_here'

  const cases: Array<[string[], string]> = [
    [[], 'usage: make import-legacy FROM=postgres://user:password@host:5432/database [DRY_RUN=1]'],
    [['--from', 'http://example.org/db'], 'FROM must be a postgres:// URL (the old service\'s PostgreSQL database), not http://'],
    [['--from', 'not a url'], 'FROM must be a URL like postgres://user:password@host:5432/database'],
    [['--from', `postgres://postgres:secret@127.0.0.1:${closedPort}/dna`], `FROM: nothing answers at 127.0.0.1:${closedPort} (connection refused)`],
    [['--from', `postgres://postgres@127.0.0.1:${noisePort}/dna`], `FROM: 127.0.0.1:${noisePort} does not answer as PostgreSQL does (Connection terminated unexpectedly)`],
    [['--from', noDatabase.toString()], `FROM: there is no database ${noDatabase.host}/no_such_database_here`],
    [['--from', noUserTable], `FROM: the database ${new URL(noUserTable).host}${new URL(noUserTable).pathname} has no "user" table: is it the old service's database?`],
    [['--from', old.url, '--batch-size', '0'], '--batch-size must be a whole number from 1 to 50000, got \'0\''],
    [['--from', old.url], `the target database is not migrated: run make migrate first (there is no embedded database in ${dir}/)`],
    [['--from', 'postgres://postgres@no-such-host.invalid/dna'], 'FROM: the host no-such-host.invalid is unknown'],
    [['--from', `postgres://no_such_role@${new URL(old.url).host}/dna`], `FROM: PostgreSQL at ${new URL(old.url).host} refused the login (role "no_such_role" does not exist)`],
    [['--from', `postgres://postgres@127.0.0.1:${silentPort}/dna`], `FROM: no answer from 127.0.0.1:${silentPort} within 10 s: is it PostgreSQL?`]
  ]
  // At once: each is a process of its own, and most of their time is starting up.
  const results = await Promise.all(cases.map(async ([args]) => await refused(args)))
  cases.forEach(([, message], i) => t.same(results[i], { status: 2, stdout: '', stderr: `dna-api: error: ${message}\n` }, message))
  t.notOk(existsSync(dir), 'no embedded database was made')

  const unmigrated = await emptyPostgresDatabase(t)
  const partly = await openDatabase({ url: unmigrated })
  await migrate(partly, 2)
  await partly.close()
  const latest = Math.max(...readdirSync('sql').filter((file) => /^\d+\.do\./.test(file)).map((file) => Number(file.split('.')[0])))
  t.same(await refused(['--from', old.url], { DATABASE_URL: unmigrated }), {
    status: 2, stdout: '', stderr: `dna-api: error: the target database is not migrated: run make migrate first (it is at schema version 2 of ${latest})\n`
  })

  const columnless = await emptyPostgresDatabase(t)
  const db = await openDatabase({ url: columnless })
  await db.query('CREATE TABLE "user" (id integer, email text)')
  await db.close()
  t.same(await refused(['--from', columnless]), {
    status: 2,
    stdout: '',
    stderr: `dna-api: error: FROM: the "user" table of ${new URL(columnless).host}${new URL(columnless).pathname} has no column first_name, last_name, dob, password, created_at, modified_at, policy, genetic_result: is it the old service's database?\n`
  })
})

t.test('a target that cannot be opened or reached: one line, exit 2', async (t) => {
  const dir = join(tempDir(t), 'data')
  const held = await migratedEmbeddedDatabase(dir)
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const closedPort = (closed.address() as { port: number }).port
  await new Promise((resolve) => closed.close(resolve))
  const run = async (env: Record<string, string>): Promise<{ status: number | null, stdout: string, stderr: string }> => {
    const cli = startCli(t, SCRIPT, ['--from', old.url], { env })
    const { code } = await cli.closed
    return { status: code, ...cli.output }
  }
  const [busy, unreachable] = await Promise.all([
    run({ DATA_DIR: dir }),
    run({ DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/dna_api` })
  ])
  await held.close()
  t.same(busy, {
    status: 2,
    stdout: '',
    stderr: `dna-api: error: the embedded database in ${dir} is open in another process (pid ${process.pid}, probably \`make run\`); ` +
      'stop that process first, or set DATABASE_URL to use a PostgreSQL server\n'
  })
  t.same(unreachable, {
    status: 2,
    stdout: '',
    stderr: `dna-api: error: DATABASE_URL: no PostgreSQL answers at 127.0.0.1:${closedPort} (connection refused): start PostgreSQL, or correct the host and port in DATABASE_URL\n`
  })
})

t.test('an old table that fails while it is read: the error, exit 1, nothing imported', async (t) => {
  const target = await emptyPostgresDatabase(t)
  const setup = await openDatabase({ url: target })
  await migrate(setup)
  // A view has the old columns (the import checks no more), but reading a row divides by zero.
  const failing = await emptyPostgresDatabase(t)
  const source = await openDatabase({ url: failing })
  await source.query(`CREATE VIEW "user" AS SELECT 1 / (n - 1) AS id, 'Ada'::text AS first_name, 'Lovelace'::text AS last_name,
    date '1970-01-01' AS dob, 'ada@example.org'::text AS email, 'x'::text AS password, NULL::timestamp AS created_at,
    NULL::timestamp AS modified_at, NULL::text AS policy, NULL::json AS genetic_result FROM (VALUES (1)) AS rows (n)`)
  await source.close()
  const run = startCli(t, SCRIPT, ['--from', failing], { env: { DATABASE_URL: target } })
  const { code } = await run.closed
  t.same({ status: code, stdout: run.output.stdout }, { status: 1, stdout: '' })
  t.match(run.output.stderr, /^dna-api: error: division by zero\n$/)
  t.same((await setup.query('SELECT count(*)::integer AS n FROM users')).rows, [{ n: 0 }])
  await setup.close()
})

t.test('a target whose schema cannot be read: the database\'s own words, exit 2, nothing imported', async (t) => {
  // The schema version's table is a view that fails when it is read.
  const target = await emptyPostgresDatabase(t)
  const setup = await openDatabase({ url: target })
  await setup.query('CREATE VIEW schemaversion AS SELECT 1 / (n - 1) AS version, NULL::text AS name, NULL::text AS md5, now() AS run_at FROM (VALUES (1)) AS rows (n)')
  await setup.close()
  const run = startCli(t, SCRIPT, ['--from', old.url], { env: { DATABASE_URL: target } })
  const { code } = await run.closed
  t.same({ status: code, stdout: run.output.stdout }, { status: 2, stdout: '' })
  t.match(run.output.stderr, /^dna-api: error: division by zero\n$/)
})
