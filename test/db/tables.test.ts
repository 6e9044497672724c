// Errors that are not the caller's doing pass through the table modules unchanged, for the
// error handler to answer 500 (a bug) or 503 (an outage).
import t from 'tap'
import type { Queryable } from '../../src/db/database.js'
import { tables } from '../../src/db/tables.js'
import { createDataCipher } from '../../src/db/data-cipher.js'

const failure = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })
const cipher = createDataCipher([{ id: 'k1', key: Buffer.alloc(32) }])
const failing: Queryable = { query: async () => { throw failure }, cipher }
const { users, geneticProfiles } = tables(failing)

t.test('users: only a duplicate email becomes a 409', async (t) => {
  await t.rejects(users.create({ email: 'ada@example.com', passwordHash: 'h', firstName: 'Ada', lastName: 'Lovelace', dob: '1990-04-17' }), failure)
  await t.rejects(users.update(1, { firstName: 'Ada' }), failure)
  const duplicate: Queryable = { query: async () => { throw Object.assign(new Error('duplicate key'), { code: '23505' }) } }
  await t.rejects(tables(duplicate).users.update(1, { email: 'taken@example.com' }), { statusCode: 409, message: 'an account with this email already exists' })
})

t.test('genetic profiles: only a missing user becomes a 404', async (t) => {
  await t.rejects(geneticProfiles.put(1, { policy: 'P-1', geneticResult: {} }, 2), failure)
})

t.test('a connection without keys neither reads nor writes health data', async (t) => {
  const noKeys: Queryable = { query: async () => ({ rows: [], rowCount: 0 }) }
  await t.rejects(tables(noKeys).geneticProfiles.put(1, { policy: 'P-1', geneticResult: {} }, 2),
    { message: 'this database connection has no data cipher (DATA_KEYS): it cannot read or write health data' })
})
