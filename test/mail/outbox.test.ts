// The mail outbox against a real SMTP server that goes down, refuses, drops the connection,
// hangs or answers slowly: no request fails, no mail is lost, none is sent twice, and two
// instances never send the same one.
import { createServer, type Socket } from 'node:net'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetData, signUp, testDatabase } from '../helper.js'
import { captureLogs, silentServer } from '../support.js'
import { deliver, linkToken, mailingApp, mailServer, TLS_CERT } from '../mail-support.js'

const db = await testDatabase(t)
t.beforeEach(async () => await resetData(db))

interface Row { id: string, status: string, attempts: number, recipient: string | null, params: unknown, last_error: string | null }
const outbox = async (): Promise<Row[]> =>
  (await db.query<Row>('SELECT id::text, status, attempts, recipient, params, last_error FROM mail_outbox ORDER BY id')).rows
/** As if the backoff had passed. */
const makeDue = async (): Promise<void> => { await db.query('UPDATE mail_outbox SET next_attempt_at = now()') }

async function signUps (app: FastifyInstance, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await signUp(app, { email: `person${i}@example.com` })
}

t.test('an SMTP server that is down delays mail: requests succeed, and once it is up each mail arrives exactly once', async (t) => {
  const smtp = await mailServer(t)
  const logs = captureLogs()
  const app = await buildTestApp(t, db, { SMTP_URL: smtp.url, PUBLIC_URL: 'https://dna.example.com' }, { logger: logs.logger })
  await smtp.stop()
  await signUps(app, 3)
  t.same(await app.mail.drain(), { sent: 0, retried: 3, failed: 0 })
  const waiting = await outbox()
  t.same(waiting.map((row) => [row.status, row.attempts]), [['pending', 1], ['pending', 1], ['pending', 1]])
  t.match(waiting[0].last_error, /ESOCKET/, 'connection refused')
  t.same(await app.mail.drain(), { sent: 0, retried: 0, failed: 0 }, 'not due again before the backoff')

  await smtp.start()
  await makeDue()
  t.same(await app.mail.drain(), { sent: 3, retried: 0, failed: 0 })
  await makeDue()
  t.same(await app.mail.drain(), { sent: 0, retried: 0, failed: 0 }, 'a sent mail is never due again')
  t.same(smtp.mails.map((mail) => mail.to).sort(), ['person0@example.com', 'person1@example.com', 'person2@example.com'])
  t.equal(new Set(smtp.mails.map((mail) => mail.messageId)).size, 3)

  const retried = logs.lines.filter((line) => line.msg === 'mail not sent; will retry')
  t.equal(retried.length, 3)
  t.match(retried[0], { template: 'verify_email', attempt: 1, retryInSeconds: 30 })
  t.notMatch(JSON.stringify(logs.lines), /person\d@example\.com|token=/, 'no address and no link in the logs')
})

t.test('a temporary refusal is retried; a permanent one is given up at once, blanked, and logged', async (t) => {
  const smtp = await mailServer(t)
  const logs = captureLogs()
  const app = await buildTestApp(t, db, { SMTP_URL: smtp.url }, { logger: logs.logger })
  smtp.behave(451)
  await signUp(app, { email: 'ada@example.com' })
  t.same(await app.mail.drain(), { sent: 0, retried: 1, failed: 0 })
  t.match((await outbox())[0], { status: 'pending', last_error: /EENVELOPE.*451/ })
  smtp.behave(550)
  await makeDue()
  t.same(await app.mail.drain(), { sent: 0, retried: 0, failed: 1 })
  t.match((await outbox())[0], { status: 'failed', attempts: 2, recipient: null, params: null })
  const given = await logs.waitFor((line) => line.msg === 'mail given up: it could not be sent')
  t.match(given, { level: 50, template: 'verify_email', code: 'EENVELOPE', responseCode: 550 })
  t.notMatch(JSON.stringify(logs.lines), /ada@example\.com/)
})

t.test('a server that drops the connection, or never answers, gets the mail later', async (t) => {
  const dropped: Socket[] = []
  const dropping = createServer((socket) => { dropped.push(socket); socket.destroy() })
  await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => await new Promise((resolve) => dropping.close(resolve)))
  const dropUrl = `smtp://127.0.0.1:${(dropping.address() as { port: number }).port}`
  const app = await buildTestApp(t, db, { SMTP_URL: dropUrl })
  await signUp(app, { email: 'ada@example.com' })
  t.same(await app.mail.drain(), { sent: 0, retried: 1, failed: 0 })
  t.equal(dropped.length, 1)

  // The transport's own timeouts, shortened through the URL as nodemailer allows.
  const silent = await silentServer(t)
  const hung = await buildTestApp(t, db, { SMTP_URL: `smtp://127.0.0.1:${silent}/?greetingTimeout=200&connectionTimeout=200` })
  await makeDue()
  t.same(await hung.mail.drain(), { sent: 0, retried: 1, failed: 0 })
  t.match((await outbox())[0], { status: 'pending', attempts: 2, last_error: /ETIMEDOUT/ })

  const smtp = await mailServer(t)
  const working = await mailingApp(t, db, smtp)
  await makeDue()
  t.same(await working.mail.drain(), { sent: 1, retried: 0, failed: 0 })
  t.equal(smtp.mails.length, 1)
})

