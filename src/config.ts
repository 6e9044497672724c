// The only module that reads the environment. Everything else receives a Config.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { isProxyAddress, type ProxyTrust } from './http/client-address.js'

export interface Config {
  env: 'development' | 'production' | 'test'
  port: number
  host: string
  /** Real PostgreSQL; when absent the embedded database under `dataDir` is used. */
  databaseUrl: string | undefined
  testDatabaseUrl: string | undefined
  dataDir: string
  /** How long a request waits for a database connection (a new one, or a free one from the pool) before a 503. */
  databaseConnectTimeoutMs: number
  /** PostgreSQL cancels a statement running longer than this, and the client gives up this plus the connect timeout later; 0: neither. */
  databaseStatementTimeoutMs: number
  /** Connections each instance may open. */
  databasePoolSize: number
  jwtSecret: string
  /** The keys that encrypt health data at rest, the current one first (`DATA_KEYS`). */
  dataKeys: DataKey[]
  jwtTtl: number
  jwtRememberTtl: number
  bcryptCost: number
  loginMaxFailures: number
  loginLockSeconds: number
  authRateLimit: number
  /** Whose X-Forwarded-For entries are believed: a number of proxy hops, their addresses/CIDRs, or nobody (false). */
  trustProxy: ProxyTrust
  corsOrigins: string[]
  logLevel: string
  tlsCertFile: string | undefined
  tlsKeyFile: string | undefined
  captcha: boolean
  /** Proof of work per signup when the captcha is on: the largest number of key derivations a solver may need. */
  captchaDifficulty: number
  /** Shed load (503) while the event loop lags more than this on average; 0 never sheds. */
  maxEventLoopDelayMs: number
  /** A request (headers and body) must have arrived in full within this; a slower one gets a 408. */
  requestTimeoutMs: number
  /** Live sessions a user may have; starting one more ends the oldest. */
  maxSessionsPerUser: number
  /** `required`: admin endpoints answer only sessions that began with a second factor. */
  adminMfa: 'required' | 'optional'
  /** smtp:// or smtps:// server for outgoing mail; without it (development only) mails are .eml files under DATA_DIR/outbox. */
  smtpUrl: string | undefined
  /** The From of every mail. */
  mailFrom: string
  /** The base of every link in a mail, without a trailing slash. */
  publicUrl: string
  /** Where GET /metrics (Prometheus) listens, apart from the service; off when the port is undefined. */
  metricsPort: number | undefined
  metricsHost: string
  /** Things worth telling the operator at start-up, e.g. a generated secret. */
  warnings: string[]
}

export type Env = Record<string, string | undefined>

/** Every variable `loadConfig` reads (test/config.test.ts holds the two to each other). */
export const CONFIG_VARIABLES = [
  'NODE_ENV', 'PORT', 'HOST', 'DATABASE_URL', 'TEST_DATABASE_URL', 'DATA_DIR',
  'DATABASE_CONNECT_TIMEOUT_MS', 'DATABASE_STATEMENT_TIMEOUT_MS', 'DATABASE_POOL_SIZE',
  'JWT_SECRET', 'JWT_TTL', 'JWT_REMEMBER_TTL', 'BCRYPT_COST', 'LOGIN_MAX_FAILURES',
  'LOGIN_LOCK_SECONDS', 'AUTH_RATE_LIMIT', 'TRUST_PROXY', 'CORS_ORIGINS', 'LOG_LEVEL',
  'TLS_CERT_FILE', 'TLS_KEY_FILE', 'CAPTCHA', 'CAPTCHA_DIFFICULTY', 'MAX_EVENT_LOOP_DELAY_MS',
  'REQUEST_TIMEOUT_MS', 'MAX_SESSIONS_PER_USER', 'ADMIN_MFA', 'SMTP_URL', 'MAIL_FROM', 'PUBLIC_URL', 'DATA_KEYS', 'METRICS_PORT', 'METRICS_HOST'
] as const
/** A key of `DATA_KEYS`: its id, stored with every value it encrypts, and its 32 bytes (AES-256). */
export interface DataKey {
  id: string
  key: Buffer
}

/** The value shipped in `.env.sample`; a production server must not run with it. */
export const SAMPLE_JWT_SECRET = 'replace-me-with-at-least-32-random-bytes-0123456789'

export class ConfigError extends Error {
  constructor (variable: string, problem: string) {
    super(`${variable}: ${problem}`)
    this.name = 'ConfigError'
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 }

/** Reads `.env` into the environment when the file exists; real variables win. */
export function readDotEnv (path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path)
}

