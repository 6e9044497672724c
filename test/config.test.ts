import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig, readDotEnv, SAMPLE_JWT_SECRET, type Env } from '../src/config.js'

const SECRET = 'x'.repeat(32)
const dir = mkdtempSync(join(tmpdir(), 'dna-api-config-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const cert = join(dir, 'cert.pem')
const key = join(dir, 'key.pem')
writeFileSync(cert, 'not read by loadConfig')
writeFileSync(key, 'not read by loadConfig')

/** The message of the ConfigError that `env` causes. */
function refusal (env: Env): string {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.message
    throw error
  }
  return 'accepted'
}

t.test('defaults: a development server on localhost with the embedded database', async (t) => {
  const config = loadConfig({ JWT_SECRET: SECRET })
  t.match(config, {
    env: 'development',
    port: 3000,
    host: '127.0.0.1',
    databaseUrl: undefined,
    testDatabaseUrl: undefined,
    dataDir: 'data',
    jwtSecret: SECRET,
    jwtTtl: 3600,
    jwtRememberTtl: 30 * 86400,
    bcryptCost: 12,
    loginMaxFailures: 3,
    loginLockSeconds: 900,
    authRateLimit: 100,
    trustProxy: false,
    corsOrigins: [],
    logLevel: 'info',
    tlsCertFile: undefined,
    tlsKeyFile: undefined,
    captcha: false,
    captchaDifficulty: 5000,
    warnings: []
  })
  t.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).host, '0.0.0.0', 'production listens on every interface')
})

t.test('every variable is read, and blank means unset', async (t) => {
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '8080',
    HOST: ' 10.1.2.3 ',
    DATABASE_URL: 'postgres://app@db.internal:5432/dna',
    TEST_DATABASE_URL: 'postgresql://postgres@127.0.0.1/postgres',
    DATA_DIR: '/var/lib/dna-api',
    JWT_SECRET: SECRET,
    JWT_TTL: '15m',
    JWT_REMEMBER_TTL: '7d',
    BCRYPT_COST: '10',
    LOGIN_MAX_FAILURES: '5',
    LOGIN_LOCK_SECONDS: '60',
    AUTH_RATE_LIMIT: '20',
    TRUST_PROXY: 'true',
    CORS_ORIGINS: 'https://app.example.com, http://localhost:5173,',
    LOG_LEVEL: 'debug',
    TLS_CERT_FILE: cert,
    TLS_KEY_FILE: key,
    CAPTCHA: 'on',
    CAPTCHA_DIFFICULTY: '20000'
  })
  t.match(config, {
    env: 'test',
    port: 8080,
    host: '10.1.2.3',
    databaseUrl: 'postgres://app@db.internal:5432/dna',
    testDatabaseUrl: 'postgresql://postgres@127.0.0.1/postgres',
    dataDir: '/var/lib/dna-api',
    jwtTtl: 900,
    jwtRememberTtl: 7 * 86400,
    bcryptCost: 10,
    loginMaxFailures: 5,
    loginLockSeconds: 60,
    authRateLimit: 20,
    trustProxy: true,
    corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
    logLevel: 'debug',
    tlsCertFile: cert,
    tlsKeyFile: key,
    captcha: true,
    captchaDifficulty: 20000
  })
  t.equal(loadConfig({ JWT_SECRET: SECRET, PORT: '  ', JWT_TTL: '90', JWT_REMEMBER_TTL: '2h' }).port, 3000)
  t.equal(loadConfig({ JWT_SECRET: SECRET, JWT_TTL: '90' }).jwtTtl, 90, 'a bare number is seconds')
  t.equal(loadConfig({ JWT_SECRET: SECRET, JWT_TTL: '2h' }).jwtTtl, 7200)
})

t.test('JWT_SECRET: production refuses to start without a strong one of its own', async (t) => {
  t.equal(refusal({ NODE_ENV: 'production' }), 'JWT_SECRET: required in production (at least 32 bytes, e.g. `openssl rand -base64 48`)')
  t.equal(refusal({ NODE_ENV: 'production', JWT_SECRET: '   ' }), 'JWT_SECRET: required in production (at least 32 bytes, e.g. `openssl rand -base64 48`)')
  t.equal(refusal({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(31) }), 'JWT_SECRET: must be at least 32 bytes, got 31')
  t.equal(refusal({ NODE_ENV: 'production', JWT_SECRET: SAMPLE_JWT_SECRET }), 'JWT_SECRET: is the sample value from .env.sample; generate your own')
  t.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'é'.repeat(16) }).jwtSecret, 'é'.repeat(16), '32 bytes of UTF-8 is enough')
})

