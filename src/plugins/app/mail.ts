// The mail worker: every instance drains the outbox (src/db/outbox.ts) in small batches, each
// claimed with FOR UPDATE SKIP LOCKED and committed before anything is sent, so two instances
// never send the same row and no transaction stays open while an SMTP server takes its time.
// A failed send comes back with exponential backoff for 24 hours and is then given up and logged.
// Logs name the outbox row and the template, never the address, the link or its token.
//
// `app.mail.drain()` sends whatever is due now (tests call it); `app.mail.kick()` asks for a
// drain soon, after a request queued a mail. Outside tests a timer drains every few seconds too,
// which picks up mails queued by another instance, retries and rows a stopped worker gave back.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { OutboxMail } from '../../db/outbox.js'
import { deleteInBatches } from '../../db/batches.js'
import { renderMail, type RenderedMail } from '../../mail/templates.js'
import { mailTransport, outboxDir } from '../../mail/transport.js'

export interface DrainResult {
  sent: number
  retried: number
  failed: number
}

declare module 'fastify' {
  interface FastifyInstance {
    mail: {
      drain: () => Promise<DrainResult>
      kick: () => void
      /** Deletes expired link tokens and the outbox rows finished a week ago. */
      cleanup: () => Promise<{ tokens: number, mails: number }>
    }
  }
}

const BATCH_SIZE = 10
/** Longer than a batch can take with the transport's timeouts, so a claim never lapses mid-send. */
const CLAIM_SECONDS = 10 * 60
const GIVE_UP_SECONDS = 24 * 3600
const KEEP_FINISHED_SECONDS = 7 * 86400
export const POLL_INTERVAL_MS = 5000
/** Cleanup on the first poll and then every this many polls (10 minutes). */
const CLEANUP_EVERY = 120

/** nodemailer's codes for a refused recipient and a refused message. */
const REFUSALS_FOR_GOOD = new Set(['EENVELOPE', 'EMESSAGE'])

/** 30 s, 1 min, 2 min, … at most an hour between attempts. */
export const retryDelaySeconds = (attempts: number): number => Math.min(30 * 2 ** (attempts - 1), 3600)

/** What to log and keep of an error: its code and SMTP reply code, never its message, which may quote the address. */
function describe (error: unknown): { code: string, responseCode?: number } {
  const { code, name, responseCode } = error as { code?: unknown, name?: unknown, responseCode?: unknown }
  return {
    code: typeof code === 'string' ? code : String(name),
    ...(typeof responseCode === 'number' ? { responseCode } : {})
  }
}

async function mail (app: FastifyInstance): Promise<void> {
  const { config, log } = app
  const outbox = app.data.outbox
  const transport = mailTransport(config)
  const host = new URL(config.publicUrl).hostname

  let closing = false
  let running: Promise<DrainResult> | undefined

  async function deliver (row: OutboxMail): Promise<keyof DrainResult> {
    const mailLog = { mailId: row.id, template: row.template, attempt: row.attempts }
    let rendered: RenderedMail | undefined
    try {
      rendered = renderMail(row.template, row.params, config.publicUrl)
      const file = await transport.send({ ...rendered, to: row.recipient, messageId: `<mail-${row.id}@${host}>` })
      await outbox.markSent(row.id)
      if (file === undefined) log.info(mailLog, 'mail sent')
      else log.info({ ...mailLog, file }, `mail written to ${file}`)
      return 'sent'
    } catch (error) {
      const reason = describe(error)
      // A template this version does not know, or a recipient or message the server refuses for
      // good (5xx), will not get better; refused credentials or a server turning us away will, once fixed.
      const permanent = rendered === undefined || ((error as { permanent?: unknown }).permanent === true && REFUSALS_FOR_GOOD.has(reason.code))
      const outcome = await outbox.recordFailure(row.id, JSON.stringify(reason), retryDelaySeconds(row.attempts), GIVE_UP_SECONDS, permanent)
      if (outcome === 'failed') {
        log.error({ ...mailLog, ...reason }, 'mail given up: it could not be sent')
        return 'failed'
      }
      log.warn({ ...mailLog, ...reason, retryInSeconds: retryDelaySeconds(row.attempts) }, 'mail not sent; will retry')
      return 'retried'
    }
  }

  async function drainAll (): Promise<DrainResult> {
    const result: DrainResult = { sent: 0, retried: 0, failed: 0 }
    for (;;) {
      const batch = await outbox.claim(BATCH_SIZE, CLAIM_SECONDS)
      if (batch.length === 0) return result
      for (const [index, row] of batch.entries()) {
        const outcome = await deliver(row)
        result[outcome] += 1
        app.metrics.mail(outcome)
        if (closing) {
          // The instance is stopping: the mail under way was finished; the rest go back to the outbox at once.
          await outbox.release(batch.slice(index + 1).map((rest) => rest.id))
          return result
        }
      }
    }
  }

  // One drain at a time per instance; a call meanwhile shares the one under way.
  const drain = async (): Promise<DrainResult> => {
    if (closing) return { sent: 0, retried: 0, failed: 0 }
    running ??= drainAll().finally(() => { running = undefined })
    return await running
  }

  const cleanup = async (): Promise<{ tokens: number, mails: number }> => {
    const tokens = await deleteInBatches(app.data.emailTokens.deleteExpired)
    const mails = await deleteInBatches(async (limit) => await outbox.deleteFinished(KEEP_FINISHED_SECONDS, limit))
    return { tokens, mails }
  }

  let timer: NodeJS.Timeout | undefined
  let polls = 0
  const poll = (): void => {
    const work = polls++ % CLEANUP_EVERY === 0 ? cleanup().then(drain) : drain()
    work.catch((error: unknown) => log.warn({ err: error }, 'the mail outbox could not be read; will retry'))
  }

  app.decorate('mail', {
    drain,
    cleanup,
    kick: () => { if (timer !== undefined) setImmediate(poll) }
  })

  app.addHook('onReady', async () => {
    // Tests drain when they choose to (`app.mail.drain()`).
    if (config.env === 'test') return
    if (config.smtpUrl === undefined) log.info({ outbox: outboxDir(config) }, `SMTP_URL is not set: mails are written as .eml files under ${outboxDir(config)}`)
    timer = setInterval(poll, POLL_INTERVAL_MS)
    timer.unref()
    poll()
  })

  // A send under way finishes (its mail is marked sent); nothing new starts.
  app.addHook('onClose', async () => {
    closing = true
    clearInterval(timer)
    timer = undefined
    // Its failure was the drain's, and is logged by whoever started it.
    await running?.catch(() => {})
    transport.close()
  })
}

export default fp(mail, { name: 'mail', dependencies: ['database', 'metrics'] })
