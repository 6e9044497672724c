// `make admin EMAIL=… [ROLE=user]` (or `npm run admin -- --email … [--role user]`): promotes an
// existing user to admin, or demotes one. The only way to get the first admin.
import { parseArgs } from 'node:util'
import { changeAccount } from '../accounts.js'
import { loadConfig, readDotEnv } from '../config.js'
import { openDatabase } from '../db/database.js'
import { tables } from '../db/tables.js'
import { failWith } from './fail.js'

try {
  readDotEnv()
  const config = loadConfig()
  const { values } = parseArgs({ options: { email: { type: 'string' }, role: { type: 'string', default: 'admin' } } })
  const { email, role } = values
  if (email === undefined || email === '') throw new Error('usage: make admin EMAIL=someone@example.com [ROLE=admin|user]')
  if (role !== 'admin' && role !== 'user') throw new Error(`ROLE must be admin or user, got '${role}'`)

  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir })
  try {
    const found = await tables(db).users.findByEmailWithHash(email)
    if (found === undefined) throw new Error(`no user with email ${email}: they must sign up first`)
    const { user } = found
    if (user.role === role) {
      process.stdout.write(`${user.email} (id ${user.id}) is already ${role === 'admin' ? 'an admin' : 'a user'}; nothing changed\n`)
    } else {
      await changeAccount(db, user.id, { role }, { actorId: null })
      process.stdout.write(`${user.email} (id ${user.id}) is now ${role === 'admin' ? 'an admin' : 'a user'} (was ${user.role})\n`)
    }
  } finally {
    await db.close()
  }
} catch (error) {
  failWith(error)
}
