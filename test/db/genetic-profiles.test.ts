import t from 'tap'
import { withCipher } from '../../src/db/database.js'
import { tables } from '../../src/db/tables.js'
import { buildTestApp, resetData, signUp, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
t.beforeEach(async () => { await resetData(db) })
// The tables write health data sealed, so they need the cipher the app was given.
const { geneticProfiles } = tables(withCipher(db, app.dataCipher))

const version = async (id: number): Promise<number> =>
  (await db.query<{ version: number }>('SELECT version FROM genetic_profiles WHERE user_id = $1', [id])).rows[0].version

t.test('every rewrite of a profile counts a new version, whichever statement makes it', async (t) => {
  const { user } = await signUp(app)
  await geneticProfiles.put(user.id, { policy: 'P-1', geneticResult: {} }, user.id)
  t.equal(await version(user.id), 1)
  await geneticProfiles.put(user.id, { policy: 'P-1', geneticResult: {} }, user.id)
  t.equal(await version(user.id), 2, 'the same values written again are a new version too')
  await geneticProfiles.change(user.id, { policy: 'P-2' }, user.id)
  t.equal(await version(user.id), 3)
  await db.query("UPDATE genetic_profiles SET policy = 'P-3', policy_key_id = NULL WHERE user_id = $1", [user.id])
  t.equal(await version(user.id), 4, 'any other statement too')
  t.match(await geneticProfiles.findChange(user.id), { version: 4, updatedBy: { id: user.id, name: 'Ada Lovelace' } })
})

t.test('a profile for no user is refused', async (t) => {
  await t.rejects(geneticProfiles.put(424242, { policy: 'P-1', geneticResult: {} }, 1), { name: 'UserMissing', message: 'no user with id 424242' })
  t.equal(await geneticProfiles.findChange(424242), undefined)
  t.equal(await geneticProfiles.lockForWrite(424242), undefined)
})
