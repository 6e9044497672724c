// Test scaffolding: an app on a database of its own. With TEST_DATABASE_URL, each test file
// gets a fresh PostgreSQL database it creates and drops; without it, an in-memory embedded one
// started from a migrated snapshot (initdb runs once per suite, not once per file).
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildOptions } from '../src/app.js'
import { loadConfig, type Config, type Env } from '../src/config.js'
import { openDatabase, type Database } from '../src/db/database.js'
import { migrate } from '../src/db/migrations.js'
import { createScratchDatabase } from '../src/db/scratch-database.js'
import type { TokenResponse, User } from '../src/schemas/user.js'

export interface Test {
  teardown: (fn: () => unknown) => void
}

export const TEST_SECRET = 'a-test-secret-that-is-at-least-32-bytes-long'
export const PASSWORD = 'violet-Harbor-93-kettle'
/** The health-data key of the tests' apps: fixed, so that every app of a test file reads what another wrote. */
export const TEST_DATA_KEYS = `test1:${Buffer.alloc(32, 7).toString('base64')}`

export function testConfig (env: Env = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_SECRET,
    DATA_KEYS: TEST_DATA_KEYS,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'silent',
    // Off unless a test turns it on: a test file's own work (starting databases, coverage) lags
    // the event loop, and its apps would shed requests at random.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    TEST_DATABASE_URL: process.env.TEST_DATABASE_URL,
    ...env
  })
}

const SNAPSHOT_DIR = 'node_modules/.cache/dna-api'

/**
 * A migrated embedded database, from a snapshot keyed by the migration files' contents: in memory, or
 * in `dataDir` (a directory that does not hold one yet), as `make migrate` would leave it, without
 * paying for initdb and the migrations again.
 */
export async function migratedEmbeddedDatabase (dataDir = 'memory'): Promise<Database> {
  const hash = createHash('sha256')
  for (const file of readdirSync('sql').sort()) hash.update(file).update(readFileSync(join('sql', file)))
  const snapshot = join(SNAPSHOT_DIR, `pglite-${hash.digest('hex').slice(0, 16)}.tar`)
  if (!existsSync(snapshot)) {
    const db = await openDatabase({ dataDir: 'memory' })
    await migrate(db)
    const dump = await (db.dump as () => Promise<Blob>)()
    mkdirSync(SNAPSHOT_DIR, { recursive: true })
    // Written aside and renamed, so a test file running in parallel never reads half a snapshot.
    const partial = `${snapshot}.${process.pid}`
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()))
    renameSync(partial, snapshot)
    await db.close()
  }
  return await openDatabase({ dataDir, loadDataDir: new Blob([readFileSync(snapshot)]) })
}

/** Leaves a migrated embedded database in `dataDir`, as `make migrate` would, for a server or a command to open. */
export async function migrateDataDir (dataDir: string): Promise<void> {
  await (await migratedEmbeddedDatabase(dataDir)).close()
}

/** A database for one test file, migrated, and gone when the file's tests end. */
export async function testDatabase (t: Test, config = testConfig()): Promise<Database> {
  if (config.testDatabaseUrl === undefined) {
    const db = await migratedEmbeddedDatabase()
    t.teardown(async () => await db.close())
    return db
  }
  const database = await createScratchDatabase(config.testDatabaseUrl, 'dna_api_test')
  // Far above what a connection takes on a machine busy with other test files (the 1 s default was
  // once reached); the tests of the timeout itself open databases of their own.
  const db = await openDatabase({ url: database.url, connectionTimeoutMs: 30_000 })
  t.teardown(async () => {
    await db.close()
    await database.drop()
  })
  await migrate(db)
  return db
}

/** Empties every table but the migrations' own, so each test starts from clean data. */
export async function resetData (db: Database): Promise<void> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT quote_ident(tablename) AS name FROM pg_tables
      WHERE schemaname = current_schema() AND tablename <> 'schemaversion'`)
  await db.query(`TRUNCATE ${rows.map((row) => row.name).join(', ')} RESTART IDENTITY CASCADE`)
}

export async function buildTestApp (t: Test, db: Database, env: Env = {}, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp(testConfig(env), { logger: false, db, ...options })
  t.teardown(async () => await app.close())
  return app
}

export interface SignedUp {
  token: string
  user: User
}

let counter = 0

export async function signUp (app: FastifyInstance, fields: Record<string, unknown> = {}): Promise<SignedUp> {
  counter += 1
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/users',
    payload: { email: `user${counter}@example.com`, password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17', ...fields }
  })
  if (response.statusCode !== 201) throw new Error(`signup failed: ${response.statusCode} ${response.body}`)
  const body = response.json<TokenResponse>()
  return { token: body.jwt_token, user: body.user }
}

export const auth = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

/** Makes a user an admin directly in the database (what `make admin` does), returning their token. */
export async function signUpAdmin (app: FastifyInstance, db: Database, fields: Record<string, unknown> = {}): Promise<SignedUp> {
  const admin = await signUp(app, fields)
  await db.query("UPDATE users SET role = 'admin' WHERE id = $1", [admin.user.id])
  return { ...admin, user: { ...admin.user, role: 'admin' } }
}
