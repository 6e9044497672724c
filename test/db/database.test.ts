import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pg from 'pg'
import t from 'tap'
import { EmbeddedDatabaseBusyError, openDatabase, type Database } from '../../src/db/database.js'
import { isDatabaseUnavailable } from '../../src/db/errors.js'
import { testConfig, testDatabase } from '../helper.js'
import { emptyPostgresDatabase, POSTGRES_URL, silentServer, tempDir } from '../support.js'

// A connection to PostgreSQL is opened within the connect timeout, or fails. The tests that are
// not about that timeout wait far longer than any connection takes on a machine busy with other
// test files (the 1 s default was once reached); those about it wait little more than it takes,
// since they sit out the timeout itself.
const PATIENT = { connectionTimeoutMs: 30_000 }
const SHORT_CONNECT_TIMEOUT_MS = 2000

// Both drivers, whatever TEST_DATABASE_URL says: the code above them must not see a difference.
const embedded = await testDatabase(t, testConfig({ TEST_DATABASE_URL: '' }))
const postgresUrl = await emptyPostgresDatabase(t)
const postgres = await openDatabase({ url: postgresUrl, ...PATIENT })
t.teardown(async () => await postgres.close())

let tables = 0
/** A table name of its own for each test, so the tests share each database without meeting. */
const table = (): string => `t${++tables}`

for (const [kind, db] of [['embedded', embedded], ['postgres', postgres]] as Array<[Database['kind'], Database]>) {
  t.test(`${kind}: says which driver it is`, async (t) => {
    t.equal(db.kind, kind)
  })

  t.test(`${kind}: a date is the YYYY-MM-DD it was, and a timestamp an ISO string in UTC, whatever the local time zone`, async (t) => {
    const zone = process.env.TZ
    process.env.TZ = 'America/Los_Angeles'
    t.teardown(() => { if (zone === undefined) delete process.env.TZ; else process.env.TZ = zone })
    const { rows } = await db.query(
      "SELECT '1990-04-17'::date AS dob, $1::date AS leap, '2024-03-10 01:30:00-08'::timestamptz AS at, NULL::date AS nothing",
      ['2000-02-29'])
    t.same(rows, [{ dob: '1990-04-17', leap: '2000-02-29', at: '2024-03-10T09:30:00.000Z', nothing: null }])
  })

  t.test(`${kind}: rowCount counts the rows a statement returned or changed`, async (t) => {
    const name = table()
    t.equal((await db.query(`CREATE TABLE ${name} (x integer)`)).rowCount, 0)
    t.equal((await db.query(`INSERT INTO ${name} VALUES (1), (2), (3)`)).rowCount, 3)
    t.same(await db.query(`SELECT x FROM ${name} ORDER BY x`), { rows: [{ x: 1 }, { x: 2 }, { x: 3 }], rowCount: 3 })
    t.equal((await db.query(`UPDATE ${name} SET x = x * 10 WHERE x > 1`)).rowCount, 2)
    t.same(await db.query(`DELETE FROM ${name} WHERE x = 20 RETURNING x`), { rows: [{ x: 20 }], rowCount: 1 })
    t.equal((await db.query(`DELETE FROM ${name} WHERE false`)).rowCount, 0)
  })

  t.test(`${kind}: an undefined parameter is NULL`, async (t) => {
    const { rows } = await db.query('SELECT $1::text IS NULL AS missing, $2::text AS given', [undefined, 'x'])
    t.same(rows, [{ missing: true, given: 'x' }])
    const inTransaction = await db.transaction(async (tx) => (await tx.query('SELECT $1::integer IS NULL AS missing', [undefined])).rows)
    t.same(inTransaction, [{ missing: true }])
  })

  t.test(`${kind}: a transaction commits what its work did and returns its result`, async (t) => {
    const name = table()
    await db.query(`CREATE TABLE ${name} (x integer)`)
    const result = await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${name} VALUES ($1)`, [1])
      const { rows } = await tx.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${name}`)
      return rows[0].n
    })
    t.equal(result, 1, 'the work sees its own writes')
    t.same((await db.query(`SELECT x FROM ${name}`)).rows, [{ x: 1 }])
  })

  t.test(`${kind}: a transaction whose work throws is rolled back and the error passed on`, async (t) => {
    const name = table()
    await db.query(`CREATE TABLE ${name} (x integer)`)
    const failure = new Error('changed my mind')
    await t.rejects(db.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${name} VALUES (1)`)
      throw failure
    }), failure)
    t.same((await db.query(`SELECT x FROM ${name}`)).rows, [])
  })

  t.test(`${kind}: an SQL error keeps PostgreSQL's code, which the service reads`, async (t) => {
    const name = table()
    await db.query(`CREATE TABLE ${name} (email text UNIQUE)`)
    await db.query(`INSERT INTO ${name} VALUES ('ada@example.com')`)
    await t.rejects(db.query(`INSERT INTO ${name} VALUES ($1)`, ['ada@example.com']), { code: '23505' })
    await t.rejects(db.transaction(async (tx) => await tx.query('SELECT 1 / 0')), { code: '22012' })
  })

  t.test(`${kind}: a script runs every statement and returns the last result`, async (t) => {
    const name = table()
    const result = await db.script(`
      CREATE TABLE ${name} (x integer);
      INSERT INTO ${name} VALUES (1), (2);
      SELECT x FROM ${name} ORDER BY x;`)
    t.same(result, { rows: [{ x: 1 }, { x: 2 }], rowCount: 2 })
    t.same(await db.script(`SELECT count(*)::integer AS n FROM ${name}`), { rows: [{ n: 2 }], rowCount: 1 }, 'a script of one statement')
    t.same(await db.script(`DROP TABLE ${name}`), { rows: [], rowCount: 0 })
  })

  t.test(`${kind}: a prepared statement answers like the same query, every time, in a transaction too`, async (t) => {
    const statement = { name: `test.${kind}.double`, text: 'SELECT $1::integer * 2 AS doubled' }
    t.same(await db.query(statement, [21]), { rows: [{ doubled: 42 }], rowCount: 1 })
    t.same((await db.query(statement, [4])).rows, [{ doubled: 8 }], 'once prepared')
    t.same(await db.transaction(async (tx) => (await tx.query(statement, [undefined])).rows), [{ doubled: null }])
  })
}

