// `make import-legacy FROM=postgres://…/dna [DRY_RUN=1]` (or `npm run import-legacy -- --from URL
// [--dry-run]`): brings the old service's customers into the configured database (DATABASE_URL, or
// the embedded one under DATA_DIR), reading the old database in one read-only snapshot.
// Exit 2: nothing could be read or the target is not ready, and nothing was written; 130: stopped
// by Ctrl-C after a committed batch (run it again to go on).
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { importLegacyUsers, type ImportReport } from '../accounts/legacy-import.js'
import { loadConfig, readDotEnv, type Config } from '../config.js'
import { connectionProblem, describePostgresUrl, openDatabase, withCipher, type Database, type Queryable } from '../db/database.js'
import { createDataCipher } from '../db/data-cipher.js'
import { LEGACY_COLUMNS, legacyUsersTable } from '../db/legacy-users.js'
import { schemaStatus } from '../db/migrations.js'
import { tables } from '../db/tables.js'
import { failWith } from './fail.js'
import { progress } from './progress.js'

const USAGE = 'usage: make import-legacy FROM=postgres://user:password@host:5432/database [DRY_RUN=1]'
const SOURCE_CONNECT_TIMEOUT_MS = 10_000

/** Refused before anything was written: one line, exit 2. */
class ImportRefused extends Error {}

let config: Config | undefined
try {
  readDotEnv()
  // The import signs no token: a throwaway secret keeps loadConfig from making one in DATA_DIR,
  // which would write to a target that may not even be there.
  config = loadConfig({ ...process.env, JWT_SECRET: randomBytes(32).toString('hex') })
  const { values } = parseArgs({
    options: { from: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, 'batch-size': { type: 'string', default: '5000' } }
  })
  const from = sourceUrl(values.from)
  const batchSize = Number(values['batch-size'])
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 50_000) {
    throw new ImportRefused(`--batch-size must be a whole number from 1 to 50000, got '${values['batch-size']}'`)
  }
  const dryRun = values['dry-run'] === true
  const where = describePostgresUrl(from)

  const source = await openSource(from, where)
  let target: Database | undefined
  try {
    target = await openTarget(config)
    let stopping = false
    process.on('SIGINT', () => {
      stopping = true
      process.stderr.write('\nstopping after the current batch\n')
    })
    const bar = progress({ stream: process.stderr, unit: 'rows' })
    const report = await importLegacyUsers({
      source: source.queryable,
      target,
      dryRun,
      batchSize,
      importTime: new Date(),
      onProgress: bar.update,
      shouldStop: () => stopping
    })
    bar.end()
    if (!dryRun) await tables(target).auditLog.record({ actorId: null, action: 'legacy.import', targetId: null, fields: auditCounts(report) })
    process.stdout.write(formatReport(report, where))
    if (report.stopped) process.exitCode = 130
  } finally {
    await source.close()
    await target?.close()
  }
} catch (error) {
  if (error instanceof ImportRefused) {
    process.stderr.write(`dna-api: error: ${error.message}\n`)
    process.exit(2)
  }
  failWith(error, config)
}

function sourceUrl (from: string | undefined): string {
  if (from === undefined || from === '') throw new ImportRefused(USAGE)
  let url: URL
  try {
    url = new URL(from)
  } catch {
    throw new ImportRefused('FROM must be a URL like postgres://user:password@host:5432/database')
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ImportRefused(`FROM must be a postgres:// URL (the old service's PostgreSQL database), not ${url.protocol}//`)
  }
  return from
}

interface Source {
  queryable: Queryable
  close: () => Promise<void>
}

/** The old database, in one REPEATABLE READ READ ONLY transaction, checked to hold the old table. */
async function openSource (url: string, where: string): Promise<Source> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: SOURCE_CONNECT_TIMEOUT_MS })
  // A connection lost later fails the query in flight; without a listener it would crash the process.
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    await client.query("SET LOCAL DateStyle = 'ISO, YMD'")
  } catch (error) {
    await client.end().catch(() => {})
    throw new ImportRefused(sourceProblem(error, url, where))
  }
  const queryable: Queryable = {
    async query<Row> (text: string | { text: string }, params?: unknown[]) {
      // node-postgres takes a statement's text or its config object alike.
      const result = await client.query(text as string, params)
      return { rows: result.rows as Row[], rowCount: Number(result.rowCount) }
    }
  }
  const close = async (): Promise<void> => {
    await client.query('COMMIT').catch(() => {})
    await client.end().catch(() => {})
  }
  const columns = await legacyUsersTable(queryable).columns()
  const missing = LEGACY_COLUMNS.filter((column) => !columns.includes(column))
  if (missing.length > 0) {
    await close()
    throw new ImportRefused(columns.length === 0
      ? `FROM: the database ${where} has no "user" table: is it the old service's database?`
      : `FROM: the "user" table of ${where} has no column ${missing.join(', ')}: is it the old service's database?`)
  }
  return { queryable, close }
}

