// One small query interface over two drivers: node-postgres against a real server, and PGlite
// (PostgreSQL compiled to WebAssembly) for the zero-setup embedded default. Both run the same SQL.
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { inspect } from 'node:util'
import pg from 'pg'
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite'
import { isDatabaseUnavailable } from './errors.js'
import { isoTimestamp } from './timestamps.js'
import type { DataCipher } from './data-cipher.js'

export interface QueryResult<Row> {
  rows: Row[]
  rowCount: number
}

/**
 * A query made on every request, which the PostgreSQL driver prepares once per connection (a
 * named prepared statement), sparing the server its parsing and, once it has settled on a plan,
 * its planning: for GET /me that halves the work PostgreSQL does. The embedded database runs it
 * as any other query. Behind PgBouncer in transaction mode, this needs PgBouncer 1.21 or later
 * with `max_prepared_statements` set.
 */
export interface PreparedStatement {
  /** Unique among the service's prepared statements; the text of a name never changes. */
  name: string
  text: string
}

export interface Queryable {
  query<Row = Record<string, unknown>>(text: string | PreparedStatement, params?: unknown[]): Promise<QueryResult<Row>>
  /**
   * What seals and opens health data on its way to and from its tables (data-cipher.ts); absent on
   * a connection opened without DATA_KEYS, which can then read and write no health data.
   */
  readonly cipher?: DataCipher
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'embedded'
  /** Runs `work` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>
  /** Runs a script of one or more statements without parameters (migrations); returns the last result. */
  script(sql: string): Promise<QueryResult<Record<string, unknown>>>
  close(): Promise<void>
  /** PostgreSQL only: the connections of the pool, those idle, and the queries waiting for one. */
  poolStats?: () => { total: number, idle: number, waiting: number }
  /** Embedded only: a snapshot to start other embedded databases from without running initdb. */
  dump?: () => Promise<Blob>
}

export interface DatabaseOptions {
  /** A postgres:// URL; without it the embedded database is used. */
  url?: string
  /** Where the embedded database keeps its files; `memory` keeps nothing on disk. */
  dataDir?: string
  /** A dump (from `Database.dump`) to start the embedded database from, skipping initdb. */
  loadDataDir?: Blob
  /**
   * How long to wait for a connection, new or from the pool (1 s by default): when the server is
   * unreachable or every connection is busy, fail fast instead of queueing requests behind it.
   */
  connectionTimeoutMs?: number
  /**
   * The server cancels a statement running longer than this (5 s by default); 0 sets no limit.
   * A query with no answer at all a connection timeout later fails too: its connection is dead
   * without having said so (a network partition, a failover), and is dropped.
   */
  statementTimeoutMs?: number
  poolSize?: number
  onPoolError?: (error: Error) => void
}

/** Thrown when the embedded database's files are already open in another process. */
export class EmbeddedDatabaseBusyError extends Error {
  constructor (dataDir: string, pid: number) {
    super(`the embedded database in ${dataDir} is open in another process (pid ${pid}, probably \`make run\`); ` +
      'stop that process first, or set DATABASE_URL to use a PostgreSQL server')
    this.name = 'EmbeddedDatabaseBusyError'
  }
}

/** Where a PostgreSQL URL points, for messages: host, port and database, never the user or password. */
export function describePostgresUrl (url: string): string {
  const { host, pathname } = new URL(url)
  return `${host}${pathname}`
}

/**
 * One line naming DATABASE_URL and saying what to do, for what goes wrong when a first
 * connection is made: nothing listens there, no such database, no such role. Undefined for any
 * other error, and for the embedded database (no URL).
 */
export function connectionProblem (error: unknown, url: string | undefined): string | undefined {
  // The embedded database has no connection to fail.
  if (url === undefined) return undefined
  const { code, message } = error as { code?: unknown, message?: unknown }
  const { host: server, username } = new URL(url)
  const quoted = /"([^"]*)"/.exec(String(message))?.[1]
  switch (code) {
    case 'ECONNREFUSED':
      return `DATABASE_URL: no PostgreSQL answers at ${server} (connection refused): start PostgreSQL, or correct the host and port in DATABASE_URL`
    case '3D000':
      return `DATABASE_URL: the database "${quoted}" does not exist on ${server}: create it with \`createdb ${quoted}\` ` +
        '(then `make migrate`), or correct its name in DATABASE_URL'
    case '28000':
      return `DATABASE_URL: PostgreSQL at ${server} refused the user "${decodeURIComponent(username)}" (${String(message)}): ` +
        `create the role with \`createuser ${decodeURIComponent(username)}\`, or correct the user in DATABASE_URL`
    default:
      return undefined
  }
}

const DATE_OID = 1082
const TIMESTAMPTZ_OID = 1184

export async function openDatabase (options: DatabaseOptions): Promise<Database> {
  return options.url === undefined ? await openEmbedded(options) : openPostgres(options.url, options)
}

