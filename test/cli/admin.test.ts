import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { openDatabase } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrations.js'
import { tables } from '../../src/db/tables.js'

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

async function withDatabase<T> (work: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const db = await openDatabase({ dataDir })
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
  t.equal(result.stdout, `ada@example.com (id ${ids[0]}) is now an admin (was user)\n`)
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

  t.equal((await admin('--email', 'grace@example.com')).code, 0)
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
