// Raw SQL migrations in sql/, run by postgrator. The same files serve both drivers.
import { fileURLToPath } from 'node:url'
import Postgrator from 'postgrator'
import type { Database } from './database.js'

const MIGRATIONS = fileURLToPath(new URL('../../sql/*.sql', import.meta.url))

export interface SchemaStatus {
  current: number
  latest: number
}

function postgratorFor (db: Database): Postgrator {
  return new Postgrator({
    migrationPattern: MIGRATIONS,
    driver: 'pg',
    schemaTable: 'schemaversion',
    execQuery: async (sql) => await db.script(sql)
  })
}

/** Migrates to `target` (a version number; the latest when omitted) and returns the versions applied. */
export async function migrate (db: Database, target?: number): Promise<{ from: number, to: number }> {
  const postgrator = postgratorFor(db)
  const latest = await postgrator.getMaxVersion()
  if (target !== undefined && target > latest) throw new Error(`there is no schema version ${target}: the latest is ${latest}`)
  const from = await postgrator.getDatabaseVersion()
  await postgrator.migrate(target === undefined ? 'max' : String(target))
  return { from, to: await postgrator.getDatabaseVersion() }
}

export async function schemaStatus (db: Database): Promise<SchemaStatus> {
  const postgrator = postgratorFor(db)
  return { current: await postgrator.getDatabaseVersion(), latest: await postgrator.getMaxVersion() }
}
