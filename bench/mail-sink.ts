// An SMTP server on a loopback port that takes every mail and keeps none: production needs
// SMTP_URL, and signup queues a verification mail that the server then sends.
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { atCleanUp } from './cleanup.js'

export interface MailSink {
  /** SMTP_URL for the server. */
  url: string
  /** Mails taken so far. */
  received: () => number
}

export async function mailSink (): Promise<MailSink> {
  let received = 0
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData (stream, _session, done) {
      stream.resume()
      stream.once('end', () => { received += 1; done() })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  atCleanUp(async () => await new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, received: () => received }
}
