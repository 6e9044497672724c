// The operator's jobs on the health data and the audit log, wherever they run: in their own process
// on the database (PostgreSQL, or an embedded database no server holds), or inside the server that
// holds the embedded database, asked through its control socket (control-socket.ts).
import { keyReport, rotateKeys } from '../accounts/key-rotation.js'
import { verifyAuditChain } from '../accounts/audit-chain.js'
import type { Config } from '../config.js'
import { createDataCipher } from '../db/data-cipher.js'
import { EmbeddedDatabaseBusyError, openDatabase, withCipher, type Database } from '../db/database.js'
import { askServer } from './control-socket.js'

export type TaskRequest =
  | { task: 'rotate-keys', check?: boolean, decrypt?: boolean, batchSize: number }
  | { task: 'audit-verify', batchSize: number }

/**
 * Runs the task on `db`, whose cipher holds DATA_KEYS (and `jwtSecret` opens the TOTP secrets sealed
 * before DATA_KEYS covered them); resolves with its last line, rejects when the audit chain is broken.
 */
export async function runTask (db: Database, request: TaskRequest, progress: (line: string) => void, jwtSecret: string): Promise<string> {
  if (request.task === 'audit-verify') {
    const verdict = await verifyAuditChain(db, request.batchSize, (checked) => progress(`${checked} entries checked`))
    if (!verdict.intact) throw new Error(`the audit log is broken at entry ${verdict.brokenId}: ${verdict.reason} (${verdict.entries} entries before it are intact)`)
    return verdict.head === undefined ? 'the audit log is empty' : `the audit log is intact: ${verdict.entries} entries, head entry ${verdict.head.id} with hash ${verdict.head.hash}`
  }
  const cipher = db.cipher as NonNullable<Database['cipher']>
  if (request.check === true) return await keyReport(db, cipher)
  const outcome = await rotateKeys(db, cipher, {
    batchSize: request.batchSize,
    decrypt: request.decrypt,
    jwtSecret,
    onProgress: (done, total, rows) => progress(`${done} of ${total} ${rows} ${request.decrypt === true ? 'decrypted' : `under key ${cipher.currentKeyId}`}`)
  })
  const profiles = `${outcome.profiles} profile${outcome.profiles === 1 ? '' : 's'}`
  const done = outcome.keyId === null
    ? `${profiles} rewritten; every health value is now plaintext (TOTP secrets stay encrypted)`
    : `${profiles} and ${outcome.totpSecrets} TOTP secret${outcome.totpSecrets === 1 ? '' : 's'} rewritten; every value is now under key ${outcome.keyId}`
  return `${done}\n${await keyReport(db, cipher)}`
}

/** Runs the task on the configured database, or through the server that holds the embedded one. */
export async function performTask (config: Config, request: TaskRequest, progress: (line: string) => void): Promise<string> {
  try {
    const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, statementTimeoutMs: 0 })
    try {
      return await runTask(withCipher(db, createDataCipher(config.dataKeys)), request, progress, config.jwtSecret)
    } finally {
      await db.close()
    }
  } catch (error) {
    if (!(error instanceof EmbeddedDatabaseBusyError)) throw error
    const message = await askServer(config.dataDir, request, progress)
    if (message === undefined) throw error
    return message
  }
}
