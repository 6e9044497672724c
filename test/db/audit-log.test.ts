// The audit log's table takes exactly the kinds of entry the service writes.
import t from 'tap'
import { AUDIT_ACTIONS } from '../../src/schemas/audit.js'
import { tables } from '../../src/db/tables.js'
import { testDatabase } from '../helper.js'

const db = await testDatabase(t)
const { auditLog } = tables(db)

t.test('every action of AUDIT_ACTIONS is stored, and read back as written', async (t) => {
  for (const action of AUDIT_ACTIONS) await auditLog.record({ actorId: 1, action, targetId: 2, fields: ['email'] })
  const entries = await auditLog.page({ limit: 100 })
  t.same(entries.map((entry) => entry.action).reverse(), AUDIT_ACTIONS)
})

t.test('any other action is refused by the database, and nothing is stored', async (t) => {
  const before = (await auditLog.page({ limit: 100 })).length
  await t.rejects(db.query("INSERT INTO audit_log (actor_id, action, target_id) VALUES (1, 'user.raed', 2)"), { code: '23514' })
  t.equal((await auditLog.page({ limit: 100 })).length, before)
})
