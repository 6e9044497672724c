// `make rotate-keys` and `make audit-verify` as the operator runs them: on an embedded database no
// server holds, through the server that holds one, and on PostgreSQL while a server serves.
import t from 'tap'
import { openDatabase, type Database } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrations.js'
import { sealJwtDerived } from '../../src/accounts/jwt-derived-totp-secrets.js'
import { migratedEmbeddedDatabase, TEST_DATA_KEYS, TEST_SECRET } from '../helper.js'
import { emptyPostgresDatabase, runCli, serve, startCli, tempDir } from '../support.js'

const NEW_KEYS = `next:${Buffer.alloc(32, 3).toString('base64')},${TEST_DATA_KEYS}`

async function withDatabase<T> (where: { url?: string, dataDir?: string }, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(where)
  try {
    return await work(db)
  } finally {
    await db.close()
  }
}

/**
 * A migrated database with one user whose profile was stored before encryption and whose TOTP secret
 * is sealed with the key from JWT_SECRET (TEST_SECRET), as before DATA_KEYS covered them; and two audit entries.
 */
async function seed (db: Database): Promise<void> {
  await migrate(db)
  await db.query(`INSERT INTO users (email, email_folded, password_hash, first_name, last_name, dob)
                  VALUES ('ada@example.com', 'ada@example.com', 'x', 'Ada', 'Lovelace', '1990-04-17')`)
  await db.query('INSERT INTO genetic_profiles (user_id, policy, genetic_result) VALUES (1, \'POL-CLI-1\', \'{"BRCA1": "negative"}\')')
  await db.query('INSERT INTO totp_factors (user_id, secret, confirmed_at) VALUES (1, $1, now())', [sealJwtDerived(TEST_SECRET, 'JBSWY3DPEHPK3PXP', 1)])
  await db.query("INSERT INTO audit_log (actor_id, action, target_id) VALUES (NULL, 'user.update', 1), (NULL, 'user.read', 1)")
}

/** `seed` on an embedded database in `dataDir`, started from the suite's migrated snapshot (no initdb). */
async function seedEmbedded (dataDir: string): Promise<void> {
  const db = await migratedEmbeddedDatabase(dataDir)
  try {
    await seed(db)
  } finally {
    await db.close()
  }
}

t.test('on an embedded database no server holds: check, encrypt, verify, and a broken chain exits 1', async (t) => {
  const dataDir = tempDir(t)
  await seedEmbedded(dataDir)
  const env = { env: { DATA_DIR: dataDir, JWT_SECRET: TEST_SECRET } }
  t.same(runCli('src/cli/rotate-keys.ts', ['--check'], env), {
    status: 0,
    stdout: '2 values under plaintext (stored before encryption, or decrypted): `make rotate-keys` encrypts them\n' +
      '1 TOTP secret under jwt-derived (a key from JWT_SECRET, before DATA_KEYS covered them): `make rotate-keys` moves them\n',
    stderr: ''
  })
  t.same(runCli('src/cli/rotate-keys.ts', ['--batch', '10'], env), {
    status: 0,
    stdout: '1 of 1 profiles under key test1\n1 of 1 TOTP secrets under key test1\n1 profile and 1 TOTP secret rewritten; every value is now under key test1\n' +
      '2 values under key test1 (current)\n1 TOTP secret under key test1 (current)\n',
    stderr: ''
  })
  const stored = await withDatabase({ dataDir }, async (db) => (await db.query<{ value: string }>('SELECT policy AS value FROM genetic_profiles UNION ALL SELECT secret FROM totp_factors')).rows)
  t.match(stored, [{ value: /^v1:test1:/ }, { value: /^v1:test1:/ }], 'encrypted, the TOTP secret under DATA_KEYS')

  t.same(runCli('src/cli/audit-verify.ts', [], env).status, 0)
  t.match(runCli('src/cli/audit-verify.ts', ['--batch', '1'], env).stdout, /^1 entries checked\n2 entries checked\nthe audit log is intact: 2 entries, head entry \d+ with hash [0-9a-f]{64}\n$/)
  await withDatabase({ dataDir }, async (db) => {
    await db.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only')
    await db.query("UPDATE audit_log SET action = 'users.list' WHERE action = 'user.read'")
  })
  const broken = runCli('src/cli/audit-verify.ts', [], env)
  t.equal(broken.status, 1)
  t.match(broken.stderr, /^dna-api: error: the audit log is broken at entry \d+: its fields do not match its hash: the entry was changed \(1 entries before it are intact\)\n$/)

  t.same(runCli('src/cli/rotate-keys.ts', ['--batch', '0'], env),
    { status: 1, stdout: '', stderr: "dna-api: error: BATCH must be a whole number from 1 to 100000, got '0'\n" })
  t.same(runCli('src/cli/audit-verify.ts', ['--batch', 'x'], env),
    { status: 1, stdout: '', stderr: "dna-api: error: BATCH must be a whole number from 1 to 100000, got 'x'\n" })
  t.match(runCli('src/cli/rotate-keys.ts', [], { env: { DATA_DIR: dataDir, NODE_ENV: 'production', DATA_KEYS: '' } }).stderr, /^dna-api: configuration error: /)
})