function sourceProblem (error: unknown, url: string, where: string): string {
  const { code, message } = error as { code?: unknown, message?: unknown }
  const { host } = new URL(url)
  switch (code) {
    case 'ECONNREFUSED':
      return `FROM: nothing answers at ${host} (connection refused)`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `FROM: the host ${new URL(url).hostname} is unknown`
    case '3D000':
      return `FROM: there is no database ${where}`
    case '28000':
    case '28P01':
      return `FROM: PostgreSQL at ${host} refused the login (${String(message)})`
  }
  if (/timeout/i.test(String(message))) return `FROM: no answer from ${host} within ${SOURCE_CONNECT_TIMEOUT_MS / 1000} s: is it PostgreSQL?`
  return `FROM: ${host} does not answer as PostgreSQL does (${String(message)})`
}

/** The configured database, migrated to this code's schema. */
async function openTarget (config: Config): Promise<Database> {
  const notMigrated = 'the target database is not migrated: run make migrate first'
  // Opening an embedded database that is not there would make one (initdb): nothing may be written.
  if (config.databaseUrl === undefined && !existsSync(join(config.dataDir, 'pgdata'))) {
    throw new ImportRefused(`${notMigrated} (there is no embedded database in ${config.dataDir}/)`)
  }
  let db: Database
  try {
    db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, connectionTimeoutMs: 10_000, statementTimeoutMs: 0, poolSize: 2 })
  } catch (error) {
    throw new ImportRefused((error as Error).message)
  }
  try {
    const { current, latest } = await schemaStatus(db)
    if (current < latest) throw new ImportRefused(`${notMigrated} (it is at schema version ${current} of ${latest})`)
    // The health data it writes is encrypted under DATA_KEYS, as the service writes it.
    return withCipher(db, createDataCipher(config.dataKeys))
  } catch (error) {
    await db.close()
    if (error instanceof ImportRefused) throw error
    const problem = connectionProblem(error, config.databaseUrl)
    throw new ImportRefused(problem ?? (error as Error).message)
  }
}

function auditCounts (report: ImportReport): string[] {
  return [
    `read=${report.read}`,
    `imported=${report.imported}`,
    `updated=${report.updated}`,
    `unchanged=${report.unchanged}`,
    `conflicts=${report.conflicts.length}`,
    `created_at_from_modified_at=${report.createdFromModified}`,
    `created_at_from_import_time=${report.createdFromImportTime}`,
    `modified_at_filled=${report.modifiedFilled}`,
    ...(report.stopped ? ['stopped=1'] : [])
  ]
}

function formatReport (report: ImportReport, where: string): string {
  const lines = [
    `import from ${where}${report.dryRun ? ', a dry run: nothing was written' : ''}${report.stopped ? ', stopped: run it again to go on' : ''}`,
    `  old rows read        ${report.read} of ${report.total}`,
    `  imported             ${report.imported} new users`,
    `  updated              ${report.updated} users whose old row changed since the last run`,
    `  unchanged            ${report.unchanged} rows the same as at an earlier run (imported or refused then)`,
    `  conflicts            ${report.conflicts.length} rows not imported, ${report.dryRun ? 'to be kept' : 'kept'} whole in legacy_import_conflicts`,
    `  created_at missing   ${report.createdFromModified + report.createdFromImportTime} (${report.createdFromModified} given modified_at, ${report.createdFromImportTime} the import time)`,
    `  modified_at missing  ${report.modifiedFilled} (given created_at, or the import time)`,
    `  new accounts' ids    after ${report.largestId}`
  ]
  if (report.conflicts.length > 0) {
    lines.push('conflicts (old id: reason):')
    for (const { oldId, reason } of report.conflicts) lines.push(`  ${oldId}: ${reason}`)
  }
  return `${lines.join('\n')}\n`
}
