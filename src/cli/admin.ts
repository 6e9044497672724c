// `make admin EMAIL=… [ROLE=user]` (or `npm run admin -- --email … [--role user]`): promotes an
// existing user to admin, or demotes one. The only way to get the first admin. While a server
// holds the embedded database, the server makes the change (control-socket.ts); on PostgreSQL
// this process does it directly, whether a server runs or not.
import { parseArgs } from 'node:util'
import { loadConfig, readDotEnv, type Config } from '../config.js'
import { EmbeddedDatabaseBusyError, openDatabase, withCipher } from '../db/database.js'
import { createDataCipher } from '../db/data-cipher.js'
import { askServer } from './control-socket.js'
import { failWith } from './fail.js'
import { setRole } from './set-role.js'

let config: Config | undefined
try {
  readDotEnv()
  config = loadConfig()
  const { values } = parseArgs({ options: { email: { type: 'string' }, role: { type: 'string', default: 'admin' } } })
  const { email, role } = values
  if (email === undefined || email === '') throw new Error('usage: make admin EMAIL=someone@example.com [ROLE=admin|user]')
  if (role !== 'admin' && role !== 'user') throw new Error(`ROLE must be admin or user, got '${role}'`)

  let message: string | undefined
  try {
    const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir })
    try {
      // The account it reads comes with its health data, which only the keys open.
      message = await setRole(withCipher(db, createDataCipher(config.dataKeys)), email, role)
    } finally {
      await db.close()
    }
  } catch (error) {
    if (!(error instanceof EmbeddedDatabaseBusyError)) throw error
    message = await askServer(config.dataDir, { email, role })
    if (message === undefined) throw error
  }
  process.stdout.write(`${message}\n`)
} catch (error) {
  failWith(error, config)
}