export function loadConfig (env: Env = process.env): Config {
  const warnings: string[] = []
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'], 'development') as Config['env']
  const production = nodeEnv === 'production'

  const tlsCertFile = optional(env, 'TLS_CERT_FILE')
  const tlsKeyFile = optional(env, 'TLS_KEY_FILE')
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) {
    throw new ConfigError(tlsCertFile === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE', 'set both TLS_CERT_FILE and TLS_KEY_FILE, or neither')
  }
  for (const [name, file] of [['TLS_CERT_FILE', tlsCertFile], ['TLS_KEY_FILE', tlsKeyFile]] as const) {
    if (file !== undefined && !existsSync(file)) throw new ConfigError(name, `file not found: ${file}`)
  }

  const dataDir = optional(env, 'DATA_DIR') ?? 'data'
  const port = integer(env, 'PORT', 3000, 0, 65535)
  const host = hostname(env, 'HOST', production ? '0.0.0.0' : '127.0.0.1')

  return {
    env: nodeEnv,
    port,
    host,
    databaseUrl: postgresUrl(env, 'DATABASE_URL'),
    testDatabaseUrl: postgresUrl(env, 'TEST_DATABASE_URL'),
    dataDir,
    databaseConnectTimeoutMs: integer(env, 'DATABASE_CONNECT_TIMEOUT_MS', 1000, 1, 60_000),
    databaseStatementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 5000, 0, 3_600_000),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    jwtSecret: jwtSecret(env, production, dataDir, warnings),
    dataKeys: dataKeys(env, production, dataDir, warnings),
    jwtTtl: duration(env, 'JWT_TTL', 3600),
    jwtRememberTtl: duration(env, 'JWT_REMEMBER_TTL', 30 * 86400),
    bcryptCost: integer(env, 'BCRYPT_COST', 12, 4, 31),
    loginMaxFailures: integer(env, 'LOGIN_MAX_FAILURES', 3, 1, 1000),
    loginLockSeconds: integer(env, 'LOGIN_LOCK_SECONDS', 900, 1, 31 * 86400),
    authRateLimit: integer(env, 'AUTH_RATE_LIMIT', 100, 1, 1_000_000),
    trustProxy: trustProxy(env),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    tlsCertFile,
    tlsKeyFile,
    captcha: oneOf(env, 'CAPTCHA', ['on', 'off'], 'off') === 'on',
    captchaDifficulty: integer(env, 'CAPTCHA_DIFFICULTY', 5000, 1, 10_000_000),
    maxEventLoopDelayMs: integer(env, 'MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 60_000),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    maxSessionsPerUser: integer(env, 'MAX_SESSIONS_PER_USER', 20, 1, 1000),
    adminMfa: oneOf(env, 'ADMIN_MFA', ['required', 'optional'], production ? 'required' : 'optional') as Config['adminMfa'],
    smtpUrl: smtp(env, production),
    mailFrom: optional(env, 'MAIL_FROM') ?? 'dna-api <no-reply@localhost>',
    publicUrl: publicUrl(env, production, `${tlsCertFile === undefined ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${port}`),
    metricsPort: optional(env, 'METRICS_PORT') === undefined ? undefined : integer(env, 'METRICS_PORT', 0, 0, 65535),
    metricsHost: hostname(env, 'METRICS_HOST', '127.0.0.1'),
    warnings
  }
}

function optional (env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

/** An IP address or a host name, not checked further: listen() reports what it cannot bind. */
function hostname (env: Env, name: string, fallback: string): string {
  const value = optional(env, name) ?? fallback
  if (!/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|[0-9A-Fa-f:.]+)$/.test(value)) {
    throw new ConfigError(name, `expected an IP address or a host name, got '${value}'`)
  }
  return value
}

function oneOf (env: Env, name: string, allowed: string[], fallback: string): string {
  const value = optional(env, name) ?? fallback
  if (!allowed.includes(value)) throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got '${value}'`)
  return value
}

function integer (env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name)
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got '${raw}'`)
  }
  return value
}

/** Seconds, or a number with a unit: `90`, `15m`, `1h`, `30d`. */
function duration (env: Env, name: string, fallback: number): number {
  const raw = optional(env, name)
  if (raw === undefined) return fallback
  const match = /^(\d+)\s*([smhd]?)$/.exec(raw)
  const seconds = match === null ? 0 : Number(match[1]) * DURATION_UNITS[match[2] === '' ? 's' : match[2]]
  if (seconds < 1 || seconds > 366 * 86400) {
    throw new ConfigError(name, `expected a duration from 1 second to 366 days such as 3600, 15m, 1h or 30d, got '${raw}'`)
  }
  return seconds
}

