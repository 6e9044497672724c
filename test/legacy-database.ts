// The old service's database, made for a test on the suite's PostgreSQL server: the exact table
// its one Alembic migration made, and rows of every kind it let in.
import bcrypt from 'bcrypt'
import pg from 'pg'
import type { Test } from './helper.js'
import { emptyPostgresDatabase } from './support.js'

export const LEGACY_DDL = `CREATE TABLE "user" (
  id SERIAL NOT NULL,
  first_name VARCHAR(128) NOT NULL,
  last_name VARCHAR(128) NOT NULL,
  dob DATE NOT NULL,
  email VARCHAR(128) NOT NULL,
  password VARCHAR(128) NOT NULL,
  created_at TIMESTAMP WITHOUT TIME ZONE,
  modified_at TIMESTAMP WITHOUT TIME ZONE,
  policy VARCHAR(128),
  genetic_result JSON,
  PRIMARY KEY (id),
  UNIQUE (email)
)`

export interface LegacyRow {
  id: number
  first_name: string
  last_name: string
  dob: string
  email: string
  password: string
  created_at: string | null
  modified_at: string | null
  policy: string | null
  /** JSON text, as the old service stored it. */
  genetic_result: string | null
}

/** The passwords of the rows, each hashed by the old service (Flask-Bcrypt, 10 rounds). */
export const OLD_PASSWORDS = { ada: 'ada-old-password-1', grace: 'grace-old-password-2', weak: 'password' }

export interface LegacyDatabase {
  url: string
  client: pg.Client
  rows: LegacyRow[]
  /** Hashes at 10 rounds: $2b$ as Flask-Bcrypt makes them, and the same hash spelt $2a$ and $2y$. */
  hashes: { b: string, a: string, y: string, weak: string }
  insert: (rows: LegacyRow[]) => Promise<void>
}

const hashOnce = {
  b: bcrypt.hash(OLD_PASSWORDS.ada, 10),
  grace: bcrypt.hash(OLD_PASSWORDS.grace, 10),
  weak: bcrypt.hash(OLD_PASSWORDS.weak, 10)
}

export async function legacyDatabase (t: Test): Promise<LegacyDatabase> {
  const url = await emptyPostgresDatabase(t)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  t.teardown(async () => await client.end())
  await client.query(LEGACY_DDL)
  const b = await hashOnce.b
  const grace = await hashOnce.grace
  const hashes = { b, a: `$2a$${grace.slice(4)}`, y: `$2y$${b.slice(4)}`, weak: await hashOnce.weak }
  const row = (id: number, fields: Partial<LegacyRow>): LegacyRow => ({
    id,
    first_name: 'Old',
    last_name: `Customer${id}`,
    dob: '1970-01-01',
    email: `customer${id}@example.org`,
    password: hashes.b,
    created_at: '2019-03-04 05:06:07.123456',
    modified_at: '2020-01-02 03:04:05',
    policy: null,
    genetic_result: null,
    ...fields
  })
  const rows = [
    row(1, { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.org', policy: 'POL-1', genetic_result: '{"BRCA1": "negative", "APOE": "e3/e3"}' }),
    row(2, { first_name: '  Grace ', last_name: ' Hopper  ', email: 'grace@example.org', password: hashes.a, created_at: null }),
    row(3, { email: 'y@example.org', password: hashes.y, created_at: null, modified_at: null, policy: 'POL-3' }),
    row(4, { email: 'Bob@x.org' }),
    row(5, { email: 'bob@x.org' }),
    row(6, { genetic_result: '[1, 2]' }),
    row(7, { genetic_result: '"positive"' }),
    row(8, { genetic_result: '42' }),
    row(9, { genetic_result: 'null' }),
    row(10, { dob: '1899-12-31' }),
    row(11, { first_name: '1234' }),
    row(12, { email: 'not-an-email' }),
    row(13, { email: 'weak@example.org', password: hashes.weak }),
    // Valid JSON that jsonb used to refuse: refused before it is sealed, as the API refuses it.
    row(14, { genetic_result: '{"note": "\\u0000"}' }),
    row(15, { policy: ' POL-15 ' }),
    row(16, { modified_at: null, genetic_result: '{"MTHFR": "C677T"}' }),
    // A number jsonb cannot hold: refused before it is sealed too.
    row(17, { genetic_result: '{"a": 1e1000000}' }),
    row(40, { email: 'last@example.org' })
  ]
  const insert = async (more: LegacyRow[]): Promise<void> => {
    for (const r of more) {
      await client.query(
        `INSERT INTO "user" (id, first_name, last_name, dob, email, password, created_at, modified_at, policy, genetic_result)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [r.id, r.first_name, r.last_name, r.dob, r.email, r.password, r.created_at, r.modified_at, r.policy, r.genetic_result])
    }
  }
  await insert(rows)
  return { url, client, rows, hashes, insert }
}

/** The conflicts the rows above make, by old id. */
export const EXPECTED_CONFLICTS = [
  { oldId: 4, reason: 'email is the same but for case as that of old id 5' },
  { oldId: 5, reason: 'email is the same but for case as that of old id 4' },
  { oldId: 6, reason: 'genetic_result is an array, not a JSON object' },
  { oldId: 7, reason: 'genetic_result is a string, not a JSON object' },
  { oldId: 8, reason: 'genetic_result is a number, not a JSON object' },
  { oldId: 9, reason: 'genetic_result is null, not a JSON object' },
  { oldId: 10, reason: 'dob must be on or after 1900-01-01' },
  { oldId: 11, reason: 'first_name must contain at least one letter' },
  { oldId: 12, reason: 'email must be a valid email address' },
  { oldId: 14, reason: 'a value holds a character PostgreSQL cannot store (\\u0000)' },
  { oldId: 15, reason: 'policy must be 1 to 128 printable ASCII characters, not starting or ending with a space' },
  { oldId: 17, reason: 'genetic_result/a is a number too large to be carried exactly (beyond ±1.8e308): send it as a string' }
]
