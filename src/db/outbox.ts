// The mail_outbox table. Rows are written in the transaction of the change that causes the mail
// and claimed by a worker for a while (a lease), so that the send itself happens outside any
// transaction and two workers never hold the same row.
import type { Queryable } from './database.js'

export type MailParams = Record<string, string>

export interface NewMail {
  template: string
  recipient: string
  params: MailParams
}

export interface OutboxMail {
  id: string
  template: string
  recipient: string
  params: MailParams
  attempts: number
}

/** After a failed attempt: when it comes next, or that it was given up. */
export type FailureOutcome = 'retry' | 'failed'

export function outboxTable (db: Queryable) {
  return {
    async queue (mail: NewMail): Promise<void> {
      await db.query('INSERT INTO mail_outbox (template, recipient, params) VALUES ($1, $2, $3)',
        [mail.template, mail.recipient, JSON.stringify(mail.params)])
    },

    /** A mail to the user's current address; null queues nothing, with the same statement. */
    async queueForUser (userId: number | null, template: string, params: MailParams = {}): Promise<void> {
      await db.query('INSERT INTO mail_outbox (template, recipient, params) SELECT $2, email, $3 FROM users WHERE id = $1',
        [userId, template, JSON.stringify(params)])
    },

    /** Mails queued and neither sent nor given up yet, by every instance. */
    async pending (): Promise<number> {
      const { rows } = await db.query<{ pending: number }>("SELECT count(*)::integer AS pending FROM mail_outbox WHERE status = 'pending'")
      return rows[0].pending
    },

    /**
     * Claims up to `limit` due mails for `leaseSeconds` and counts the attempt. SKIP LOCKED: a row
     * another worker is claiming at this moment is left to it, and once claimed it is not due.
     */
    async claim (limit: number, leaseSeconds: number): Promise<OutboxMail[]> {
      const { rows } = await db.query<OutboxMail>(
        `UPDATE mail_outbox SET claimed_until = now() + make_interval(secs => $2), attempts = attempts + 1
          WHERE id IN (SELECT id FROM mail_outbox
                        WHERE status = 'pending' AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until <= now())
                        ORDER BY id
                        LIMIT $1
                          FOR UPDATE SKIP LOCKED)
          RETURNING id::text, template, recipient, params, attempts`,
        [limit, leaseSeconds])
      return rows.sort((a, b) => Number(a.id) - Number(b.id))
    },

    /** Sent: the address and the link's token are not kept. */
    async markSent (id: string): Promise<void> {
      await db.query(
        `UPDATE mail_outbox SET status = 'sent', finished_at = now(), recipient = NULL, params = NULL, claimed_until = NULL, last_error = NULL
          WHERE id = $1`, [id])
    },

    /**
     * A failed attempt: tried again `retryInSeconds` later, or given up (blanked as a sent mail is)
     * when `permanent` or once the mail has waited `giveUpSeconds`.
     */
    async recordFailure (id: string, error: string, retryInSeconds: number, giveUpSeconds: number, permanent: boolean): Promise<FailureOutcome> {
      const { rows } = await db.query<{ status: string }>(
        `UPDATE mail_outbox m SET
           status = CASE WHEN g.give_up THEN 'failed' ELSE 'pending' END,
           finished_at = CASE WHEN g.give_up THEN now() END,
           recipient = CASE WHEN g.give_up THEN NULL ELSE m.recipient END,
           params = CASE WHEN g.give_up THEN NULL ELSE m.params END,
           next_attempt_at = now() + make_interval(secs => $3),
           claimed_until = NULL,
           last_error = $2
          FROM (SELECT $5::boolean OR created_at + make_interval(secs => $4) <= now() AS give_up FROM mail_outbox WHERE id = $1) g
         WHERE m.id = $1
         RETURNING m.status`,
        [id, error, retryInSeconds, giveUpSeconds, permanent])
      return rows[0].status === 'failed' ? 'failed' : 'retry'
    },

    /** Gives claimed mails back untried (the worker is stopping): due again at once, the attempt not counted. */
    async release (ids: string[]): Promise<void> {
      await db.query('UPDATE mail_outbox SET claimed_until = NULL, attempts = attempts - 1 WHERE id = ANY($1::bigint[])', [ids])
    },

    /** Sent and failed mails kept for `keepSeconds`, then deleted. */
    /** Up to `limit` mails sent or given up on more than `keepSeconds` ago (see db/batches.ts). */
    async deleteFinished (keepSeconds: number, limit: number): Promise<number> {
      const { rowCount } = await db.query(
        `DELETE FROM mail_outbox WHERE id IN (
           SELECT id FROM mail_outbox WHERE status <> 'pending' AND finished_at <= now() - make_interval(secs => $1)
            LIMIT $2 FOR UPDATE SKIP LOCKED)`, [keepSeconds, limit])
      return rowCount
    }
  }
}