function postgresUrl (env: Env, name: string): string | undefined {
  const raw = optional(env, name)
  if (raw === undefined) return undefined
  let protocol = ''
  try {
    protocol = new URL(raw).protocol
  } catch {}
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new ConfigError(name, 'expected a URL like postgres://user:password@host:5432/database')
  }
  return raw
}

function jwtSecret (env: Env, production: boolean, dataDir: string, warnings: string[]): string {
  const secret = optional(env, 'JWT_SECRET')
  if (secret === undefined) {
    if (production) throw new ConfigError('JWT_SECRET', 'required in production (at least 32 bytes, e.g. `openssl rand -base64 48`)')
    return keptSecret(dataDir, warnings)
  }
  if (Buffer.byteLength(secret) < 32) throw new ConfigError('JWT_SECRET', `must be at least 32 bytes, got ${Buffer.byteLength(secret)}`)
  if (production && secret === SAMPLE_JWT_SECRET) throw new ConfigError('JWT_SECRET', 'is the sample value from .env.sample; generate your own')
  return secret
}

/** Where a development server without JWT_SECRET keeps the secret it made, so that restarts keep everyone logged in. */
export const secretFile = (dataDir: string): string => join(dataDir, 'jwt-secret')

/**
 * The secret in DATA_DIR/jwt-secret, made (readable by this OS user only) when the file does not
 * exist yet. When it cannot be written, a random secret for this process only, as before.
 */