function openPostgres (url: string, options: DatabaseOptions): Database {
  const parseTimestamp = pg.types.getTypeParser(TIMESTAMPTZ_OID) as (text: string) => Date
  // Made once: node-postgres asks for every column's parser on every query.
  const asText = (value: string): string => value
  const asIsoTimestamp = (value: string): string => isoTimestamp(value, parseTimestamp)
  const connectionTimeoutMs = options.connectionTimeoutMs ?? 1000
  const statementTimeoutMs = options.statementTimeoutMs ?? 5000
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: connectionTimeoutMs,
    statement_timeout: statementTimeoutMs,
    // The client's own limit: a query on a connection that died without a word would otherwise
    // wait for the operating system to give up on it, for many minutes.
    query_timeout: statementTimeoutMs === 0 ? undefined : statementTimeoutMs + connectionTimeoutMs,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        // `date` stays the YYYY-MM-DD string it is: a JS Date would shift it by the time zone.
        if (oid === DATE_OID) return asText
        if (oid === TIMESTAMPTZ_OID) return asIsoTimestamp
        return pg.types.getTypeParser(oid, format)
      }) as typeof pg.types.getTypeParser
    }
  })
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (error) => options.onPoolError?.(error))

  const asResult = <Row>(result: pg.QueryResult): QueryResult<Row> =>
    ({ rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length })
  const run = async <Row>(client: pg.Pool | pg.PoolClient, text: string | PreparedStatement, params?: unknown[]): Promise<QueryResult<Row>> =>
    asResult<Row>(await (typeof text === 'string' ? client.query(text, params) : client.query({ name: text.name, text: text.text, values: params })))

  return {
    kind: 'postgres',
    async query<Row> (text: string | PreparedStatement, params?: unknown[]) {
      return await run<Row>(pool, text, params)
    },
    async transaction (work) {
      const client = await pool.connect()
      // The pool listens for errors on idle clients only: without this, a connection lost in the
      // middle of a transaction would be an unhandled 'error' event and crash the process. The
      // statement in flight fails instead, and the broken client is dropped from the pool.
      let lost: Error | undefined
      const onLost = (error: Error): void => { lost = error }
      client.on('error', onLost)
      let result
      try {
        await client.query('BEGIN')
        result = await work({ query: async <Row>(text: string | PreparedStatement, params?: unknown[]) => await run<Row>(client, text, params) })
        await client.query('COMMIT')
      } catch (error) {
        // A connection that is lost or does not answer is dropped rather than sent a ROLLBACK that
        // would wait for nothing: the server rolls back what it had begun when the connection goes.
        if (isDatabaseUnavailable(error)) lost = error as Error
        else await client.query('ROLLBACK').catch((failure: Error) => { lost = failure })
        throw error
      } finally {
        client.off('error', onLost)
        client.release(lost)
      }
      return result
    },
    async script (sql) {
      // Several statements in one simple query come back as an array of results.
      const results = await pool.query(sql) as unknown as pg.QueryResult | pg.QueryResult[]
      return asResult(Array.isArray(results) ? results[results.length - 1] : results)
    },
    async close () {
      await pool.end()
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount })
  }
}

async function openEmbedded (options: DatabaseOptions): Promise<Database> {
  const dataDir = options.dataDir ?? 'memory'
  const onDisk = dataDir !== 'memory'
  const releaseLock = onDisk ? lockDataDir(dataDir) : () => {}
  let db: PGlite
  try {
    db = new PGlite({
      dataDir: onDisk ? join(dataDir, 'pgdata') : undefined,
      loadDataDir: options.loadDataDir,
      parsers: {
        [pgliteTypes.DATE]: (value: string) => value,
        [pgliteTypes.TIMESTAMPTZ]: (value: string) => isoTimestamp(value, (text) => new Date(text))
      }
    })
    await db.waitReady
  } catch (error) {
    releaseLock()
    // PGlite may throw a bare `{name: 'ErrnoError', errno}` object, which prints as [object Object].
    const reason = error instanceof Error ? error.message : inspect(error, { breakLength: Infinity })
    throw new Error(`the embedded database in ${dataDir} could not be started (${reason}); ` +
      'check that DATA_DIR is a directory this service created, or set DATABASE_URL to use a PostgreSQL server', { cause: error })
  }

  // `rowCount` is per statement, as node-postgres reports it; `affectedRows` would add up every
  // statement of a script and is 0 for a SELECT.
  const asResult = <Row>(result: { rows: unknown[], rowCount?: number }): QueryResult<Row> =>
    ({ rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length })

  const textOf = (text: string | PreparedStatement): string => typeof text === 'string' ? text : text.text

  return {
    kind: 'embedded',
    async query<Row> (text: string | PreparedStatement, params?: unknown[]) {
      return asResult<Row>(await db.query(textOf(text), nullForUndefined(params)))
    },
    async transaction (work) {
      return await db.transaction(async (tx) => await work({
        query: async <Row>(text: string | PreparedStatement, params?: unknown[]) => asResult<Row>(await tx.query(textOf(text), nullForUndefined(params)))
      }))
    },
    async script (sql) {
      const results = await db.exec(sql)
      return asResult(results[results.length - 1])
    },
    async close () {
      try {
        await db.close()
      } finally {
        releaseLock()
      }
    },
    async dump () {
      return await db.dumpDataDir('none')
    }
  }
}

/** The same database, whose queries and transactions carry `cipher` to the tables that hold health data. */
export function withCipher (db: Database, cipher: DataCipher): Database {
  return {
    ...db,
    cipher,
    async transaction (work) {
      return await db.transaction(async (tx) => await work({ query: tx.query, cipher }))
    }
  }
}

/** node-postgres sends `undefined` as NULL; PGlite needs to be told. */
function nullForUndefined (params: unknown[] | undefined): unknown[] | undefined {
  return params?.map((value) => value === undefined ? null : value)
}

/**
 * PGlite has no server process to arbitrate access: two processes opening the same files
 * would corrupt them. A pid file taken with O_EXCL makes the second one refuse instead.
 */
function lockDataDir (dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true })
  const lockFile = resolve(dataDir, 'dna-api.pid')
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(lockFile, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number(readFileSync(lockFile, 'utf8'))
      if (processIsAlive(holder)) throw new EmbeddedDatabaseBusyError(dataDir, holder)
      // The previous holder died without cleaning up: the files are free.
      rmSync(lockFile, { force: true })
    }
  }
}

function processIsAlive (pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
