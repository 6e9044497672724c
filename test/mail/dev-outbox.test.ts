// Development without SMTP_URL: the server writes each mail as an .eml file under
// DATA_DIR/outbox, says so at start-up, and logs where each one went, never the link.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { simpleParser } from 'mailparser'
import { logLines, serve, tempDir } from '../support.js'
import { migrateDataDir, PASSWORD } from '../helper.js'

t.test('mails become .eml files under DATA_DIR/outbox, found by the log line and not by the link', async (t) => {
  const dataDir = tempDir(t)
  await migrateDataDir(dataDir)

  const { server, url } = await serve(t, { DATA_DIR: dataDir, NODE_ENV: 'development', PUBLIC_URL: 'http://localhost:3000' })
  const outboxDir = join(dataDir, 'outbox')
  t.ok(logLines(server.output.stdout).some((line) => line.msg === `SMTP_URL is not set: mails are written as .eml files under ${outboxDir}`),
    'the start-up log says where mail goes')

  const signup = await fetch(`${url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ada@example.com', password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' })
  })
  t.equal(signup.status, 201)
  const output = await server.waitFor('stdout', (text) => /mail written to/.test(text))
  const written = logLines(output).find((line) => /^mail written to /.test(line.msg))
  const file = written?.file as string
  t.ok(file.startsWith(outboxDir) && file.endsWith('.eml'))

  const mail = await simpleParser(readFileSync(file))
  t.equal(mail.subject, 'Confirm your email address for dna-api')
  const link = /http:\/\/localhost:3000\/verify-email\.html#token=(\S+)/.exec(mail.text as string)
  t.ok(link, 'the link, in the file')
  const token = (link as RegExpExecArray)[1]

  const confirmed = await fetch(`${url}/api/v1/users/email-verification/confirm`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token })
  })
  t.equal(confirmed.status, 200)
  t.equal((await confirmed.json() as { email_verified: boolean }).email_verified, true)

  server.child.kill('SIGTERM')
  t.same(await server.closed, { code: 0, signal: null })
  t.notMatch(server.output.stdout + server.output.stderr, new RegExp(`${token}|ada@example\\.com|verify-email\\.html`), 'no token, address or link in the logs')
})