t.test('while another process that is no server (a `make migrate`) holds the embedded database, both refuse', async (t) => {
  const dataDir = tempDir(t)
  await seedEmbedded(dataDir)
  const db = await openDatabase({ dataDir })
  t.teardown(async () => await db.close())
  for (const cli of ['src/cli/rotate-keys.ts', 'src/cli/audit-verify.ts']) {
    const busy = runCli(cli, [], { env: { DATA_DIR: dataDir } })
    t.equal(busy.status, 1, cli)
    t.equal(busy.stdout, '')
    t.match(busy.stderr, /^dna-api: error: the embedded database in .* is open in another process \(pid \d+, probably `make run`\); stop that process first, or set DATABASE_URL to use a PostgreSQL server\n$/)
  }
})

t.test('while the server holds the embedded database, both run inside it', async (t) => {
  const dataDir = tempDir(t)
  await seedEmbedded(dataDir)
  const { server } = await serve(t, { DATA_DIR: dataDir, DATA_KEYS: NEW_KEYS, JWT_SECRET: TEST_SECRET })
  t.same(runCli('src/cli/rotate-keys.ts', [], { env: { DATA_DIR: dataDir } }), {
    status: 0,
    stdout: '1 of 1 profiles under key next\n1 of 1 TOTP secrets under key next\n1 profile and 1 TOTP secret rewritten; every value is now under key next\n' +
      '2 values under key next (current)\n1 TOTP secret under key next (current)\n',
    stderr: ''
  }, 'with the server\'s keys and JWT_SECRET, whatever this process was given')
  t.match(runCli('src/cli/audit-verify.ts', [], { env: { DATA_DIR: dataDir } }).stdout, /the audit log is intact: 2 entries/)
  server.child.kill('SIGTERM')
  await server.closed
})

t.test('on PostgreSQL, while a server serves', async (t) => {
  const url = await emptyPostgresDatabase(t)
  await withDatabase({ url }, seed)
  const server = startCli(t, 'src/server.ts', [], { env: { DATABASE_URL: url, LOG_LEVEL: 'info', DATA_KEYS: NEW_KEYS, JWT_SECRET: TEST_SECRET } })
  await server.waitFor('stdout', (text) => text.includes('Server listening'))
  const env = { env: { DATABASE_URL: url, DATA_KEYS: NEW_KEYS, JWT_SECRET: TEST_SECRET } }
  t.match(runCli('src/cli/rotate-keys.ts', [], env).stdout, /every value is now under key next/)
  t.equal(runCli('src/cli/rotate-keys.ts', ['--check'], env).stdout, '2 values under key next (current)\n1 TOTP secret under key next (current)\n')
  t.match(runCli('src/cli/audit-verify.ts', [], { env: { DATABASE_URL: url } }).stdout, /the audit log is intact: 2 entries/)
  server.child.kill('SIGTERM')
  await server.closed
})