t.test('postgres: a prepared statement is prepared under its name, once per connection', async (t) => {
  const db = await openDatabase({ url: postgresUrl, poolSize: 1, ...PATIENT })
  t.teardown(async () => await db.close())
  const statement = { name: 'test.triple', text: 'SELECT $1::integer * 3 AS tripled' }
  for (const n of [1, 2, 3]) t.same((await db.query(statement, [n])).rows, [{ tripled: 3 * n }])
  await db.transaction(async (tx) => await tx.query(statement, [4]))
  const { rows } = await db.query('SELECT name, statement FROM pg_prepared_statements')
  t.same(rows, [{ name: 'test.triple', statement: statement.text }], 'the only connection holds it, once; other queries are not kept')
})

// One data directory for the on-disk tests, which run one after the other: the dump test makes
// it, and starting PGlite on files that exist is much faster than making them.
const diskDir = tempDir(t)
const lockFile = join(diskDir, 'dna-api.pid')

t.test('embedded: a dump starts another database with the same data', async (t) => {
  const name = table()
  await embedded.script(`CREATE TABLE ${name} (x integer); INSERT INTO ${name} VALUES (7)`)
  const dump = await (embedded.dump as () => Promise<Blob>)()
  const copy = await openDatabase({ dataDir: diskDir, loadDataDir: dump })
  t.same((await copy.query(`SELECT x FROM ${name}`)).rows, [{ x: 7 }])
  await copy.query(`INSERT INTO ${name} VALUES (8)`)
  await copy.close()
  t.same((await embedded.query(`SELECT x FROM ${name}`)).rows, [{ x: 7 }], 'the copy is a copy')

  const inMemory = await openDatabase({ loadDataDir: dump })
  t.equal(inMemory.kind, 'embedded', 'without a data directory, it lives in memory')
  t.same((await inMemory.query(`SELECT x FROM ${name}`)).rows, [{ x: 7 }])
  await inMemory.close()
})

