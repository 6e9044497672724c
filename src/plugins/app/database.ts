// The database: `app.db` (queries, transactions) and `app.data` (one module per table), with
// `app.dataCipher` (the DATA_KEYS), which the tables holding health data use through `app.db`.
// A test or a second app instance can pass a database it already opened; then it is not
// closed with the app.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { openDatabase, withCipher, type Database } from '../../db/database.js'
import { createDataCipher, type DataCipher } from '../../db/data-cipher.js'
import { tables, type Tables } from '../../db/tables.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
    data: Tables
    /** Encrypts and decrypts a value of one user (db/data-cipher.ts), e.g. a second-factor secret. */
    dataCipher: DataCipher
  }
}

export interface DatabasePluginOptions {
  db?: Database
}

async function database (app: FastifyInstance, options: DatabasePluginOptions): Promise<void> {
  const { config } = app
  const opened = options.db ?? await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    connectionTimeoutMs: config.databaseConnectTimeoutMs,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    poolSize: config.databasePoolSize,
    onPoolError: (error) => app.log.warn({ err: error }, 'idle database connection lost')
  })
  if (options.db === undefined) app.addHook('onClose', async () => await opened.close())
  const dataCipher = createDataCipher(config.dataKeys)
  const db = withCipher(opened, dataCipher)
  app.decorate('dataCipher', dataCipher)
  app.decorate('db', db)
  app.decorate('data', tables(db))
}

export default fp(database, { name: 'database' })
