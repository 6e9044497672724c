// The database: `app.db` (queries, transactions) and `app.data` (one module per table).
// A test or a second app instance can pass a database it already opened; then it is not
// closed with the app.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { openDatabase, type Database } from '../../db/database.js'
import { tables, type Tables } from '../../db/tables.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
    data: Tables
  }
}

export interface DatabasePluginOptions {
  db?: Database
}

async function database (app: FastifyInstance, options: DatabasePluginOptions): Promise<void> {
  const { config } = app
  const db = options.db ?? await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    connectionTimeoutMs: config.databaseConnectTimeoutMs,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    poolSize: config.databasePoolSize,
    onPoolError: (error) => app.log.warn({ err: error }, 'idle database connection lost')
  })
  if (options.db === undefined) app.addHook('onClose', async () => await db.close())
  app.decorate('db', db)
  app.decorate('data', tables(db))
}

export default fp(database, { name: 'database' })
