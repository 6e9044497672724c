// The scratch database: made on the PostgreSQL server of DATABASE_URL, migrated with
// dist/cli/migrate.js, dropped at the end; its users, seeded in SQL with one fixed bcrypt hash
// (so a million of them take seconds, not days), and sessions with their tokens.
import { spawnSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { join } from 'node:path'
import pg from 'pg'
import { createScratchDatabase as createDatabase } from '../src/db/scratch-database.js'
import { atCleanUp } from './cleanup.js'
import { say } from './format.js'
import { REPO } from './settings.js'

export interface ScratchDatabase {
  url: string
  /** host:port of its server. */
  host: string
  postgresVersion: string
}

/** `dna_api_bench<suffix>_<pid>_<random>`, created, migrated, and dropped at clean-up (also on failure or Ctrl-C). */
export async function createScratchDatabase (serverUrl: string, workDir: string, suffix = ''): Promise<ScratchDatabase> {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  const postgresVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version
  await admin.end()
  const database = await createDatabase(serverUrl, `dna_api_bench${suffix}`)
  atCleanUp(database.drop)
  const url = new URL(database.url)
  const databaseUrl = database.url
  say(`scratch database ${database.name} on ${url.host}`)

  const migrate = spawnSync(process.execPath, [join(REPO, 'dist/cli/migrate.js')],
    { cwd: workDir, env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl }, encoding: 'utf8' })
  if (migrate.status !== 0) throw new Error(`migration failed: ${migrate.stderr}`)
  return { url: databaseUrl, host: url.host, postgresVersion }
}

/** A connection for seeding, closed at clean-up. */
export async function connect (databaseUrl: string): Promise<pg.Client> {
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  atCleanUp(async () => await db.end())
  return db
}

/** Users `from` to `to`, user n being user<n>@bench.example with the password hashed as `hash`; user 1 is an admin. */
export async function seedUsers (db: pg.Client, hash: string, from: number, to: number): Promise<void> {
  // Ids are given, so that user n is user<n>@bench.example; the identity then continues after them.
  await db.query(
    `INSERT INTO users (id, email, email_folded, password_hash, first_name, last_name, dob, role) OVERRIDING SYSTEM VALUE
     SELECT n, 'user' || n || '@bench.example', 'user' || n || '@bench.example', $1, 'Ada', 'Lovelace', date '1940-01-01' + n % 25000,
            CASE WHEN n = 1 THEN 'admin' ELSE 'user' END
       FROM generate_series($2::integer, $3::integer) AS n`, [hash, from, to])
  // One customer in ten has genetic results and a policy, so GET /me and the list join real rows.
  await db.query(
    `INSERT INTO genetic_profiles (user_id, policy, genetic_result, updated_by)
     SELECT n, 'POL-' || n, '{"BRCA1": "negative", "APOE": "e3/e3", "markers": [{"rsid": "rs429358", "genotype": "TT"}]}', 1
       FROM generate_series($1::integer, $2::integer) AS n WHERE n % 10 = 0`, [from, to])
  await db.query("SELECT setval(pg_get_serial_sequence('users', 'id'), $1)", [to])
  await db.query('VACUUM ANALYZE users, genetic_profiles, sessions')
  // Writes the seed's pages out now: otherwise PostgreSQL's checkpointer does it in the following
  // minutes, on the cores and the disk the next measurements use (seen as GET /health at two
  // thirds of its speed right after the million users were seeded).
  await db.query('CHECKPOINT').catch((error: Error) => { say(`  CHECKPOINT refused (${error.message}); measuring anyway`) })
}

/** A token made the way the service makes them: HS256 over {sub, role, sid, iat, exp}. */
function signToken (secret: string, claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`
}

/** A day-long session for each of users 2 to `lastUser`, and its token signed with `jwtSecret`. */
export async function openSessions (db: pg.Client, jwtSecret: string, lastUser: number): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000)
  const { rows: sessions } = await db.query<{ id: string, user_id: number }>(
    `INSERT INTO sessions (user_id, expires_at) SELECT n, now() + interval '1 day' FROM generate_series(2, $1::integer) AS n
     RETURNING id, user_id`, [lastUser])
  return sessions.map((session) => signToken(jwtSecret,
    { sub: String(session.user_id), role: 'user', sid: session.id, iat: now, exp: now + 86400 }))
}
