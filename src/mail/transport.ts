// Where mail goes: an SMTP server (SMTP_URL: smtp:// upgrades with STARTTLS when the server
// offers it, smtps:// is TLS from the start, credentials in the URL), or, in development without
// one, .eml files under DATA_DIR/outbox that any mail program opens.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import nodemailer from 'nodemailer'
import type { Config } from '../config.js'
import type { RenderedMail } from './templates.js'

export interface Envelope extends RenderedMail {
  to: string
  /** Stable per outbox row, so that a receiving server can tell a repeated delivery. */
  messageId: string
}

export interface MailTransport {
  /** Resolves once the server accepted the mail (or the file is written: then its path). */
  send: (mail: Envelope) => Promise<string | undefined>
  close: () => void
}

/**
 * Each mail gives up after these: a hung server must not hold a mail past its claim on it
 * (plugins/app/mail.ts) nor the shutdown of the instance.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 }

export function outboxDir (config: Config): string {
  return join(config.dataDir, 'outbox')
}

export function mailTransport (config: Config): MailTransport {
  const defaults = { from: config.mailFrom }
  if (config.smtpUrl !== undefined) {
    const smtp = nodemailer.createTransport({ url: config.smtpUrl, ...SMTP_TIMEOUTS }, defaults)
    return {
      async send (mail) {
        await smtp.sendMail(mail)
        return undefined
      },
      close: () => smtp.close()
    }
  }
  const files = nodemailer.createTransport({ streamTransport: true, buffer: true }, defaults)
  const dir = outboxDir(config)
  return {
    async send (mail) {
      const { message } = await files.sendMail(mail)
      await mkdir(dir, { recursive: true })
      // Named after the outbox row, never after the address.
      const file = join(dir, `${mail.messageId.replace(/[^A-Za-z0-9.-]/g, '')}.eml`)
      await writeFile(file, message as Buffer)
      return file
    },
    close: () => files.close()
  }
}
