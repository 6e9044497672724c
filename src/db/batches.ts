// Background deletes in bounded steps: each batch is one short statement of its own, so a million
// expired rows never hold locks (or a connection) for seconds, and SKIP LOCKED leaves the rows
// another instance is deleting at that moment to it.

/** Rows one batch deletes at most. */
export const BATCH_SIZE = 1000

/** Runs `deleteBatch` until a batch comes back short; the rows deleted in all. */
export async function deleteInBatches (deleteBatch: (limit: number) => Promise<number>): Promise<number> {
  let total = 0
  for (;;) {
    const deleted = await deleteBatch(BATCH_SIZE)
    total += deleted
    if (deleted < BATCH_SIZE) return total
  }
}
