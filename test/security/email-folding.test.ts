// One folding of emails everywhere: the account lookup, the unique index and the lockout key
// agree on which spellings are one account, so no spelling gets a second lockout counter for it.
import t from 'tap'
import { migrate } from '../../src/db/migrations.js'
import { auth, buildTestApp, PASSWORD, resetData, signUp, signUpAdmin, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
t.beforeEach(async () => { await resetData(db) })

const login = async (email: string, password: string): Promise<number> =>
  (await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email, password } })).statusCode

const KELVIN = '\u212A' // looks like K, folds to k under NFKC
const DOTTED_I = '\u0130' // İ, which PostgreSQL's lower() makes into i under most locales

t.test('a dotted capital I is another account, not a way around the lockout of kim@', async (t) => {
  await signUp(app, { email: 'kim@example.com' })
  for (let i = 0; i < 3; i++) t.equal(await login('kim@example.com', 'wrong-password'), 401)
  t.equal(await login('kim@example.com', PASSWORD), 429)
  t.equal(await login(`k${DOTTED_I}m@example.com`, PASSWORD), 401, 'no account has that spelling: the right password does not log in')
})

t.test('spellings that fold to the account share its one counter', async (t) => {
  await signUp(app, { email: 'kim@example.com' })
  for (const email of [`${KELVIN}im@example.com`, 'ｋｉｍ@ｅｘａｍｐｌｅ．ｃｏｍ', 'KiM@Example.COM']) {
    t.equal(await login(email, 'wrong-password'), 401, email)
  }
  for (const email of ['kim@example.com', `${KELVIN}IM@EXAMPLE.COM`, 'ＫＩＭ@example.com']) {
    t.equal(await login(email, PASSWORD), 429, `${email}: locked like the others`)
  }
})

t.test('each spelling of an account logs in to that account', async (t) => {
  const { user } = await signUp(app, { email: 'Kim@Example.com' })
  for (const email of [`${KELVIN}im@example.com`, 'ｋｉｍ@example.com', 'KIM@EXAMPLE.COM']) {
    const response = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email, password: PASSWORD } })
    t.equal(response.statusCode, 200, email)
    t.equal(response.json().user.id, user.id)
  }
  const { rows } = await db.query('SELECT email, email_folded FROM users')
  t.same(rows, [{ email: 'Kim@Example.com', email_folded: 'kim@example.com' }], 'the email as given, and its folded form')
})

t.test('guesses with four dotted and undotted I\'s are counted as one account\'s, or refused', async (t) => {
  await signUp(app, { email: 'iiii@example.com' })
  // The i's of this address, each in both cases: before, every spelling was a counter of its own.
  const spellings = ['IIII', 'Iiii', 'iIii', 'iiIi', 'iiiI', 'ｉiii', 'IＩii'].map((local) => `${local}@example.com`)
  const seen = []
  for (const email of spellings) seen.push(await login(email, 'wrong-password'))
  t.same(seen, [401, 401, 401, 429, 429, 429, 429])
  const dotted = ['İiii', 'iİii', 'iiİi', 'iiiİ', 'İİİİ'].map((local) => `${local}@example.com`)
  for (const email of dotted) t.equal(await login(email, PASSWORD), 401, `${email} is not iiii@`)
})

t.test('the folded form follows an email change, and keeps the address unique', async (t) => {
  const { token, user } = await signUp(app, { email: 'kim@example.com' })
  await signUp(app, { email: 'lee@example.com' })
  const taken = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(token), payload: { email: 'LEE@example.com', current_password: PASSWORD } })
  t.equal(taken.statusCode, 409)
  // A customer's own change waits for the new address's link (test/routes/email.test.ts); an admin's is at once.
  const admin = await signUpAdmin(app, db, { email: 'admin@example.com' })
  const moved = await app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: auth(admin.token), payload: { email: 'Kim.Park@example.com' } })
  t.equal(moved.statusCode, 200)
  t.equal(await login(`${KELVIN}im.park@example.com`, PASSWORD), 200)
  t.equal(await login('kim@example.com', PASSWORD), 401)
  const { rows } = await db.query("SELECT email_folded FROM users WHERE email = 'Kim.Park@example.com'")
  t.same(rows, [{ email_folded: 'kim.park@example.com' }])
})

t.test('migration 007 folds the emails already stored, and refuses ones it cannot fold', async (t) => {
  const scratch = await testDatabase(t)
  await migrate(scratch, 6)
  await scratch.query(`INSERT INTO users (email, password_hash, first_name, last_name, dob)
    VALUES ('Ada.IRIS@Example.COM', 'x', 'Ada', 'Iris', '1990-01-01'), ('grace@example.com', 'x', 'Grace', 'Hopper', '1990-01-01')`)
  t.same(await migrate(scratch, 7), { from: 6, to: 7 })
  const { rows } = await scratch.query('SELECT email, email_folded FROM users ORDER BY id')
  t.same(rows, [
    { email: 'Ada.IRIS@Example.COM', email_folded: 'ada.iris@example.com' },
    { email: 'grace@example.com', email_folded: 'grace@example.com' }
  ])
  await t.rejects(scratch.query(`INSERT INTO users (email, email_folded, password_hash, first_name, last_name, dob)
    VALUES ('ADA.iris@example.com', 'ada.iris@example.com', 'x', 'A', 'I', '1990-01-01')`), { code: '23505' }, 'one account per folded email')

  await migrate(scratch, 6)
  await scratch.query(`INSERT INTO users (email, password_hash, first_name, last_name, dob)
    VALUES ('k${DOTTED_I}m@example.com', 'x', 'Kim', 'Park', '1990-01-01')`)
  await t.rejects(migrate(scratch), /non-ASCII addresses/)
  const columns = await scratch.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email_folded'")
  t.same(columns.rows, [], 'and nothing was changed')
  t.same((await scratch.query('SELECT count(*)::integer AS n FROM users')).rows, [{ n: 3 }])
})
