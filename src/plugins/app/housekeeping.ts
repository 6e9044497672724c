// Deletes what has expired (sessions, rate-limit counters, used captchas, half-done logins, passkey challenges) every ten minutes.
// Every instance runs it, in batches that skip the rows another instance is deleting, so several
// instances share the work and none holds a lock for long.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { deleteInBatches } from '../../db/batches.js'

export const HOUSEKEEPING_INTERVAL_MS = 10 * 60 * 1000

declare module 'fastify' {
  interface FastifyInstance {
    housekeeping: () => Promise<{ sessions: number, counters: number, captchas: number, mfaChallenges: number, webauthnChallenges: number }>
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

  let timer: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    timer = setInterval(() => {
      app.housekeeping().catch((error: unknown) => app.log.warn({ err: error }, 'housekeeping failed; will retry'))
    }, HOUSEKEEPING_INTERVAL_MS)
    // Never the reason the process stays alive.
    timer.unref()
  })
  app.addHook('onClose', async () => clearInterval(timer))
}

export default fp(housekeeping, { name: 'housekeeping', dependencies: ['database'] })
