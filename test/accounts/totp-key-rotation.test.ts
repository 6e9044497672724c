// `make rotate-keys` and the TOTP secrets: those sealed with the key from JWT_SECRET (before
// DATA_KEYS covered them) and those under an older key of DATA_KEYS end under the current key,
// in batches, resumably, while their owners log in; `CHECK=1` counts them.
import t from 'tap'
import { generateSecret, generateSync } from 'otplib'
import type { FastifyInstance } from 'fastify'
import { keyReport, rotateKeys } from '../../src/accounts/key-rotation.js'
import { sealJwtDerived } from '../../src/accounts/jwt-derived-totp-secrets.js'
import { createDataCipher } from '../../src/db/data-cipher.js'
import { withCipher } from '../../src/db/database.js'
import { totpFactorKeysTable } from '../../src/db/totp-factor-keys.js'
import { runTask } from '../../src/cli/tasks.js'
import { buildTestApp, PASSWORD, resetData, signUp, TEST_SECRET, testDatabase } from '../helper.js'

const OLD = `old:${Buffer.alloc(32, 1).toString('base64')}`
const NEW = `new:${Buffer.alloc(32, 2).toString('base64')}`
/** Factors of the old format, and under the old key, besides Ada's (old format). */
const JWT_DERIVED_ROWS = 5
const OLD_KEY_ROWS = 6
const FACTORS = 1 + JWT_DERIVED_ROWS + OLD_KEY_ROWS

const db = await testDatabase(t)
let now = Date.now()
const before = await buildTestApp(t, db, { DATA_KEYS: OLD }, { clock: () => now })
const after = await buildTestApp(t, db, { DATA_KEYS: `${NEW},${OLD}` }, { clock: () => now })
const cipher = createDataCipher(after.config.dataKeys)
t.beforeEach(async () => await resetData(db))

const JWT_DERIVED_LINE = 'TOTP secrets under jwt-derived (a key from JWT_SECRET, before DATA_KEYS covered them): `make rotate-keys` moves them'
const OLD_KEY_LINE = 'TOTP secrets under key old (old: keep it in DATA_KEYS until `make rotate-keys` has moved them)'

