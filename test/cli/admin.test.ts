import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { openDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrations.js'
import { tables } from '../../src/db/tables.js'
import { NO_SECOND_FACTOR } from '../../src/cli/set-role.js'
import { migrateDataDir, PASSWORD } from '../helper.js'
import { emptyPostgresDatabase, runCli, serve, tempDir } from '../support.js'

// The command runs as a real process against an embedded database in a temporary folder.
const dataDir = mkdtempSync(join(tmpdir(), 'dna-api-admin-'))
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))

async function admin (...args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [...process.execArgv, 'src/cli/admin.ts', ...args], {
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent' }
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => { stdout += String(chunk) })
  child.stderr.on('data', (chunk) => { stderr += String(chunk) })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, stdout, stderr }
}

async function withDatabase<T> (work: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>, where = dataDir): Promise<T> {
  const db = await openDatabase({ dataDir: where })
  try {
    return await work(db)
  } finally {
    await db.close()
  }
}

const ids = await withDatabase(async (db) => {
  await migrate(db)
  const users = tables(db).users
  const person = { passwordHash: 'not-a-real-hash', firstName: 'Ada', lastName: 'Lovelace', dob: '1990-04-17' }
  return [
    (await users.create({ ...person, email: 'ada@example.com' })).id,
    (await users.create({ ...person, email: 'grace@example.com' })).id
  ]
})

const roles = async (): Promise<unknown[]> => await withDatabase(async (db) =>
  (await db.query('SELECT email, role FROM users ORDER BY id')).rows)

t.test('promotes an existing user, whatever the case of the email, and records it', async (t) => {
  const result = await admin('--email', 'ADA@example.com')
  t.equal(result.code, 0, result.stderr)
  t.equal(result.stdout, `ada@example.com (id ${ids[0]}) is now an admin (was user)\n${NO_SECOND_FACTOR}\n`, 'and told they have no second factor')
  t.same(await roles(), [{ email: 'ada@example.com', role: 'admin' }, { email: 'grace@example.com', role: 'user' }])
  const audit = await withDatabase(async (db) => (await db.query('SELECT actor_id, action, target_id, fields FROM audit_log')).rows)
  t.same(audit, [{ actor_id: null, action: 'user.update', target_id: ids[0], fields: ['role'] }])

  const again = await admin('--email', 'ada@example.com', '--role', 'admin')
  t.equal(again.code, 0)
  t.equal(again.stdout, `ada@example.com (id ${ids[0]}) is already an admin; nothing changed\n`)
})

t.test('demotes with --role user, but never the last admin', async (t) => {
  const refused = await admin('--email', 'ada@example.com', '--role', 'user')
  t.equal(refused.code, 1)
  t.equal(refused.stderr, 'dna-api: error: this is the last admin account: make another user an admin first\n')

  await withDatabase(async (db) => await db.query("UPDATE users SET mfa_enabled = true WHERE email = 'grace@example.com'"))
  const grace = await admin('--email', 'grace@example.com')
  t.equal(grace.code, 0)
  t.equal(grace.stdout, `grace@example.com (id ${ids[1]}) is now an admin (was user)\n`, 'no note for someone with a second factor')
  const demoted = await admin('--email', 'ada@example.com', '--role', 'user')
  t.equal(demoted.code, 0, demoted.stderr)
  t.equal(demoted.stdout, `ada@example.com (id ${ids[0]}) is now a user (was admin)\n`)
  t.same(await roles(), [{ email: 'ada@example.com', role: 'user' }, { email: 'grace@example.com', role: 'admin' }])
  t.equal((await admin('--email', 'ada@example.com', '--role', 'user')).stdout, `ada@example.com (id ${ids[0]}) is already a user; nothing changed\n`)
})

t.test('fails clearly for an unknown email, a missing email or a bad role', async (t) => {
  const unknown = await admin('--email', 'nobody@example.com')
  t.equal(unknown.code, 1)
  t.equal(unknown.stderr, 'dna-api: error: no user with email nobody@example.com: they must sign up first\n')
  const missing = await admin()
  t.equal(missing.code, 1)
  t.equal(missing.stderr, 'dna-api: error: usage: make admin EMAIL=someone@example.com [ROLE=admin|user]\n')
  const empty = await admin('--email', '')
  t.equal(empty.code, 1)
  const role = await admin('--email', 'ada@example.com', '--role', 'root')
  t.equal(role.code, 1)
  t.equal(role.stderr, 'dna-api: error: ROLE must be admin or user, got \'root\'\n')
})

