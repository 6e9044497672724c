// Does the response time of a failed login, or of a password-reset request, tell whether an email
// has an account? Starts the app on a real port, with the configured bcrypt cost, and times logins
// for unknown emails against logins for a known email with a wrong password, then reset requests
// for unknown addresses against reset requests for known ones (each known address asked once, so
// the limit of three an hour never answers instead), interleaved, and prints the medians side by
// side with their ratio: about 1.00 means the timing gives nothing away.
//
// `make bench-timing [LOGINS=n]`. A measurement to read, not a test: timings depend on the
// machine. It uses a scratch database on TEST_DATABASE_URL's server when that is set (created
// and dropped), else an in-memory embedded one; never DATABASE_URL nor ./data.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { testDatabase } from '../test/helper.js'

const { values } = parseArgs({ options: { logins: { type: 'string', default: '40' } } })
const logins = Number(values.logins)
if (!Number.isInteger(logins) || logins < 1) throw new Error(`--logins must be a positive whole number, got '${values.logins}'`)
const WARM_UP = 5
const PASSWORD = 'violet-Harbor-93-kettle'

// The reset mails are written as .eml files here (no SMTP_URL), never under ./data.
const dataDir = mkdtempSync(join(tmpdir(), 'dna-api-timing-'))
const config = loadConfig({
  ...process.env,
  DATA_DIR: dataDir,
  SMTP_URL: '',
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  JWT_SECRET: randomBytes(32).toString('hex'),
  // Each attempt comes from its own address (X-Forwarded-For), so neither the lockout nor the
  // per-IP limit answers in place of bcrypt; the one hop is the benchmark itself.
  TRUST_PROXY: '1',
  AUTH_RATE_LIMIT: '1000000',
  CAPTCHA: 'off'
})

const cleanups: Array<() => unknown> = []
const db = await testDatabase({ teardown: (fn) => cleanups.push(fn) }, config)
const app = await buildApp(config, { logger: false, db })
try {
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  let attempt = 0

  async function post (path: string, body: Record<string, unknown>): Promise<{ status: number, ms: number }> {
    attempt += 1
    // 198.18.0.0/15 is set aside for benchmarks (RFC 2544); it is only a header value here.
    const client = `198.18.${Math.floor(attempt / 256) % 256}.${attempt % 256}`
    const started = performance.now()
    const response = await fetch(`${address}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify(body)
    })
    await response.arrayBuffer()
    return { status: response.status, ms: performance.now() - started }
  }

  const signUp = async (email: string): Promise<void> => {
    const { status } = await post('/api/v1/users', { email, password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' })
    if (status !== 201) throw new Error(`signup of ${email} failed: ${status}`)
  }
  await signUp('known@example.com')
  for (let i = 0; i < WARM_UP + logins; i++) await signUp(`known-${i}@example.com`)

  type Times = Record<'unknown' | 'known', number[]>
  /** Both kinds of request, `logins` of each after a warm-up, in a random order each round. */
  async function compare (expected: number, send: (kind: 'unknown' | 'known', i: number) => Promise<{ status: number, ms: number }>): Promise<Times> {
    const times: Times = { unknown: [], known: [] }
    for (let i = 0; i < WARM_UP + logins; i++) {
      const kinds = Math.random() < 0.5 ? ['unknown', 'known'] as const : ['known', 'unknown'] as const
      for (const kind of kinds) {
        const { status, ms } = await send(kind, i)
        if (status !== expected) throw new Error(`expected ${expected}, got ${status}`)
        if (i >= WARM_UP) times[kind].push(ms)
      }
    }
    return times
  }

  const failedLogins = await compare(401, async (kind, i) => kind === 'unknown'
    ? await post('/api/v1/users/login', { email: `nobody-${i}@example.com`, password: PASSWORD })
    : await post('/api/v1/users/login', { email: 'known@example.com', password: `${PASSWORD}-wrong` }))
  const resets = await compare(202, async (kind, i) =>
    await post('/api/v1/users/password-reset', { email: kind === 'unknown' ? `nobody-${i}@example.com` : `known-${i}@example.com` }))

  const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  const row = (label: string, samples: number[]): string => {
    const sorted = [...samples].sort((a, b) => a - b)
    return `${label.padEnd(30)}${[0.5, 0.1, 0.9].map((q) => `${quantile(sorted, q).toFixed(1)} ms`.padStart(12)).join('')}`
  }
  const median = (samples: number[]): number => quantile([...samples].sort((a, b) => a - b), 0.5)
  const ratio = (times: Times): string => (median(times.unknown) / median(times.known)).toFixed(3)

  process.stdout.write([
    `Over HTTP, ${logins} of each kind (after ${WARM_UP} to warm up), bcrypt cost ${config.bcryptCost}, ` +
      `${db.kind === 'embedded' ? 'embedded database' : 'PostgreSQL'}`,
    `${''.padEnd(30)}${'median'.padStart(12)}${'p10'.padStart(12)}${'p90'.padStart(12)}`,
    row('failed login, unknown email', failedLogins.unknown),
    row('failed login, known email', failedLogins.known),
    row('reset request, unknown email', resets.unknown),
    row('reset request, known email', resets.known),
    `ratio of the medians, unknown / known: login ${ratio(failedLogins)}, reset request ${ratio(resets)} ` +
      '(1.000 means the time does not tell which emails have an account)',
    ''
  ].join('\n'))
} finally {
  await app.close()
  for (const cleanup of cleanups.reverse()) await cleanup()
  rmSync(dataDir, { recursive: true, force: true })
}