t.test('JWT_SECRET: development generates one and says so, accepts the sample, refuses a short one', async (t) => {
  const first = loadConfig({})
  const second = loadConfig({})
  t.ok(Buffer.byteLength(first.jwtSecret) >= 32)
  t.not(first.jwtSecret, second.jwtSecret, 'random each time')
  t.same(first.warnings, ['JWT_SECRET is not set: using a random secret for this process, so tokens die with it'])
  t.equal(loadConfig({ JWT_SECRET: SAMPLE_JWT_SECRET }).jwtSecret, SAMPLE_JWT_SECRET)
  t.equal(refusal({ JWT_SECRET: 'short' }), 'JWT_SECRET: must be at least 32 bytes, got 5')
})

t.test('TLS needs both files, and they must exist', async (t) => {
  t.equal(refusal({ JWT_SECRET: SECRET, TLS_CERT_FILE: cert }), 'TLS_KEY_FILE: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither')
  t.equal(refusal({ JWT_SECRET: SECRET, TLS_KEY_FILE: key }), 'TLS_CERT_FILE: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither')
  const missing = join(dir, 'missing.pem')
  t.equal(refusal({ JWT_SECRET: SECRET, TLS_CERT_FILE: missing, TLS_KEY_FILE: key }), `TLS_CERT_FILE: file not found: ${missing}`)
  t.equal(refusal({ JWT_SECRET: SECRET, TLS_CERT_FILE: cert, TLS_KEY_FILE: missing }), `TLS_KEY_FILE: file not found: ${missing}`)
})

t.test('a bad value names the variable and says what is expected', async (t) => {
  const cases: Array<[Env, string]> = [
    [{ NODE_ENV: 'staging' }, "NODE_ENV: expected one of development, production, test, got 'staging'"],
    [{ PORT: 'http' }, "PORT: expected a whole number from 0 to 65535, got 'http'"],
    [{ PORT: '70000' }, "PORT: expected a whole number from 0 to 65535, got '70000'"],
    [{ BCRYPT_COST: '3' }, "BCRYPT_COST: expected a whole number from 4 to 31, got '3'"],
    [{ LOGIN_MAX_FAILURES: '-1' }, "LOGIN_MAX_FAILURES: expected a whole number from 1 to 1000, got '-1'"],
    [{ JWT_TTL: '1w' }, "JWT_TTL: expected a duration from 1 second to 366 days such as 3600, 15m, 1h or 30d, got '1w'"],
    [{ JWT_TTL: '0' }, "JWT_TTL: expected a duration from 1 second to 366 days such as 3600, 15m, 1h or 30d, got '0'"],
    [{ JWT_REMEMBER_TTL: '400d' }, "JWT_REMEMBER_TTL: expected a duration from 1 second to 366 days such as 3600, 15m, 1h or 30d, got '400d'"],
    [{ DATABASE_URL: 'mysql://root@localhost/db' }, 'DATABASE_URL: expected a URL like postgres://user:password@host:5432/database'],
    [{ TEST_DATABASE_URL: 'not a url' }, 'TEST_DATABASE_URL: expected a URL like postgres://user:password@host:5432/database'],
    [{ TRUST_PROXY: 'yes' }, "TRUST_PROXY: expected one of true, false, got 'yes'"],
    [{ LOG_LEVEL: 'verbose' }, "LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got 'verbose'"],
    [{ CAPTCHA: 'true' }, "CAPTCHA: expected one of on, off, got 'true'"],
    [{ CAPTCHA_DIFFICULTY: '0' }, "CAPTCHA_DIFFICULTY: expected a whole number from 1 to 10000000, got '0'"],
    [{ CORS_ORIGINS: '*' }, "CORS_ORIGINS: expected a comma-separated list of origins like https://app.example.com, got '*'"],
    [{ CORS_ORIGINS: 'https://app.example.com/' }, "CORS_ORIGINS: expected a comma-separated list of origins like https://app.example.com, got 'https://app.example.com/'"],
    [{ CORS_ORIGINS: 'https://ok.example.com,app.example.com' }, "CORS_ORIGINS: expected a comma-separated list of origins like https://app.example.com, got 'app.example.com'"]
  ]
  for (const [env, message] of cases) t.equal(refusal({ JWT_SECRET: SECRET, ...env }), message)
})

t.test('.env is read when present, and the real environment wins', async (t) => {
  const file = join(dir, '.env')
  writeFileSync(file, 'DNA_API_CONFIG_TEST_FROM_FILE=file\nDNA_API_CONFIG_TEST_BOTH=file\n')
  process.env.DNA_API_CONFIG_TEST_BOTH = 'environment'
  t.teardown(() => {
    delete process.env.DNA_API_CONFIG_TEST_FROM_FILE
    delete process.env.DNA_API_CONFIG_TEST_BOTH
  })
  readDotEnv(file)
  t.equal(process.env.DNA_API_CONFIG_TEST_FROM_FILE, 'file')
  t.equal(process.env.DNA_API_CONFIG_TEST_BOTH, 'environment')
  t.doesNotThrow(() => readDotEnv(join(dir, 'absent.env')), 'no file, nothing to do')
})