t.test('refuses while another process has the embedded database open', async (t) => {
  const db = await openDatabase({ dataDir })
  t.teardown(async () => await db.close())
  const busy = await admin('--email', 'ada@example.com')
  t.equal(busy.code, 1)
  t.match(busy.stderr, /^dna-api: error: the embedded database in .* is open in another process \(pid \d+, probably `make run`\); stop that process first, or set DATABASE_URL to use a PostgreSQL server\n$/)
})

/** Signs up through a running server; the token of the new account. */
async function signUpAt (url: string, email: string): Promise<string> {
  const response = await fetch(`${url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' })
  })
  if (response.status !== 201) throw new Error(`signup: ${response.status} ${await response.text()}`)
  return ((await response.json()) as { jwt_token: string }).jwt_token
}

const roleSeenBy = async (url: string, token: string): Promise<unknown> =>
  ((await (await fetch(`${url}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } })).json()) as { role: unknown }).role

t.test('while `make run` serves the embedded database, make admin works through the server, no restart', async (t) => {
  const served = join(tempDir(t), 'data')
  await migrateDataDir(served)
  const { server, url } = await serve(t, { DATA_DIR: served })
  const token = await signUpAt(url, 'ada@example.com')
  t.equal(await roleSeenBy(url, token), 'user')

  const socket = join(served, 'dna-api.sock')
  t.equal(statSync(socket).mode & 0o777, 0o600, 'only the OS user running the server can talk to it')

  const promoted = runCli('src/cli/admin.ts', ['--email', 'Ada@Example.com'], { env: { DATA_DIR: served } })
  t.same(promoted, { status: 0, stdout: `ada@example.com (id 1) is now an admin (was user)\n${NO_SECOND_FACTOR}\n`, stderr: '' })
  t.equal(await roleSeenBy(url, token), 'admin', 'the next GET /me says admin, with the same token')
  t.same(runCli('src/cli/admin.ts', ['--email', 'ada@example.com'], { env: { DATA_DIR: served } }).stdout,
    'ada@example.com (id 1) is already an admin; nothing changed\n')
  t.same(runCli('src/cli/admin.ts', ['--email', 'nobody@example.com'], { env: { DATA_DIR: served } }),
    { status: 1, stdout: '', stderr: 'dna-api: error: no user with email nobody@example.com: they must sign up first\n' })

  // Anything but a request is refused, and the server carries on.
  const junk = connect(socket)
  let answer = ''
  junk.on('data', (chunk: Buffer) => { answer += chunk.toString() })
  junk.end('hello\n')
  await once(junk, 'close')
  t.same(JSON.parse(answer), { ok: false, message: 'the request is not JSON' })

  server.child.kill('SIGTERM')
  t.same(await server.closed, { code: 0, signal: null })
  t.notOk(existsSync(socket), 'the socket goes with the server')
  const audit = await withDatabase(async (db) => (await db.query('SELECT actor_id, action, fields FROM audit_log')).rows, served)
  t.same(audit, [{ actor_id: null, action: 'user.update', fields: ['role'] }], 'recorded as a command-line change')
})

t.test('on PostgreSQL, make admin works directly while a server runs', async (t) => {
  const databaseUrl = await emptyPostgresDatabase(t)
  const db = await openDatabase({ url: databaseUrl })
  await migrate(db)
  await db.close()
  const { url } = await serve(t, { DATABASE_URL: databaseUrl })
  const token = await signUpAt(url, 'grace@example.com')
  const promoted = runCli('src/cli/admin.ts', ['--email', 'grace@example.com'], { env: { DATABASE_URL: databaseUrl } })
  t.same(promoted, { status: 0, stdout: `grace@example.com (id 1) is now an admin (was user)\n${NO_SECOND_FACTOR}\n`, stderr: '' })
  t.equal(await roleSeenBy(url, token), 'admin')
})