t.test('after 24 hours of failures a mail is given up', async (t) => {
  const smtp = await mailServer(t)
  const app = await mailingApp(t, db, smtp)
  await smtp.stop()
  await signUp(app, { email: 'ada@example.com' })
  await db.query("UPDATE mail_outbox SET created_at = now() - interval '24 hours'")
  t.same(await app.mail.drain(), { sent: 0, retried: 0, failed: 1 })
  t.match((await outbox())[0], { status: 'failed', recipient: null, params: null })
})

t.test('the backoff doubles from 30 seconds up to an hour', async (t) => {
  const { retryDelaySeconds } = await import('../../src/plugins/app/mail.js')
  t.same([1, 2, 3, 4, 7, 8, 20].map(retryDelaySeconds), [30, 60, 120, 240, 1920, 3600, 3600])
})

t.test('two instances draining one outbox at once send each mail once', async (t) => {
  const smtp = await mailServer(t)
  const first = await mailingApp(t, db, smtp)
  const second = await mailingApp(t, db, smtp)
  await signUps(first, 25)
  const [a, b] = await Promise.all([first.mail.drain(), second.mail.drain()])
  t.equal(a.sent + b.sent, 25)
  await smtp.received(25)
  t.equal(smtp.mails.length, 25)
  t.equal(new Set(smtp.mails.map((mail) => mail.to)).size, 25, 'no address got two')
  t.ok((await outbox()).every((row) => row.status === 'sent' && row.attempts === 1))
})

t.test('closing the app lets the send under way finish and gives the rest of its batch back', async (t) => {
  const smtp = await mailServer(t)
  const app = await buildTestApp(t, db, { SMTP_URL: smtp.url })
  await signUps(app, 3)
  const held = smtp.holdNext()
  const draining = app.mail.drain()
  const { release } = await held
  const closed = app.close()
  release()
  await closed
  t.same(await draining, { sent: 1, retried: 0, failed: 0 })
  t.same((await outbox()).map((row) => [row.status, row.attempts]), [['sent', 1], ['pending', 0], ['pending', 0]])
  t.same(await app.mail.drain(), { sent: 0, retried: 0, failed: 0 }, 'a closed app sends nothing')

  const next = await buildTestApp(t, db, { SMTP_URL: smtp.url })
  t.same(await next.mail.drain(), { sent: 2, retried: 0, failed: 0 }, 'another instance sends the rest at once')
  t.equal(smtp.mails.length, 3)
})

t.test('STARTTLS when the server offers it, and credentials from the URL', async (t) => {
  const smtp = await mailServer(t, { starttls: true, auth: { user: 'mailer', pass: 's3cret' } })
  // The test certificate is the trusted one, passed as nodemailer's `tls.ca` URL option.
  const url = `smtp://mailer:s3cret@127.0.0.1:${smtp.port}/?tls.ca=${encodeURIComponent(TLS_CERT)}`
  const app = await buildTestApp(t, db, { SMTP_URL: url })
  await signUp(app, { email: 'ada@example.com' })
  const [mail] = await deliver(app, smtp, 1)
  t.equal(mail.secure, true, 'upgraded with STARTTLS')
  t.equal(mail.user, 'mailer')

  const wrong = await buildTestApp(t, db, { SMTP_URL: `smtp://mailer:wrong@127.0.0.1:${smtp.port}/?tls.ca=${encodeURIComponent(TLS_CERT)}` })
  await signUp(app, { email: 'bob@example.com' })
  t.same(await wrong.mail.drain(), { sent: 0, retried: 1, failed: 0 }, 'refused credentials are retried: the operator can fix them')
  t.match((await outbox())[1], { last_error: /EAUTH/ })
})

t.test('a mail of a template this version does not know is given up, not retried for a day', async (t) => {
  const smtp = await mailServer(t)
  const app = await mailingApp(t, db, smtp)
  await db.query("INSERT INTO mail_outbox (template, recipient, params) VALUES ('from_the_future', 'ada@example.com', '{}')")
  t.same(await app.mail.drain(), { sent: 0, retried: 0, failed: 1 })
  t.equal(smtp.mails.length, 0)
})

t.test('cleanup deletes expired tokens and mails finished a week ago', async (t) => {
  const smtp = await mailServer(t)
  const app = await mailingApp(t, db, smtp)
  await signUps(app, 2)
  await deliver(app, smtp, 2)
  await db.query("UPDATE mail_outbox SET finished_at = now() - interval '8 days' WHERE id = (SELECT min(id) FROM mail_outbox)")
  await db.query("UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE user_id = (SELECT min(id) FROM users)")
  t.same(await app.mail.cleanup(), { tokens: 1, mails: 1 })
  t.equal((await outbox()).length, 1)
  const [mail] = smtp.mails
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users/email-verification/confirm', payload: { token: linkToken(mail, 'verify-email.html') } })).statusCode, 400)
})
