// Deletes what has expired (sessions, rate-limit counters, used captchas, half-done logins, passkey challenges) every ten minutes.
// Every instance runs it, in batches that skip the rows another instance is deleting, so several
// instances share the work and none holds a lock for long. Every hour, it also logs the head of the
// audit chain (its last entry's id and hash), so that an operator can anchor it outside the
// database: a chain rewritten from some entry on no longer ends in a hash that was logged.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { deleteInBatches } from '../../db/batches.js'

export const HOUSEKEEPING_INTERVAL_MS = 10 * 60 * 1000
export const AUDIT_HEAD_INTERVAL_MS = 60 * 60 * 1000

declare module 'fastify' {
  interface FastifyInstance {
    housekeeping: () => Promise<{ sessions: number, counters: number, captchas: number, mfaChallenges: number, webauthnChallenges: number }>
    /** Logs the audit chain's head at info level, one line `{ auditHead: { id, hash } }` (null when the log is empty); resolves with it. */
    logAuditHead: () => Promise<{ id: number, hash: string } | null>
  }
}

async function housekeeping (app: FastifyInstance): Promise<void> {
  app.decorate('housekeeping', async () => {
    const sessions = await deleteInBatches(app.data.sessions.deleteExpired)
    const counters = await deleteInBatches(app.data.rateLimits.deleteExpired)
    const captchas = await deleteInBatches(app.data.usedCaptchas.deleteExpired)
    const mfaChallenges = await deleteInBatches(app.data.mfaChallenges.deleteExpired)
    const webauthnChallenges = await deleteInBatches(app.data.webauthnChallenges.deleteExpired)
    app.log.debug({ sessions, counters, captchas, mfaChallenges, webauthnChallenges },
      'expired sessions, rate-limit counters, used captchas, login challenges and passkey challenges deleted')
    return { sessions, counters, captchas, mfaChallenges, webauthnChallenges }
  })

  app.decorate('logAuditHead', async () => {
    const auditHead = await app.data.auditLog.head() ?? null
    app.log.info({ auditHead }, 'audit chain head')
    return auditHead
  })

  let timers: NodeJS.Timeout[] = []
  app.addHook('onReady', async () => {
    timers = [
      setInterval(() => {
        app.housekeeping().catch((error: unknown) => app.log.warn({ err: error }, 'housekeeping failed; will retry'))
      }, HOUSEKEEPING_INTERVAL_MS),
      setInterval(() => {
        app.logAuditHead().catch((error: unknown) => app.log.warn({ err: error }, 'reading the audit chain head failed; will retry'))
      }, AUDIT_HEAD_INTERVAL_MS)
    ]
    // Never the reason the process stays alive.
    for (const timer of timers) timer.unref()
  })
  app.addHook('onClose', async () => { for (const timer of timers) clearInterval(timer) })
}

export default fp(housekeeping, { name: 'housekeeping', dependencies: ['database'] })
