// `make audit-verify`: walks the audit log's hash chain in batches, recomputing each entry's hash
// from its fields (db/audit-log.ts), and stops at the first entry that does not fit.
import type { Queryable } from '../db/database.js'
import { auditLogTable, entryHash, GENESIS_HASH } from '../db/audit-log.js'

export type ChainVerdict =
  | { intact: true, entries: number, head: { id: number, hash: string } | undefined }
  | { intact: false, entries: number, brokenId: number, reason: string }

/** Walks the whole chain; `onBatch` hears how many entries are checked so far. */
export async function verifyAuditChain (db: Queryable, batchSize: number, onBatch: (checked: number) => void): Promise<ChainVerdict> {
  const log = auditLogTable(db)
  let previous = { id: 0, hash: GENESIS_HASH }
  let entries = 0
  for (;;) {
    const batch = await log.chain(previous.id, batchSize)
    if (batch.length === 0) return { intact: true, entries, head: entries === 0 ? undefined : previous }
    for (const entry of batch) {
      if (entry.prev_hash !== previous.hash) {
        const after = previous.id === 0 ? 'the start of the log' : `entry ${previous.id}`
        return { intact: false, entries, brokenId: entry.id, reason: `its prev_hash is not the hash of ${after}: an entry before it was removed, added or rewritten` }
      }
      if (entryHash(entry) !== entry.hash) {
        return { intact: false, entries, brokenId: entry.id, reason: 'its fields do not match its hash: the entry was changed' }
      }
      previous = { id: entry.id, hash: entry.hash }
      entries += 1
    }
    onBatch(entries)
  }
}