function keptSecret (dataDir: string, warnings: string[]): string {
  const file = secretFile(dataDir)
  if (!existsSync(file)) {
    const made = randomBytes(48).toString('base64url')
    try {
      mkdirSync(dataDir, { recursive: true })
      writeFileSync(file, `${made}\n`, { mode: 0o600, flag: 'wx' })
    } catch (error) {
      warnings.push(`JWT_SECRET is not set and ${file} cannot be written (${(error as Error).message}): ` +
        'using a random secret for this process, so tokens die with it')
      return made
    }
    warnings.push(`JWT_SECRET is not set: made a random one and saved it in ${file} (readable by this user only) ` +
      'for later starts to reuse; production needs JWT_SECRET')
    return made
  }
  const kept = readFileSync(file, 'utf8').trim()
  if (Buffer.byteLength(kept) < 32) {
    throw new ConfigError('JWT_SECRET', `not set, and ${file} holds ${Buffer.byteLength(kept)} bytes instead of at least 32: ` +
      'delete the file to have a new secret made, or set JWT_SECRET')
  }
  return kept
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/
/** 32 bytes in base64 or base64url, padded or not. */
const KEY_BYTES = /^[A-Za-z0-9+/_-]{43}=?$/
const DATA_KEYS_FORMAT = 'expected comma-separated id:key pairs, the current key first, each key 32 random bytes in base64 ' +
  '(e.g. DATA_KEYS="k1:$(openssl rand -base64 32)"), ids of 1 to 32 letters, digits, - or _'

/**
 * DATA_KEYS, or in development and tests the key kept in DATA_DIR/data-keys (made on the first
 * start). Unlike the JWT secret there is no fallback to a key for this process only: what it
 * encrypted would be unreadable after a restart. Messages never show key material.
 */
function dataKeys (env: Env, production: boolean, dataDir: string, warnings: string[]): DataKey[] {
  const raw = optional(env, 'DATA_KEYS')
  if (raw !== undefined) return parseDataKeys(raw, 'DATA_KEYS')
  if (production) throw new ConfigError('DATA_KEYS', `required in production: ${DATA_KEYS_FORMAT}`)
  const file = dataKeysFile(dataDir)
  if (!existsSync(file)) {
    const made = `dev-${randomBytes(4).toString('hex')}:${randomBytes(32).toString('base64')}`
    try {
      mkdirSync(dataDir, { recursive: true })
      writeFileSync(file, `${made}\n`, { mode: 0o600, flag: 'wx' })
    } catch (error) {
      throw new ConfigError('DATA_KEYS', `not set, and ${file} cannot be written (${(error as Error).message}): set DATA_KEYS, or make DATA_DIR writable`)
    }
    warnings.push(`DATA_KEYS is not set: made a key for the health data and saved it in ${file} (readable by this user only) ` +
      'for later starts to reuse; production needs DATA_KEYS')
  }
  return parseDataKeys(readFileSync(file, 'utf8').trim(), `DATA_KEYS (not set, read from ${file})`)
}

/** Where a development server without DATA_KEYS keeps the key it made: losing it loses the health data it encrypted. */
export const dataKeysFile = (dataDir: string): string => join(dataDir, 'data-keys')

function parseDataKeys (raw: string, source: string): DataKey[] {
  const keys: DataKey[] = []
  for (const [index, entry] of raw.split(',').map((part) => part.trim()).entries()) {
    const separator = entry.indexOf(':')
    const id = entry.slice(0, separator)
    const encoded = entry.slice(separator + 1)
    const at = `key ${index + 1}`
    if (separator < 0 || !KEY_ID.test(id)) throw new ConfigError(source, `${at} has no valid id before its ':'; ${DATA_KEYS_FORMAT}`)
    if (!KEY_BYTES.test(encoded)) throw new ConfigError(source, `key '${id}' is not 32 bytes in base64; ${DATA_KEYS_FORMAT}`)
    if (keys.some((key) => key.id === id)) throw new ConfigError(source, `key id '${id}' appears twice; each key needs an id of its own`)
    keys.push({ id, key: Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64') })
  }
  return keys
}

const MAX_PROXY_HOPS = 16
const HEROKU = "1 behind Heroku's router or one load balancer, 2 behind a CDN and a load balancer"

/**
 * A hop count or the proxies' addresses: the client is then the right-most X-Forwarded-For entry
 * that no trusted proxy added. `true` would make it the left-most one, which the client writes.
 */
function trustProxy (env: Env): ProxyTrust {
  const raw = optional(env, 'TRUST_PROXY') ?? 'false'
  if (raw === 'false' || raw === '0') return false
  if (raw === 'true') {
    throw new ConfigError('TRUST_PROXY', "'true' would let any client pick its own address in X-Forwarded-For; " +
      `set the number of proxies in front of the service (${HEROKU}), or their addresses or CIDRs`)
  }
  if (/^\d+$/.test(raw) && Number(raw) <= MAX_PROXY_HOPS) return Number(raw)
  const proxies = raw.split(',').map((entry) => entry.trim())
  if (!proxies.every(isProxyAddress)) {
    throw new ConfigError('TRUST_PROXY', `expected false, a number of proxy hops up to ${MAX_PROXY_HOPS} (${HEROKU}), ` +
      `or a comma-separated list of proxy addresses or CIDRs such as 10.0.0.0/8, got '${raw}'`)
  }
  return proxies
}

function origins (env: Env, name: string): string[] {
  const raw = optional(env, name)
  if (raw === undefined) return []
  return raw.split(',').map((part) => part.trim()).filter((part) => part !== '').map((origin) => {
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {}
    if (parsed === undefined || parsed.origin !== origin) {
      throw new ConfigError(name, `expected a comma-separated list of origins like https://app.example.com, got '${origin}'`)
    }
    return origin
  })
}

/** Credentials travel in the URL (`smtp://user:pass@host:587`); nothing of it is ever logged. */
function smtp (env: Env, production: boolean): string | undefined {
  const raw = optional(env, 'SMTP_URL')
  if (raw === undefined) {
    if (production) throw new ConfigError('SMTP_URL', 'required in production, e.g. smtp://user:password@smtp.example.com:587 or smtps://…:465')
    return undefined
  }
  let url: URL | undefined
  try {
    url = new URL(raw)
  } catch {}
  if (url === undefined || !['smtp:', 'smtps:'].includes(url.protocol) || url.hostname === '') {
    throw new ConfigError('SMTP_URL', 'expected a URL like smtp://user:password@host:587 or smtps://user:password@host:465')
  }
  return raw
}

function publicUrl (env: Env, production: boolean, fallback: string): string {
  const raw = optional(env, 'PUBLIC_URL')
  if (raw === undefined && production) throw new ConfigError('PUBLIC_URL', 'required in production: the address people open the pages at, e.g. https://dna.example.com')
  const value = raw ?? fallback
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {}
  if (url === undefined || !['http:', 'https:'].includes(url.protocol) || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError('PUBLIC_URL', `expected an http(s) URL without query or fragment, like https://dna.example.com, got '${value}'`)
  }
  return url.href.replace(/\/+$/, '')
}