t.test('embedded on disk: one process at a time, and the data stays when it closes', async (t) => {
  const first = await openDatabase({ dataDir: diskDir })
  t.equal(readFileSync(lockFile, 'utf8'), String(process.pid), 'the holder\'s pid is in the lock file')
  await first.script('CREATE TABLE kept (x integer); INSERT INTO kept VALUES (42)')

  const refused = openDatabase({ dataDir: diskDir })
  await t.rejects(refused, EmbeddedDatabaseBusyError)
  await t.rejects(refused, {
    name: 'EmbeddedDatabaseBusyError',
    message: `the embedded database in ${diskDir} is open in another process (pid ${process.pid}, probably \`make run\`); ` +
      'stop that process first, or set DATABASE_URL to use a PostgreSQL server'
  })
  t.equal(readFileSync(lockFile, 'utf8'), String(process.pid), 'the refused attempt left the lock to its holder')

  await first.close()
  t.notOk(existsSync(lockFile), 'closing releases the lock')
  const again = await openDatabase({ dataDir: diskDir })
  t.same((await again.query('SELECT x FROM kept')).rows, [{ x: 42 }])
  await again.close()
})

t.test('embedded on disk: a lock held by another live process is respected', async (t) => {
  const dir = tempDir(t)
  const holder = spawn(process.execPath, ['-e', 'process.stdin.resume()'], { stdio: ['pipe', 'ignore', 'ignore'] })
  const ended = new Promise((resolve) => holder.once('exit', resolve))
  t.teardown(async () => { holder.kill(); await ended })
  writeFileSync(join(dir, 'dna-api.pid'), String(holder.pid))
  await t.rejects(openDatabase({ dataDir: dir }), { name: 'EmbeddedDatabaseBusyError', message: new RegExp(`\\(pid ${String(holder.pid)},`) })
})

t.test('embedded on disk: the lock of a process that died without cleaning up is taken over', async (t) => {
  // A pid that is certainly dead: a child that has run and been reaped.
  const dead = spawn(process.execPath, ['-e', ''])
  await new Promise((resolve) => dead.once('exit', resolve))
  // Not a number, or -1: kill(-1, 0) would ask about every process and find one alive.
  for (const stale of [String(dead.pid), 'not-a-pid', '-1']) {
    writeFileSync(lockFile, stale)
    const db = await openDatabase({ dataDir: diskDir })
    t.equal(readFileSync(lockFile, 'utf8'), String(process.pid), `lock file '${stale}' taken over`)
    await db.close()
  }
})

t.test('embedded on disk: a data directory that cannot hold the lock file fails with the system\'s error', async (t) => {
  // A path just short of the system's limit: the directory can be made, the lock file in it cannot.
  let dir = tempDir(t)
  while (resolve(dir).length < 4080) dir = join(dir, 'd'.repeat(Math.min(200, 4085 - resolve(dir).length)))
  mkdirSync(dir, { recursive: true })
  await t.rejects(openDatabase({ dataDir: dir }), { code: 'ENAMETOOLONG' })
})

t.test('embedded: a database that cannot start says where and why, and releases its lock', async (t) => {
  const dir = tempDir(t)
  await t.rejects(openDatabase({ dataDir: dir, loadDataDir: new Blob(['not a dump']) }), {
    message: `the embedded database in ${dir} could not be started (PGlite failed to initialize properly); ` +
      'check that DATA_DIR is a directory this service created, or set DATABASE_URL to use a PostgreSQL server'
  })
  t.notOk(existsSync(join(dir, 'dna-api.pid')))

  // PGlite throws a plain object here, not an Error: it must still read as something.
  const broken = tempDir(t)
  writeFileSync(join(broken, 'pgdata'), 'a file where the database directory should be')
  const error = await openDatabase({ dataDir: broken }).then(() => undefined, (error: Error) => error)
  t.match(error, { message: `the embedded database in ${broken} could not be started (ErrnoError { name: 'ErrnoError', errno: 54 }); ` })
  t.notMatch(String(error?.message), /\[object Object\]/)
  t.notOk(existsSync(join(broken, 'dna-api.pid')))
})

t.test('postgres: a connection lost in the middle of a transaction fails it, and the process lives on', async (t) => {
  const db = await openDatabase({ url: postgresUrl, ...PATIENT })
  t.teardown(async () => await db.close())
  const name = table()
  await db.query(`CREATE TABLE ${name} (x integer)`)
  const error = await db.transaction(async (tx) => {
    await tx.query(`INSERT INTO ${name} VALUES (1)`)
    await tx.query('SELECT pg_terminate_backend(pg_backend_pid())')
  }).then(() => undefined, (error: unknown) => error)
  t.match(error, { code: '57P01' }, 'terminating connection due to administrator command')
  t.ok(isDatabaseUnavailable(error), 'so the caller gets a 503')
  t.same((await db.query(`SELECT count(*)::integer AS n FROM ${name}`)).rows, [{ n: 0 }], 'nothing was committed, and the pool reconnects')
})