/** Ada (a TOTP factor of the old format, on), then FACTORS - 1 more users with factors: the old format first, then the old key. */
async function seed (): Promise<{ ada: { id: number, email: string, secret: string }, secrets: Map<number, string> }> {
  const { user } = await signUp(before, { email: 'ada@example.com' })
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO users (email, email_folded, password_hash, first_name, last_name, dob, mfa_enabled)
     SELECT 't' || n || '@example.com', 't' || n || '@example.com', 'x', 'T', 'Q', '1990-01-01', true FROM generate_series(1, $1) n
     RETURNING id`, [FACTORS - 1])
  const secrets = new Map<number, string>()
  for (const [index, id] of [user.id, ...rows.map((row) => row.id)].entries()) {
    const secret = generateSecret()
    secrets.set(id, secret)
    const stored = index <= JWT_DERIVED_ROWS ? sealJwtDerived(TEST_SECRET, secret, id) : before.dataCipher.encrypt(secret, id)
    await db.query('INSERT INTO totp_factors (user_id, secret, confirmed_at) VALUES ($1, $2, now())', [id, stored])
  }
  await db.query('UPDATE users SET mfa_enabled = true WHERE id = $1', [user.id])
  return { ada: { id: user.id, email: 'ada@example.com', secret: secrets.get(user.id) as string }, secrets }
}

/** Password then code, at the test's clock, a period later each time (a code works once); the status of the second step. */
async function logIn (app: FastifyInstance, email: string, secret: string): Promise<number> {
  now += 30_000
  const first = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email, password: PASSWORD } })
  const second = await app.inject({
    method: 'POST', url: '/api/v1/users/login/mfa', payload: { mfa_token: first.json().mfa_token, code: generateSync({ secret, epoch: Math.floor(now / 1000) }) }
  })
  return second.statusCode
}

const storedSecrets = async (): Promise<Array<{ user_id: number, secret: string }>> =>
  (await db.query<{ user_id: number, secret: string }>('SELECT user_id, secret FROM totp_factors ORDER BY user_id')).rows

t.test('the old format and the old key end under the current key, with logins served meanwhile; CHECK=1 counts them', async (t) => {
  const { ada, secrets } = await seed()
  t.equal(await keyReport(after.db, cipher), `no health data is stored\n${1 + JWT_DERIVED_ROWS} ${JWT_DERIVED_LINE}\n${OLD_KEY_ROWS} ${OLD_KEY_LINE}`)
  t.equal(await logIn(before, ada.email, ada.secret), 200, 'the old format logs in')

  // One after another (each a period later than the last), while the next batches run.
  let logins = Promise.resolve<number[]>([])
  const progress: Array<[number, number, string]> = []
  const outcome = await rotateKeys(after.db, cipher, {
    batchSize: 5,
    jwtSecret: TEST_SECRET,
    onProgress: (done, total, rows) => {
      progress.push([done, total, rows])
      logins = logins.then(async (statuses) => [...statuses, await logIn(after, ada.email, ada.secret)])
    }
  })
  t.same(outcome, { profiles: 0, totpSecrets: FACTORS, keyId: 'new' })
  t.same(progress, [[5, FACTORS, 'TOTP secrets'], [10, FACTORS, 'TOTP secrets'], [FACTORS, FACTORS, 'TOTP secrets']])
  t.same(await logins, [200, 200, 200], 'logins during the rotation')

  const stored = await storedSecrets()
  t.equal(stored.length, FACTORS)
  for (const { user_id: id, secret } of stored) {
    if (!t.match(secret, /^v1:new:/, `user ${id}`) || !t.equal(cipher.decrypt(secret, id), secrets.get(id))) break
  }
  t.equal(await keyReport(after.db, cipher), `no health data is stored\n${FACTORS} TOTP secrets under key new (current)`)
  const onlyNew = await buildTestApp(t, db, { DATA_KEYS: NEW, JWT_SECRET: `${TEST_SECRET}-replaced` }, { clock: () => now })
  t.equal(await logIn(onlyNew, ada.email, ada.secret), 200, 'logs in without the old key and without the old JWT_SECRET')
  t.equal(await runTask(onlyNew.db, { task: 'rotate-keys', batchSize: 100 }, () => {}, TEST_SECRET),
    `0 profiles and 0 TOTP secrets rewritten; every value is now under key new\nno health data is stored\n${FACTORS} TOTP secrets under key new (current)`,
    'nothing to do the second time')
})

t.test('resumable: stopped after a batch, run again, it finishes; DECRYPT=1 leaves TOTP secrets as they are', async (t) => {
  const { ada } = await seed()
  const untouched = await storedSecrets()
  t.match(await runTask(after.db, { task: 'rotate-keys', decrypt: true, batchSize: 100 }, () => {}, TEST_SECRET),
    /^0 profiles rewritten; every health value is now plaintext \(TOTP secrets stay encrypted\)\nno health data is stored\n6 TOTP secrets under jwt-derived/)
  t.same(await storedSecrets(), untouched, 'never made plaintext, nor re-sealed')

  await t.rejects(rotateKeys(after.db, cipher, { batchSize: 4, jwtSecret: TEST_SECRET, onProgress: () => { throw new Error('stopped') } }), { message: 'stopped' })
  t.equal(await totpFactorKeysTable(db).countNotUnder('new'), FACTORS - 4, 'the first batch is committed')
  const lines: string[] = []
  t.equal(await runTask(after.db, { task: 'rotate-keys', batchSize: 100 }, (line) => lines.push(line), TEST_SECRET),
    `0 profiles and ${FACTORS - 4} TOTP secrets rewritten; every value is now under key new\nno health data is stored\n${FACTORS} TOTP secrets under key new (current)`)
  t.same(lines, [`${FACTORS - 4} of ${FACTORS - 4} TOTP secrets under key new`])
  t.equal(await logIn(after, ada.email, ada.secret), 200)
})

t.test('a TOTP secret that does not open stops the rotation, its batch rolled back, and the report names its key', async (t) => {
  await seed()
  const onlyNew = createDataCipher([{ id: 'new', key: Buffer.alloc(32, 2) }])
  t.match(await keyReport(withCipher(db, onlyNew), onlyNew), new RegExp(`\n${OLD_KEY_ROWS} TOTP secrets under key old, which DATA_KEYS does not hold: these cannot be read until it is back$`))
  await t.rejects(rotateKeys(withCipher(db, onlyNew), onlyNew, { batchSize: 100, jwtSecret: TEST_SECRET }), { name: 'SealedDataError', problem: 'unknown key', keyId: 'old' })
  t.equal(await totpFactorKeysTable(db).countNotUnder('new'), FACTORS, 'nothing was lost')
  await t.rejects(rotateKeys(after.db, cipher, { batchSize: 100, jwtSecret: `${TEST_SECRET}-replaced` }),
    { name: 'SealedDataError', problem: 'integrity', keyId: 'jwt-derived' }, 'nor under a JWT_SECRET other than the one that sealed them')
  t.equal(await totpFactorKeysTable(db).countNotUnder('new'), FACTORS)
})
