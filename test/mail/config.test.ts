// The mail settings: SMTP_URL, MAIL_FROM and PUBLIC_URL, and what production requires.
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'

const SECRET = 'a-production-secret-that-is-long-enough-0123456789'
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: SECRET, DATA_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`, SMTP_URL: 'smtp://mailer:pw@smtp.example.com:587', PUBLIC_URL: 'https://dna.example.com' }

const refusal = (env: Record<string, string>): ConfigError => {
  try {
    loadConfig(env)
  } catch (error) {
    return error as ConfigError
  }
  throw new Error('the configuration was accepted')
}

t.test('production needs an SMTP server and the public address of the pages', async (t) => {
  t.match(loadConfig(PRODUCTION), { smtpUrl: PRODUCTION.SMTP_URL, publicUrl: 'https://dna.example.com', mailFrom: 'dna-api <no-reply@localhost>' })
  const { SMTP_URL: _smtp, ...noSmtp } = PRODUCTION
  t.match(refusal(noSmtp), { name: 'ConfigError', message: /^SMTP_URL: required in production/ })
  const { PUBLIC_URL: _public, ...noPublic } = PRODUCTION
  t.match(refusal(noPublic), { name: 'ConfigError', message: /^PUBLIC_URL: required in production/ })
})

t.test('SMTP_URL is an smtp:// or smtps:// URL with a host', async (t) => {
  t.equal(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.com:465' }).smtpUrl, 'smtps://u:p@mail.example.com:465')
  for (const bad of ['mail.example.com', 'http://mail.example.com', 'smtp://', 'smtp:///path']) {
    t.match(refusal({ SMTP_URL: bad }).message, /^SMTP_URL: expected a URL like smtp:\/\/user:password@host:587/, bad)
  }
  t.equal(loadConfig({}).smtpUrl, undefined, 'optional in development')
})

t.test('PUBLIC_URL defaults to this server\'s own address and loses a trailing slash', async (t) => {
  t.equal(loadConfig({}).publicUrl, 'http://127.0.0.1:3000')
  t.equal(loadConfig({ HOST: '::1', PORT: '8080' }).publicUrl, 'http://[::1]:8080')
  t.equal(loadConfig({ PUBLIC_URL: 'https://dna.example.com/accounts/' }).publicUrl, 'https://dna.example.com/accounts')
  for (const bad of ['dna.example.com', 'ftp://dna.example.com', 'https://dna.example.com/?a=1', 'https://dna.example.com/#x', 'https://u:p@dna.example.com']) {
    t.match(refusal({ PUBLIC_URL: bad }).message, /^PUBLIC_URL: expected an http\(s\) URL without query or fragment/, bad)
  }
})

t.test('MAIL_FROM is the From of every mail', async (t) => {
  t.equal(loadConfig({ MAIL_FROM: 'DNA Lab <lab@example.com>' }).mailFrom, 'DNA Lab <lab@example.com>')
})

t.test('with TLS served directly, the default PUBLIC_URL is https', async (t) => {
  t.equal(loadConfig({ TLS_CERT_FILE: 'test/fixtures/tls/cert.pem', TLS_KEY_FILE: 'test/fixtures/tls/key.pem', HOST: 'localhost', PORT: '8443' }).publicUrl,
    'https://localhost:8443')
})
