// `make rotate-keys` while the service serves: every value ends under the new key, no request
// fails meanwhile, and nothing written during the rotation is lost.
import t from 'tap'
import { keyReport, rotateKeys } from '../../src/accounts/key-rotation.js'
import { createDataCipher } from '../../src/db/data-cipher.js'
import { withCipher } from '../../src/db/database.js'
import { geneticProfileKeysTable } from '../../src/db/genetic-profile-keys.js'
import { runTask } from '../../src/cli/tasks.js'
import { auth, buildTestApp, resetData, signUpAdmin, TEST_SECRET, testDatabase } from '../helper.js'

const OLD = `old:${Buffer.alloc(32, 1).toString('base64')}`
const NEW = `new:${Buffer.alloc(32, 2).toString('base64')}`
const PROFILES = 40

const db = await testDatabase(t)
// The instance before the rotation (old key only) and after DATA_KEYS gained a new current key.
const before = await buildTestApp(t, db, { DATA_KEYS: OLD })
const after = await buildTestApp(t, db, { DATA_KEYS: `${NEW},${OLD}` })
t.beforeEach(async () => await resetData(db))

/** PROFILES verified users with genetic profiles under the old key, a few in plaintext as before encryption. */
async function seed (): Promise<{ adminToken: string, ids: number[] }> {
  const admin = await signUpAdmin(before, db)
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO users (email, email_folded, password_hash, first_name, last_name, dob, email_verified)
     SELECT 'p' || n || '@example.com', 'p' || n || '@example.com', 'x', 'P', 'Q', '1990-01-01', true FROM generate_series(1, $1) n
     RETURNING id`, [PROFILES])
  const ids = rows.map((row) => row.id)
  for (const id of ids.slice(0, 5)) {
    await db.query('INSERT INTO genetic_profiles (user_id, policy, genetic_result) VALUES ($1, $2, $3)', [id, `POL-${id}`, JSON.stringify({ n: id })])
  }
  for (const id of ids.slice(5)) {
    const response = await before.inject({ method: 'PUT', url: `/api/v1/users/${id}/genetics`, headers: auth(admin.token), payload: { genetic_result: { n: id }, policy: `POL-${id}` } })
    if (response.statusCode !== 200) throw new Error(response.body)
  }
  return { adminToken: admin.token, ids }
}

t.test('a rotation under concurrent reads and writes loses nothing and leaves every value under the new key', async (t) => {
  const { adminToken, ids } = await seed()
  const cipher = createDataCipher(after.config.dataKeys)
  t.equal(await keyReport(after.db, cipher), '10 values under plaintext (stored before encryption, or decrypted): `make rotate-keys` encrypts them\n' +
    '70 values under key old (old: keep it in DATA_KEYS until `make rotate-keys` has moved them)')

  // After each batch, while the next is under way, a read and a write of profiles of that batch and beyond.
  const requests: Array<Promise<{ statusCode: number, url: string }>> = []
  const written = new Map<number, number>()
  let batches = 0
  const progress: Array<[number, number]> = []
  const outcome = await rotateKeys(after.db, cipher, {
    batchSize: 7,
    jwtSecret: TEST_SECRET,
    onProgress: (done, total) => {
      progress.push([done, total])
      const id = ids[(batches * 7) % ids.length]
      const writtenId = ids[(batches * 7 + 3) % ids.length]
      batches += 1
      written.set(writtenId, batches)
      const read = `GET /api/v1/users/${id}`
      const write = `PUT /api/v1/users/${writtenId}/genetics`
      requests.push(after.inject({ url: `/api/v1/users/${id}`, headers: auth(adminToken) }).then((r) => ({ statusCode: r.statusCode, url: read })))
      requests.push(after.inject({ method: 'PUT', url: `/api/v1/users/${writtenId}/genetics`, headers: auth(adminToken), payload: { genetic_result: { n: writtenId, write: batches }, policy: `POL-${writtenId}` } })
        .then((r) => ({ statusCode: r.statusCode, url: write })))
    }
  })
  const answers = await Promise.all(requests)
  t.ok(answers.length >= 10, 'requests were served during the rotation')
  t.same(answers.filter((answer) => answer.statusCode !== 200), [], 'none failed')
  t.equal(outcome.keyId, 'new')
  t.ok(outcome.profiles >= PROFILES, 'every profile was rewritten')
  t.same(progress[0], [7, PROFILES], 'progress: done of total')

  t.same(await geneticProfileKeysTable(db).countByKey(), [{ key_id: 'new', values: 2 * PROFILES }], 'every value is under the new key')
  const onlyNew = await buildTestApp(t, db, { DATA_KEYS: NEW })
  for (const id of ids) {
    const response = await onlyNew.inject({ url: `/api/v1/users/${id}`, headers: auth(adminToken) })
    t.equal(response.statusCode, 200)
    const expected = written.has(id) ? { n: id, write: written.get(id) } : { n: id }
    if (!t.same(response.json().genetic_result, expected, `user ${id}`) || response.json().policy !== `POL-${id}`) break
  }
  t.match(await runTask(onlyNew.db, { task: 'rotate-keys', check: true, batchSize: 10 }, () => {}, TEST_SECRET), /^80 values under key new \(current\)$/, 'the old key can go')
})

t.test('resumable: stopped after a batch, run again, it finishes; and DECRYPT=1 makes every value plaintext again', async (t) => {
  await seed()
  const cipher = createDataCipher(after.config.dataKeys)
  await t.rejects(rotateKeys(after.db, cipher, { batchSize: 10, jwtSecret: TEST_SECRET, onProgress: () => { throw new Error('stopped') } }), { message: 'stopped' })
  t.same(await geneticProfileKeysTable(db).countNotUnder('new'), PROFILES - 10, 'the first batch is committed')
  const lines: string[] = []
  t.match(await runTask(after.db, { task: 'rotate-keys', batchSize: 100 }, (line) => lines.push(line), TEST_SECRET), /^30 profiles and 0 TOTP secrets rewritten; every value is now under key new\n80 values under key new \(current\)$/)
  t.same(lines, ['30 of 30 profiles under key new'])

  t.match(await runTask(after.db, { task: 'rotate-keys', decrypt: true, batchSize: 100 }, () => {}, TEST_SECRET), /^40 profiles rewritten; every health value is now plaintext \(TOTP secrets stay encrypted\)\n80 values under plaintext/)
  const { rows } = await db.query<{ policy: string }>('SELECT policy FROM genetic_profiles ORDER BY user_id LIMIT 1')
  t.match(rows[0].policy, /^POL-\d+$/)
  t.equal(await runTask(after.db, { task: 'rotate-keys', decrypt: true, batchSize: 100 }, () => {}, TEST_SECRET),
    '0 profiles rewritten; every health value is now plaintext (TOTP secrets stay encrypted)\n80 values under plaintext (stored before encryption, or decrypted): `make rotate-keys` encrypts them',
    'nothing to do the second time')
})

t.test('the report names a key DATA_KEYS no longer holds, and says when nothing is stored', async (t) => {
  const cipher = createDataCipher(after.config.dataKeys)
  t.equal(await keyReport(after.db, cipher), 'no health data is stored')
  await seed()
  const onlyNew = createDataCipher([{ id: 'new', key: Buffer.alloc(32, 2) }])
  t.match(await keyReport(withCipher(db, onlyNew), onlyNew), /^10 values under plaintext .*\n70 values under key old, which DATA_KEYS does not hold: these cannot be read until it is back$/)
  await t.rejects(rotateKeys(withCipher(db, onlyNew), onlyNew, { batchSize: 100, jwtSecret: TEST_SECRET }), { name: 'SealedDataError', problem: 'unknown key' }, 'the rotation stops rather than lose them')
  t.equal(await geneticProfileKeysTable(db).countNotUnder('new'), PROFILES, 'and its batch is rolled back')
})

t.test('a profile with one value only, or with one value already under the new key, keeps that value as it is', async (t) => {
  const admin = await signUpAdmin(before, db)
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO users (email, email_folded, password_hash, first_name, last_name, dob, email_verified)
     VALUES ('one@example.com', 'one@example.com', 'x', 'P', 'Q', '1990-01-01', true),
            ('half@example.com', 'half@example.com', 'x', 'P', 'Q', '1990-01-01', true) RETURNING id`)
  const [one, half] = rows.map((row) => row.id)
  const patch = async (app: typeof before, id: number, payload: Record<string, unknown>): Promise<void> => {
    const response = await app.inject({ method: 'PATCH', url: `/api/v1/users/${id}/genetics`, headers: auth(admin.token), payload })
    if (response.statusCode !== 200) throw new Error(response.body)
  }
  await patch(before, one, { policy: 'POL-ONE' })
  await patch(before, half, { policy: 'POL-HALF', genetic_result: { n: 1 } })
  await patch(after, half, { policy: 'POL-HALF-2' })
  const stored = async (): Promise<unknown[]> => (await db.query(
    'SELECT user_id, policy, policy_key_id, genetic_result, genetic_result_key_id FROM genetic_profiles ORDER BY user_id')).rows
  const [, halfBefore] = await stored() as Array<{ policy: string }>

  const cipher = createDataCipher(after.config.dataKeys)
  t.equal(await keyReport(after.db, cipher),
    '1 value under key new (current)\n2 values under key old (old: keep it in DATA_KEYS until `make rotate-keys` has moved them)')
  t.same(await rotateKeys(after.db, cipher, { batchSize: 10, jwtSecret: TEST_SECRET }), { profiles: 2, totpSecrets: 0, keyId: 'new' })
  const [oneAfter, halfAfter] = await stored() as Array<Record<string, unknown>>
  t.match(oneAfter, { user_id: one, policy_key_id: 'new', genetic_result: null, genetic_result_key_id: null }, 'no genetic result appears')
  t.match(halfAfter, { user_id: half, policy: halfBefore.policy, policy_key_id: 'new', genetic_result_key_id: 'new' }, 'the policy already under the new key is not sealed again')
  t.equal(await keyReport(after.db, cipher), '3 values under key new (current)')
  const read = await after.inject({ url: `/api/v1/users/${half}`, headers: auth(admin.token) })
  t.match(read.json(), { policy: 'POL-HALF-2', genetic_result: { n: 1 } })
  t.equal((await after.inject({ url: `/api/v1/users/${one}`, headers: auth(admin.token) })).json().policy, 'POL-ONE')
})
