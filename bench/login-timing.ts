// Does the response time of a failed login tell whether an email has an account? Starts the app
// on a real port, with the configured bcrypt cost, and times logins for unknown emails against
// logins for a known email with a wrong password, interleaved, then prints both medians side by
// side and their ratio: about 1.00 means the timing gives nothing away.
//
// `make bench-timing [LOGINS=n]`. A measurement to read, not a test: timings depend on the
// machine. It uses a scratch database on TEST_DATABASE_URL's server when that is set (created
// and dropped), else an in-memory embedded one; never DATABASE_URL nor ./data.
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { testDatabase } from '../test/helper.js'

const { values } = parseArgs({ options: { logins: { type: 'string', default: '40' } } })
const logins = Number(values.logins)
if (!Number.isInteger(logins) || logins < 1) throw new Error(`--logins must be a positive whole number, got '${values.logins}'`)
const WARM_UP = 5
const PASSWORD = 'violet-Harbor-93-kettle'

const config = loadConfig({
  ...process.env,
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

  async function login (email: string, password: string): Promise<{ status: number, ms: number }> {
    attempt += 1
    // 198.18.0.0/15 is set aside for benchmarks (RFC 2544); it is only a header value here.
    const client = `198.18.${Math.floor(attempt / 256) % 256}.${attempt % 256}`
    const started = performance.now()
    const response = await fetch(`${address}/api/v1/users/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify({ email, password })
    })
    await response.arrayBuffer()
    return { status: response.status, ms: performance.now() - started }
  }

  const signup = await fetch(`${address}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'known@example.com', password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' })
  })
  if (signup.status !== 201) throw new Error(`signup failed: ${signup.status} ${await signup.text()}`)

  const times = { unknown: [] as number[], known: [] as number[] }
  for (let i = 0; i < WARM_UP + logins; i++) {
    const kinds = Math.random() < 0.5 ? ['unknown', 'known'] as const : ['known', 'unknown'] as const
    for (const kind of kinds) {
      const { status, ms } = kind === 'unknown'
        ? await login(`nobody-${i}@example.com`, PASSWORD)
        : await login('known@example.com', `${PASSWORD}-wrong`)
      if (status !== 401) throw new Error(`expected 401 for a failed login, got ${status}`)
      if (i >= WARM_UP) times[kind].push(ms)
    }
  }

  const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  const row = (label: string, samples: number[]): string => {
    const sorted = [...samples].sort((a, b) => a - b)
    return `${label.padEnd(30)}${[0.5, 0.1, 0.9].map((q) => `${quantile(sorted, q).toFixed(1)} ms`.padStart(12)).join('')}`
  }
  const median = (samples: number[]): number => quantile([...samples].sort((a, b) => a - b), 0.5)
  const ratio = median(times.unknown) / median(times.known)

  process.stdout.write([
    `Failed logins over HTTP, ${logins} of each kind (after ${WARM_UP} to warm up), bcrypt cost ${config.bcryptCost}, ` +
      `${db.kind === 'embedded' ? 'embedded database' : 'PostgreSQL'}`,
    `${''.padEnd(30)}${'median'.padStart(12)}${'p10'.padStart(12)}${'p90'.padStart(12)}`,
    row('unknown email', times.unknown),
    row('known email, wrong password', times.known),
    `ratio of the medians, unknown / known: ${ratio.toFixed(3)} (1.000 means the time does not tell which emails have an account)`,
    ''
  ].join('\n'))
} finally {
  await app.close()
  for (const cleanup of cleanups.reverse()) await cleanup()
}