t.test('postgres: when even the ROLLBACK fails, the work\'s own error is passed on and the connection is not reused', async (t) => {
  const db = await openDatabase({ url: postgresUrl, poolSize: 1, ...PATIENT })
  t.teardown(async () => await db.close())
  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  t.teardown(async () => await admin.end())
  const failure = new Error('changed my mind')
  await t.rejects(db.transaction(async (tx) => {
    const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    // Its connection ends (and the second argument waits until it has), then the work gives up.
    await admin.query('SELECT pg_terminate_backend($1, 10000)', [rows[0].pid])
    throw failure
  }), failure)
  t.same((await db.query('SELECT 1 AS ok')).rows, [{ ok: 1 }], 'the pool\'s one connection is a new one')
})

t.test('postgres: an idle connection dropped by the server is reported, and the next query reconnects', async (t) => {
  let reported: (error: Error) => void = () => {}
  const dropped = new Promise<Error>((resolve) => { reported = resolve })
  const db = await openDatabase({ url: postgresUrl, onPoolError: (error) => reported(error), ...PATIENT })
  t.teardown(async () => await db.close())
  const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')

  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid])
  await admin.end()

  t.match(await dropped, { message: /terminating connection due to administrator command|Connection terminated unexpectedly/ })
  t.same((await db.query('SELECT 1 AS ok')).rows, [{ ok: 1 }])
})

t.test('postgres: waiting for a connection gives up after connectionTimeoutMs', async (t) => {
  const db = await openDatabase({ url: postgresUrl, poolSize: 1, connectionTimeoutMs: SHORT_CONNECT_TIMEOUT_MS })
  t.teardown(async () => await db.close())
  await db.transaction(async (tx) => {
    await tx.query('SELECT 1')
    // The only connection is busy with this transaction.
    const error = await db.query('SELECT 1').then(() => undefined, (error: unknown) => error)
    t.match(error, { message: /timeout exceeded when trying to connect/ })
    t.ok(isDatabaseUnavailable(error))
  })
  t.same((await db.query('SELECT 1 AS ok')).rows, [{ ok: 1 }], 'the connection is free again')
})

t.test('postgres: a statement running longer than statementTimeoutMs is cancelled', async (t) => {
  const db = await openDatabase({ url: postgresUrl, statementTimeoutMs: 100, ...PATIENT })
  t.teardown(async () => await db.close())
  const error = await db.query('SELECT pg_sleep(30)').then(() => undefined, (error: unknown) => error)
  t.match(error, { code: '57014' }, 'canceling statement due to statement timeout')
  t.ok(isDatabaseUnavailable(error))
})

t.test('postgres: statements are limited to 5 s by default; statementTimeoutMs 0 sets no limit, on the server or in the client', async (t) => {
  t.same((await postgres.query('SHOW statement_timeout')).rows, [{ statement_timeout: '5s' }])
  const unlimited = await openDatabase({ url: postgresUrl, statementTimeoutMs: 0, connectionTimeoutMs: SHORT_CONNECT_TIMEOUT_MS })
  t.teardown(async () => await unlimited.close())
  t.same((await unlimited.query('SHOW statement_timeout')).rows, [{ statement_timeout: '0' }])
  t.same((await unlimited.query(`SELECT 1 AS ok FROM pg_sleep(${SHORT_CONNECT_TIMEOUT_MS / 1000 + 0.1})`)).rows, [{ ok: 1 }],
    'longer than the connection timeout, which would otherwise bound a query without an answer')
})

t.test('postgres: a server that accepts connections but never answers fails within connectionTimeoutMs', async (t) => {
  const port = await silentServer(t)
  const db = await openDatabase({ url: `postgres://postgres@127.0.0.1:${port}/postgres`, connectionTimeoutMs: 200 })
  t.teardown(async () => await db.close())
  const error = await db.query('SELECT 1').then(() => undefined, (error: unknown) => error)
  t.ok(isDatabaseUnavailable(error), String(error))
})
