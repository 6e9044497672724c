// Test scaffolding for mail: a real SMTP server (smtp-server) on a loopback port that parses what
// it receives (mailparser), the link a person would click in a mail, and an app that sends to it.
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server'
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser'
import type { FastifyInstance } from 'fastify'
import type { Database } from '../src/db/database.js'
import type { Env } from '../src/config.js'
import { buildTestApp, type Test } from './helper.js'

export const TLS_CERT = readFileSync('test/fixtures/tls/cert.pem', 'utf8')
export const TLS_KEY = readFileSync('test/fixtures/tls/key.pem', 'utf8')

export interface ReceivedMail {
  to: string
  from: string
  subject: string
  text: string
  html: string
  messageId: string
  /** Whether the mail came over TLS (STARTTLS or implicit). */
  secure: boolean
  /** The user the client logged in as, when it did. */
  user: string | undefined
}

/** How the server answers the next connections: it takes mail, or refuses every recipient with this reply code. */
export type Behaviour = 'accept' | 451 | 550

export interface MailServer {
  port: number
  /** An SMTP_URL for this server (add credentials or options as the test needs). */
  url: string
  mails: ReceivedMail[]
  /** Resolves once `count` mails in all have arrived. */
  received: (count: number) => Promise<ReceivedMail[]>
  /** Resolves when a mail starts arriving; its DATA is answered only once `release` is called. */
  holdNext: () => Promise<{ release: () => void }>
  behave: (behaviour: Behaviour) => void
  /** Stops listening (connections are refused), or listens again on the same port. */
  stop: () => Promise<void>
  start: () => Promise<void>
}

export interface MailServerOptions {
  /** Offer STARTTLS with the test certificate. */
  starttls?: boolean
  /** Require AUTH with this user and password. */
  auth?: { user: string, pass: string }
}

export async function mailServer (t: Test, options: MailServerOptions = {}): Promise<MailServer> {
  const mails: ReceivedMail[] = []
  const waiting = new Set<() => void>()
  let behaviour: Behaviour = 'accept'
  let hold: ((release: () => void) => void) | undefined
  let port = 0

  const serverOptions: SMTPServerOptions = {
    logger: false,
    key: TLS_KEY,
    cert: TLS_CERT,
    disabledCommands: options.starttls === true ? [] : ['STARTTLS'],
    authOptional: options.auth === undefined,
    allowInsecureAuth: options.starttls !== true,
    onAuth (auth, _session, callback) {
      if (options.auth !== undefined && auth.username === options.auth.user && auth.password === options.auth.pass) {
        return callback(null, { user: auth.username })
      }
      callback(new Error('invalid credentials'))
    },
    onRcptTo (_address, _session, callback) {
      if (behaviour === 'accept') return callback()
      callback(Object.assign(new Error(behaviour === 451 ? 'try again later' : 'no such mailbox'), { responseCode: behaviour }))
    },
    onData (stream, session: SMTPServerSession, callback) {
      const parsed = simpleParser(stream)
      const take = (mail: ParsedMail): void => {
        mails.push({
          to: (mail.to as AddressObject).text,
          from: (mail.from as AddressObject).text,
          subject: mail.subject as string,
          text: mail.text as string,
          html: mail.html as string,
          messageId: mail.messageId as string,
          secure: session.secure,
          user: session.user as string | undefined
        })
        for (const check of waiting) check()
        callback()
      }
      parsed.then((mail) => {
        if (hold === undefined) return take(mail)
        const held = hold
        hold = undefined
        held(() => take(mail))
      }, callback)
    }
  }

  let server: SMTPServer | undefined
  const start = async (): Promise<void> => {
    server = new SMTPServer(serverOptions)
    server.on('error', () => {})
    await new Promise<void>((resolve) => (server as SMTPServer).listen(port, '127.0.0.1', resolve))
    port = ((server as unknown as { server: { address: () => AddressInfo } }).server.address()).port
  }
  const stop = async (): Promise<void> => {
    const running = server
    server = undefined
    if (running !== undefined) await new Promise<void>((resolve) => running.close(resolve))
  }
  await start()
  t.teardown(stop)

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    mails,
    async received (count) {
      return await new Promise((resolve) => {
        const check = (): void => {
          if (mails.length < count) return
          waiting.delete(check)
          resolve(mails.slice(0, count))
        }
        waiting.add(check)
        check()
      })
    },
    async holdNext () {
      return await new Promise((resolve) => {
        hold = (release) => resolve({ release })
      })
    },
    behave (next) { behaviour = next },
    stop,
    start
  }
}

/** The token of the link in a mail, read as a person's browser would: from the URL's fragment. */
export function linkToken (mail: ReceivedMail, page: string): string {
  const link = /https?:\/\/\S+/.exec(mail.text)?.[0]
  if (link === undefined) throw new Error(`no link in the mail "${mail.subject}"`)
  const url = new URL(link)
  if (!url.pathname.endsWith(`/${page}`)) throw new Error(`the link goes to ${url.pathname}, not ${page}`)
  if (url.search !== '') throw new Error('the link has a query string')
  return new URLSearchParams(url.hash.slice(1)).get('token') as string
}

/** An app that sends its mail to `server`. */
export async function mailingApp (t: Test, db: Database, server: MailServer, env: Env = {}): Promise<FastifyInstance> {
  return await buildTestApp(t, db, { SMTP_URL: server.url, PUBLIC_URL: 'https://dna.example.com', ...env })
}

/** Sends every due mail and waits until the server has `count` in all. */
export async function deliver (app: FastifyInstance, server: MailServer, count: number): Promise<ReceivedMail[]> {
  await app.mail.drain()
  return await server.received(count)
}
