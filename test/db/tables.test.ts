// The table modules say what went wrong in the domain's words (src/db/errors.ts) when it is the
// caller's doing, and pass every other error through unchanged, for the error handler to answer
// 500 (a bug) or 503 (an outage).
import t from 'tap'
import type { Queryable } from '../../src/db/database.js'
import { EmailTaken, UserMissing } from '../../src/db/errors.js'
import { tables } from '../../src/db/tables.js'
import { createDataCipher } from '../../src/db/data-cipher.js'

const failure = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })
const cipher = createDataCipher([{ id: 'k1', key: Buffer.alloc(32) }])
const failing: Queryable = { query: async () => { throw failure }, cipher }
const { users, geneticProfiles } = tables(failing)
const refusing = (code: string): Queryable => ({ query: async () => { throw Object.assign(new Error(`error ${code}`), { code }) }, cipher })

t.test('users: a duplicate email is EmailTaken, anything else passes through', async (t) => {
  await t.rejects(users.create({ email: 'ada@example.com', passwordHash: 'h', firstName: 'Ada', lastName: 'Lovelace', dob: '1990-04-17' }), failure)
  await t.rejects(users.update(1, { firstName: 'Ada' }), failure)
  await t.rejects(users.confirmEmail(1, 'ada@example.com'), failure)
  const duplicate = tables(refusing('23505')).users
  await t.rejects(duplicate.update(1, { email: 'taken@example.com' }), new EmailTaken())
  // The address was free when the link was mailed, and taken by another account since.
  await t.rejects(duplicate.confirmEmail(1, 'taken@example.com'), new EmailTaken())
})

t.test('genetic profiles: a missing user is UserMissing, anything else passes through', async (t) => {
  await t.rejects(geneticProfiles.put(1, { policy: 'P-1', geneticResult: {} }, 2), failure)
  await t.rejects(tables(refusing('23503')).geneticProfiles.put(7, { policy: 'P-1', geneticResult: {} }, 2), new UserMissing(7))
})

t.test('a connection without keys neither reads nor writes health data', async (t) => {
  const noKeys: Queryable = { query: async () => ({ rows: [], rowCount: 0 }) }
  await t.rejects(tables(noKeys).geneticProfiles.put(1, { policy: 'P-1', geneticResult: {} }, 2),
    { message: 'this database connection has no data cipher (DATA_KEYS): it cannot read or write health data' })
})
