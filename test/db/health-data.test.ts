// Health data at rest: what a dump of the database shows, and what happens to a value moved to
// another user's row, or whose key is gone.
import t from 'tap'
import { auth, buildTestApp, resetData, signUp, signUpAdmin, testDatabase } from '../helper.js'
import { captureLogs } from '../support.js'
import type { Database } from '../../src/db/database.js'
import type { FastifyInstance } from 'fastify'

const db = await testDatabase(t)
const logs = captureLogs()
const app = await buildTestApp(t, db, {}, { logger: logs.logger })
t.beforeEach(async () => await resetData(db))

const POLICY = 'POL-DISTINCTIVE-884213'
const MARKER = 'rs-distinctive-771234'
const GENETICS = { genetic_result: { marker: MARKER, BRCA1: 'negative-distinctive-5512' }, policy: POLICY }

async function withGenetics (app: FastifyInstance, db: Database, adminToken: string, id: number, body: Record<string, unknown> = GENETICS): Promise<void> {
  await db.query('UPDATE users SET email_verified = true WHERE id = $1', [id])
  const response = await app.inject({ method: 'PUT', url: `/api/v1/users/${id}/genetics`, headers: auth(adminToken), payload: body })
  t.equal(response.statusCode, 200, 'the admin attached the results')
}

/** Every text, JSON and array value of every table, as text. */
async function everyValue (db: Database): Promise<string> {
  const { rows: columns } = await db.query<{ table_name: string, column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY')`)
  t.ok(columns.some((column) => column.table_name === 'genetic_profiles' && column.column_name === 'genetic_result'), 'the scan covers the health data')
  const values: string[] = []
  for (const { table_name: table, column_name: column } of columns) {
    const { rows } = await db.query<{ value: string | null }>(`SELECT ${column}::text AS value FROM ${table}`)
    for (const row of rows) if (row.value !== null) values.push(row.value)
  }
  return values.join('\n')
}

t.test('a dump of every table holds none of the health data, which the customer still reads in clear', async (t) => {
  const admin = await signUpAdmin(app, db)
  const user = await signUp(app)
  await withGenetics(app, db, admin.token, user.user.id)
  const me = await app.inject({ url: '/api/v1/users/me', headers: auth(user.token) })
  t.same(me.json().genetic_result, GENETICS.genetic_result)
  t.equal(me.json().policy, POLICY)
  t.equal((await app.inject({ url: `/api/v1/users/${user.user.id}`, headers: auth(admin.token) })).json().policy, POLICY, 'and the admin')
  const { rows } = await db.query<{ policy_key_id: string, genetic_result_key_id: string }>('SELECT policy_key_id, genetic_result_key_id FROM genetic_profiles')
  t.same(rows, [{ policy_key_id: 'test1', genetic_result_key_id: 'test1' }], 'each value names its key')

  const dump = await everyValue(db)
  for (const distinctive of [POLICY, MARKER, 'negative-distinctive-5512', 'distinctive']) t.notOk(dump.includes(distinctive), `no ${distinctive} in the dump`)
  t.notOk(JSON.stringify(logs.lines).includes('distinctive'), 'nor in the logs')
})

t.test('two encryptions of one value differ: a random nonce each', async (t) => {
  t.not(app.dataCipher.encrypt(POLICY, 1), app.dataCipher.encrypt(POLICY, 1))
  t.equal(app.dataCipher.keyIdOf(app.dataCipher.encrypt(POLICY, 1)), 'test1')
  t.equal(app.dataCipher.keyIdOf(POLICY), undefined, 'plaintext names no key')
})

t.test('a ciphertext copied into another user\'s row is never shown: 409, and an integrity error logged without the data', async (t) => {
  const admin = await signUpAdmin(app, db)
  const alice = await signUp(app)
  const bob = await signUp(app)
  await withGenetics(app, db, admin.token, alice.user.id)
  await withGenetics(app, db, admin.token, bob.user.id, { genetic_result: { marker: 'bob' }, policy: 'POL-BOB' })
  await db.query(`UPDATE genetic_profiles b SET genetic_result = a.genetic_result, policy = a.policy
                    FROM genetic_profiles a WHERE a.user_id = $1 AND b.user_id = $2`, [alice.user.id, bob.user.id])

  for (const [url, token] of [['/api/v1/users/me', bob.token], [`/api/v1/users/${bob.user.id}`, admin.token], ['/api/v1/users/me/export', bob.token]]) {
    const response = await app.inject({ url, headers: auth(token) })
    t.equal(response.statusCode, 409, url)
    t.same(response.json(), {
      statusCode: 409,
      error: 'Conflict',
      message: 'the stored health data of this account failed its integrity check and is withheld; this has been logged: contact support'
    })
    t.notOk(response.body.includes('distinctive'), 'never Alice\'s data')
  }
  const logged = logs.lines.filter((line) => line.msg === 'health data integrity error')
  t.ok(logged.length >= 3)
  t.match(logged[0], { level: 50, userId: bob.user.id, keyId: 'test1', problem: 'integrity' })
  t.notOk(JSON.stringify(logs.lines).includes('distinctive'), 'the log holds no data')
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(alice.token) })).json().policy, POLICY, 'Alice reads hers as ever')

  await db.query("UPDATE genetic_profiles SET policy = 'v1:test1:AAAA' WHERE user_id = $1", [alice.user.id])
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(alice.token) })).statusCode, 409, 'a truncated value too')
  await db.query("UPDATE genetic_profiles SET policy = 'not sealed' WHERE user_id = $1", [alice.user.id])
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(alice.token) })).statusCode, 409, 'and a value that is no ciphertext under a key id')
})

t.test('a value whose key was taken out of DATA_KEYS is a 503, not the data nor a 500', async (t) => {
  const admin = await signUpAdmin(app, db)
  const user = await signUp(app)
  await withGenetics(app, db, admin.token, user.user.id)
  const other = await buildTestApp(t, db, { DATA_KEYS: `other:${Buffer.alloc(32, 9).toString('base64')}` })
  const response = await other.inject({ url: '/api/v1/users/me', headers: auth(user.token) })
  t.equal(response.statusCode, 503)
  t.equal(response.headers['retry-after'], '60')
  t.equal(response.json().message, 'the health data of this account cannot be decrypted right now; try again later')
})

t.test('values stored before encryption (no key id) are read as they are', async (t) => {
  const user = await signUp(app)
  await db.query('INSERT INTO genetic_profiles (user_id, policy, genetic_result) VALUES ($1, $2, $3)', [user.user.id, 'POL-OLD', '{"APOE": "e3/e3"}'])
  const me = (await app.inject({ url: '/api/v1/users/me', headers: auth(user.token) })).json()
  t.same([me.policy, me.genetic_result], ['POL-OLD', { APOE: 'e3/e3' }])
})
