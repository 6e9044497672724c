// `make migrate [TO=n]`: brings the database to the latest schema, or to version n (0 undoes all).
import { loadConfig, readDotEnv, type Config } from '../config.js'
import { openDatabase } from '../db/database.js'
import { migrate } from '../db/migrations.js'
import { failWith } from './fail.js'

let config: Config | undefined
try {
  readDotEnv()
  config = loadConfig()
  const target = process.argv[2]
  if (target !== undefined && !/^\d+$/.test(target)) throw new Error(`TO must be a version number, got '${target}'`)
  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir })
  try {
    const where = config.databaseUrl === undefined ? `the embedded database in ${config.dataDir}/` : 'DATABASE_URL'
    const { from, to } = await migrate(db, target === undefined ? undefined : Number(target))
    process.stdout.write(from === to ? `${where} is at schema version ${to}; nothing to do\n` : `${where}: migrated from schema version ${from} to ${to}\n`)
  } finally {
    await db.close()
  }
} catch (error) {
  failWith(error, config)
}
