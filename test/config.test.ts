import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import t from 'tap'
import { CONFIG_VARIABLES, ConfigError, loadConfig, readDotEnv, SAMPLE_JWT_SECRET, type Env } from '../src/config.js'
import { tempDir } from './support.js'

const SECRET = 'x'.repeat(32)
const KEY_A = Buffer.alloc(32, 0xa).toString('base64')
const KEY_B = Buffer.alloc(32, 0xb).toString('base64url').replace(/=+$/, '')
const DATA_KEYS = `k1:${KEY_A}`

/** The error loadConfig throws for `env`, which the test expects to be a ConfigError. */
function refusal (env: Env): ConfigError {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error(`accepted ${JSON.stringify(env)}`)
}

t.test('with nothing set, a developer gets working defaults and a warning about the secret', async (t) => {
  // The default DATA_DIR is relative: `data` in a directory of the test's own.
  const cwd = process.cwd()
  process.chdir(tempDir(t))
  t.teardown(() => process.chdir(cwd))
  const config = loadConfig({})
  const { jwtSecret, dataKeys, warnings, ...rest } = config
  t.same(rest, {
    env: 'development',
    port: 3000,
    host: '127.0.0.1',
    databaseUrl: undefined,
    testDatabaseUrl: undefined,
    dataDir: 'data',
    databaseConnectTimeoutMs: 1000,
    databaseStatementTimeoutMs: 5000,
    databasePoolSize: 10,
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
    maxEventLoopDelayMs: 1000,
    requestTimeoutMs: 30_000,
    maxSessionsPerUser: 20,
    adminMfa: 'optional',
    smtpUrl: undefined,
    mailFrom: 'dna-api <no-reply@localhost>',
    publicUrl: 'http://127.0.0.1:3000',
    metricsPort: undefined,
    metricsHost: '127.0.0.1'
  })
  t.ok(Buffer.byteLength(jwtSecret) >= 32, 'the generated secret is long enough to sign with')
  t.same(warnings, ['JWT_SECRET is not set: made a random one and saved it in data/jwt-secret (readable by this user only) ' +
    'for later starts to reuse; production needs JWT_SECRET',
  'DATA_KEYS is not set: made a key for the health data and saved it in data/data-keys (readable by this user only) ' +
    'for later starts to reuse; production needs DATA_KEYS'])
  t.equal(dataKeys.length, 1)
  t.match(dataKeys[0].id, /^dev-[0-9a-f]{8}$/)
  t.equal(dataKeys[0].key.length, 32, 'an AES-256 key')
  t.same(loadConfig({}), { ...config, warnings: [] }, 'the next start reuses both, without a warning')
})

t.test('a set secret gives no warning', async (t) => {
  t.same(loadConfig({ JWT_SECRET: SECRET, DATA_KEYS }).warnings, [])
  t.equal(loadConfig({ JWT_SECRET: SECRET }).jwtSecret, SECRET)
})

t.test('in production the server listens on every interface', async (t) => {
  const mail = { SMTP_URL: 'smtp://smtp.example.com:587', PUBLIC_URL: 'https://dna.example.com' }
  t.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, DATA_KEYS, ...mail }).host, '0.0.0.0')
  t.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, DATA_KEYS, HOST: '10.0.0.5', ...mail }).host, '10.0.0.5')
})

t.test('admins need a second factor by default in production only', async (t) => {
  const mail = { SMTP_URL: 'smtp://smtp.example.com:587', PUBLIC_URL: 'https://dna.example.com', DATA_KEYS }
  t.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, ...mail }).adminMfa, 'required')
  t.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, ADMIN_MFA: 'optional', ...mail }).adminMfa, 'optional')
  t.equal(loadConfig({ JWT_SECRET: SECRET }).adminMfa, 'optional')
  t.throws(() => loadConfig({ JWT_SECRET: SECRET, ADMIN_MFA: 'yes' }), { message: "ADMIN_MFA: expected one of required, optional, got 'yes'" })
})

t.test('values are read with the spaces around them trimmed, and blank means unset', async (t) => {
  const config = loadConfig({ PORT: ' 8080 ', LOG_LEVEL: '', DATA_DIR: '  /var/lib/dna-api ', DATABASE_URL: '   ', JWT_SECRET: SECRET })
  t.equal(config.port, 8080)
  t.equal(config.logLevel, 'info')
  t.equal(config.dataDir, '/var/lib/dna-api')
  t.equal(config.databaseUrl, undefined)
})

t.test('every variable is read', async (t) => {
  const dir = tempDir(t)
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  writeFileSync(cert, 'certificate')
  writeFileSync(key, 'key')
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '::1',
    DATABASE_URL: 'postgres://app:secret@db.internal:5432/dna_api',
    TEST_DATABASE_URL: 'postgresql://postgres@127.0.0.1/postgres',
    DATA_DIR: '/srv/data',
    DATABASE_CONNECT_TIMEOUT_MS: '250',
    DATABASE_STATEMENT_TIMEOUT_MS: '0',
    DATABASE_POOL_SIZE: '3',
    JWT_SECRET: SECRET,
    DATA_KEYS,
    JWT_TTL: '15m',
    JWT_REMEMBER_TTL: '7d',
    BCRYPT_COST: '4',
    LOGIN_MAX_FAILURES: '5',
    LOGIN_LOCK_SECONDS: '60',
    AUTH_RATE_LIMIT: '1000',
    TRUST_PROXY: '10.0.0.0/8, 192.0.2.7,fd00::/8',
    CORS_ORIGINS: 'https://app.example.com',
    LOG_LEVEL: 'debug',
    TLS_CERT_FILE: cert,
    TLS_KEY_FILE: key,
    CAPTCHA: 'on',
    CAPTCHA_DIFFICULTY: '20',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    REQUEST_TIMEOUT_MS: '5000',
    MAX_SESSIONS_PER_USER: '3',
    ADMIN_MFA: 'required',
    METRICS_PORT: '9091',
    METRICS_HOST: '::1'
  })
  t.same(config, {
    env: 'test',
    port: 0,
    host: '::1',
    databaseUrl: 'postgres://app:secret@db.internal:5432/dna_api',
    testDatabaseUrl: 'postgresql://postgres@127.0.0.1/postgres',
    dataDir: '/srv/data',
    databaseConnectTimeoutMs: 250,
    databaseStatementTimeoutMs: 0,
    databasePoolSize: 3,
    jwtSecret: SECRET,
    dataKeys: [{ id: 'k1', key: Buffer.alloc(32, 0xa) }],
    jwtTtl: 900,
    jwtRememberTtl: 7 * 86400,
    bcryptCost: 4,
    loginMaxFailures: 5,
    loginLockSeconds: 60,
    authRateLimit: 1000,
    trustProxy: ['10.0.0.0/8', '192.0.2.7', 'fd00::/8'],
    corsOrigins: ['https://app.example.com'],
    logLevel: 'debug',
    tlsCertFile: cert,
    tlsKeyFile: key,
    captcha: true,
    captchaDifficulty: 20,
    maxEventLoopDelayMs: 0,
    requestTimeoutMs: 5000,
    maxSessionsPerUser: 3,
    adminMfa: 'required',
    smtpUrl: undefined,
    mailFrom: 'dna-api <no-reply@localhost>',
    publicUrl: 'https://[::1]:0',
    metricsPort: 9091,
    metricsHost: '::1',
    warnings: []
  })
  t.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false)
  t.equal(loadConfig({ TRUST_PROXY: '0' }).trustProxy, false, 'no hops: no proxy')
  t.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1, 'a hop count')
  t.equal(loadConfig({ TRUST_PROXY: '16' }).trustProxy, 16)
  t.same(loadConfig({ TRUST_PROXY: 'loopback,2001:db8::1/128' }).trustProxy, ['loopback', '2001:db8::1/128'], "proxy-addr's named ranges")
  t.equal(loadConfig({ CAPTCHA: 'off' }).captcha, false)
})

t.test('durations are seconds or a number with a unit', async (t) => {
  const cases: Array<[string, number]> = [
    ['90', 90], ['90s', 90], ['15m', 900], ['1h', 3600], ['30d', 30 * 86400], ['10 m', 600], ['1', 1], ['366d', 366 * 86400]
  ]
  for (const [value, seconds] of cases) {
    t.equal(loadConfig({ JWT_TTL: value }).jwtTtl, seconds, `JWT_TTL=${value}`)
    t.equal(loadConfig({ JWT_REMEMBER_TTL: value }).jwtRememberTtl, seconds, `JWT_REMEMBER_TTL=${value}`)
  }
})

t.test('a bad value stops start-up with one line naming the variable', async (t) => {
  const cases: Array<[Env, string]> = [
    [{ NODE_ENV: 'staging' }, "NODE_ENV: expected one of development, production, test, got 'staging'"],
    [{ PORT: 'abc' }, "PORT: expected a whole number from 0 to 65535, got 'abc'"],
    [{ PORT: '65536' }, "PORT: expected a whole number from 0 to 65535, got '65536'"],
    [{ PORT: '-1' }, "PORT: expected a whole number from 0 to 65535, got '-1'"],
    [{ PORT: '80.5' }, "PORT: expected a whole number from 0 to 65535, got '80.5'"],
    [{ PORT: '1e3' }, "PORT: expected a whole number from 0 to 65535, got '1e3'"],
    [{ DATABASE_URL: 'mysql://root@localhost/dna' }, 'DATABASE_URL: expected a URL like postgres://user:password@host:5432/database'],
    [{ DATABASE_URL: 'db.internal:5432' }, 'DATABASE_URL: expected a URL like postgres://user:password@host:5432/database'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL: expected a URL like postgres://user:password@host:5432/database'],
    [{ TEST_DATABASE_URL: 'http://127.0.0.1:5432' }, 'TEST_DATABASE_URL: expected a URL like postgres://user:password@host:5432/database'],
    [{ DATABASE_CONNECT_TIMEOUT_MS: '0' }, "DATABASE_CONNECT_TIMEOUT_MS: expected a whole number from 1 to 60000, got '0'"],
    [{ DATABASE_STATEMENT_TIMEOUT_MS: '5s' }, "DATABASE_STATEMENT_TIMEOUT_MS: expected a whole number from 0 to 3600000, got '5s'"],
    [{ DATABASE_POOL_SIZE: '0' }, "DATABASE_POOL_SIZE: expected a whole number from 1 to 1000, got '0'"],
    [{ MAX_EVENT_LOOP_DELAY_MS: '-1' }, "MAX_EVENT_LOOP_DELAY_MS: expected a whole number from 0 to 60000, got '-1'"],
    [{ REQUEST_TIMEOUT_MS: '0' }, "REQUEST_TIMEOUT_MS: expected a whole number from 100 to 600000, got '0'"],
    [{ REQUEST_TIMEOUT_MS: '30s' }, "REQUEST_TIMEOUT_MS: expected a whole number from 100 to 600000, got '30s'"],
    [{ MAX_SESSIONS_PER_USER: '0' }, "MAX_SESSIONS_PER_USER: expected a whole number from 1 to 1000, got '0'"],
    [{ JWT_TTL: '0' }, "JWT_TTL: expected a duration from 1 second to 366 days such as 3600, 15m, 1h or 30d, got '0'"],
    [{ JWT_TTL: '367d' }, "JWT_TTL: expected a duration from 1 second to 366 days such as 3600, 15m, 1h or 30d, got '367d'"],
    [{ JWT_TTL: '1y' }, "JWT_TTL: expected a duration from 1 second to 366 days such as 3600, 15m, 1h or 30d, got '1y'"],
    [{ JWT_TTL: '1.5h' }, "JWT_TTL: expected a duration from 1 second to 366 days such as 3600, 15m, 1h or 30d, got '1.5h'"],
    [{ JWT_TTL: 'h' }, "JWT_TTL: expected a duration from 1 second to 366 days such as 3600, 15m, 1h or 30d, got 'h'"],
    [{ JWT_REMEMBER_TTL: 'forever' }, "JWT_REMEMBER_TTL: expected a duration from 1 second to 366 days such as 3600, 15m, 1h or 30d, got 'forever'"],
    [{ BCRYPT_COST: '3' }, "BCRYPT_COST: expected a whole number from 4 to 31, got '3'"],
    [{ BCRYPT_COST: '32' }, "BCRYPT_COST: expected a whole number from 4 to 31, got '32'"],
    [{ LOGIN_MAX_FAILURES: '0' }, "LOGIN_MAX_FAILURES: expected a whole number from 1 to 1000, got '0'"],
    [{ LOGIN_LOCK_SECONDS: '15m' }, "LOGIN_LOCK_SECONDS: expected a whole number from 1 to 2678400, got '15m'"],
    [{ AUTH_RATE_LIMIT: '0' }, "AUTH_RATE_LIMIT: expected a whole number from 1 to 1000000, got '0'"],
    [{ TRUST_PROXY: 'true' }, "TRUST_PROXY: 'true' would let any client pick its own address in X-Forwarded-For; set the number of proxies in front of the service (1 behind Heroku's router or one load balancer, 2 behind a CDN and a load balancer), or their addresses or CIDRs"],
    ...['yes', '17', '-1', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/8', '10.0.0.0/', '1,2', '10.1', 'proxy.internal', '10.0.0.1,'].map((value): [Env, string] =>
      [{ TRUST_PROXY: value }, `TRUST_PROXY: expected false, a number of proxy hops up to 16 (1 behind Heroku's router or one load balancer, 2 behind a CDN and a load balancer), or a comma-separated list of proxy addresses or CIDRs such as 10.0.0.0/8, got '${value}'`]),
    [{ CORS_ORIGINS: 'app.example.com' }, "CORS_ORIGINS: expected a comma-separated list of origins like https://app.example.com, got 'app.example.com'"],
    [{ CORS_ORIGINS: 'https://app.example.com/login' }, "CORS_ORIGINS: expected a comma-separated list of origins like https://app.example.com, got 'https://app.example.com/login'"],
    [{ LOG_LEVEL: 'verbose' }, "LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got 'verbose'"],
    [{ CAPTCHA: 'maybe' }, "CAPTCHA: expected one of on, off, got 'maybe'"],
    [{ JWT_SECRET: 'x'.repeat(31) }, 'JWT_SECRET: must be at least 32 bytes, got 31'],
    [{ HOST: 'local host' }, "HOST: expected an IP address or a host name, got 'local host'"],
    [{ HOST: 'http://0.0.0.0' }, "HOST: expected an IP address or a host name, got 'http://0.0.0.0'"],
    [{ METRICS_PORT: '65536' }, "METRICS_PORT: expected a whole number from 0 to 65535, got '65536'"],
    [{ METRICS_HOST: 'metrics host' }, "METRICS_HOST: expected an IP address or a host name, got 'metrics host'"]
  ]
  for (const [env, message] of cases) {
    const error = refusal(env)
    t.equal(error.message, message, JSON.stringify(env))
    t.equal(error.name, 'ConfigError')
    t.notMatch(error.message, /\n/, 'one line')
  }
})

t.test('the secret is measured in bytes, as HS256 uses it', async (t) => {
  const secret = 'é'.repeat(16)
  t.equal(secret.length, 16)
  t.equal(loadConfig({ JWT_SECRET: secret }).jwtSecret, secret, '16 characters, 32 bytes: enough')
  t.equal(refusal({ JWT_SECRET: 'é'.repeat(15) + 'x' }).message, 'JWT_SECRET: must be at least 32 bytes, got 31')
})

t.test('production refuses to start without a secret of its own', async (t) => {
  t.equal(refusal({ NODE_ENV: 'production' }).message,
    'JWT_SECRET: required in production (at least 32 bytes, e.g. `openssl rand -base64 48`)')
  t.equal(refusal({ NODE_ENV: 'production', JWT_SECRET: SAMPLE_JWT_SECRET }).message,
    'JWT_SECRET: is the sample value from .env.sample; generate your own')
  t.equal(loadConfig({ NODE_ENV: 'development', JWT_SECRET: SAMPLE_JWT_SECRET }).jwtSecret, SAMPLE_JWT_SECRET,
    'a developer may run with the sample file as it is')
})

t.test('.env.sample ships the secret that production refuses, and documents the defaults', async (t) => {
  const sample = parseEnv(readFileSync('.env.sample', 'utf8'))
  t.equal(sample.JWT_SECRET, SAMPLE_JWT_SECRET)
  const { jwtSecret, warnings, ...fromSample } = loadConfig(sample)
  const { jwtSecret: _random, warnings: _warnings, ...defaults } = loadConfig({})
  t.notOk('DATA_KEYS' in sample, 'no sample key: a key everyone has read protects nothing')
  t.same(fromSample, defaults, 'every value in .env.sample is the default')
})

t.test('HTTPS needs both a certificate and a key, and both files must exist', async (t) => {
  const dir = tempDir(t)
  const cert = join(dir, 'cert.pem')
  writeFileSync(cert, 'certificate')
  t.equal(refusal({ TLS_CERT_FILE: cert }).message, 'TLS_KEY_FILE: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither')
  t.equal(refusal({ TLS_KEY_FILE: cert }).message, 'TLS_CERT_FILE: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither')
  const missing = join(dir, 'missing.pem')
  t.equal(refusal({ TLS_CERT_FILE: missing, TLS_KEY_FILE: cert }).message, `TLS_CERT_FILE: file not found: ${missing}`)
  t.equal(refusal({ TLS_CERT_FILE: cert, TLS_KEY_FILE: missing }).message, `TLS_KEY_FILE: file not found: ${missing}`)
})

t.test('CORS_ORIGINS is a comma-separated list of origins', async (t) => {
  t.same(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:8080,,' }).corsOrigins,
    ['https://app.example.com', 'http://localhost:8080'])
  t.same(loadConfig({ CORS_ORIGINS: ' , ' }).corsOrigins, [])
  t.equal(refusal({ CORS_ORIGINS: 'https://app.example.com, *' }).message,
    "CORS_ORIGINS: expected a comma-separated list of origins like https://app.example.com, got '*'")
  t.equal(refusal({ CORS_ORIGINS: 'https://app.example.com/' }).message,
    "CORS_ORIGINS: expected a comma-separated list of origins like https://app.example.com, got 'https://app.example.com/'",
    'a trailing slash is not part of an origin: browsers would never match it')
})

t.test('a .env file fills in variables that are not already set', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, '.env')
  writeFileSync(file, '# comment\nDNA_API_TEST_FROM_FILE=from-file\nDNA_API_TEST_ALREADY_SET=from-file\nDNA_API_TEST_QUOTED="two words"\n')
  const names = ['DNA_API_TEST_FROM_FILE', 'DNA_API_TEST_ALREADY_SET', 'DNA_API_TEST_QUOTED']
  t.teardown(() => { for (const name of names) Reflect.deleteProperty(process.env, name) })
  process.env.DNA_API_TEST_ALREADY_SET = 'from-the-environment'

  readDotEnv(file)
  t.equal(process.env.DNA_API_TEST_FROM_FILE, 'from-file')
  t.equal(process.env.DNA_API_TEST_ALREADY_SET, 'from-the-environment', 'real variables win')
  t.equal(process.env.DNA_API_TEST_QUOTED, 'two words')
})

t.test('without a .env file nothing happens', async (t) => {
  const before = { ...process.env }
  readDotEnv(join(tempDir(t), '.env'))
  t.same(process.env, before)
})

t.test('without JWT_SECRET, development keeps the secret it made in DATA_DIR, readable by this user only', async (t) => {
  const dataDir = join(tempDir(t), 'data')
  const first = loadConfig({ DATA_DIR: dataDir, DATA_KEYS })
  const file = join(dataDir, 'jwt-secret')
  t.same(first.warnings, [`JWT_SECRET is not set: made a random one and saved it in ${file} (readable by this user only) ` +
    'for later starts to reuse; production needs JWT_SECRET'], 'a warning when it is made')
  t.equal(readFileSync(file, 'utf8'), `${first.jwtSecret}\n`)
  t.equal(statSync(file).mode & 0o777, 0o600)

  const again = loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'test', DATA_KEYS })
  t.equal(again.jwtSecret, first.jwtSecret, 'a restart signs and checks tokens with the same secret')
  t.same(again.warnings, [], 'and says nothing more about it')
  t.equal(loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET }).jwtSecret, SECRET, 'JWT_SECRET wins over the file')
  t.equal(refusal({ DATA_DIR: dataDir, NODE_ENV: 'production' }).message,
    'JWT_SECRET: required in production (at least 32 bytes, e.g. `openssl rand -base64 48`)', 'production never uses the file')
})

t.test('a secret file too short to sign with is refused, naming the file', async (t) => {
  const dataDir = tempDir(t)
  writeFileSync(join(dataDir, 'jwt-secret'), 'short\n')
  t.equal(refusal({ DATA_DIR: dataDir }).message,
    `JWT_SECRET: not set, and ${join(dataDir, 'jwt-secret')} holds 5 bytes instead of at least 32: ` +
    'delete the file to have a new secret made, or set JWT_SECRET')
})

t.test('when DATA_DIR cannot hold the secret, the process still starts, with a secret of its own and a warning', async (t) => {
  const notADirectory = join(tempDir(t), 'file')
  writeFileSync(notADirectory, '')
  const config = loadConfig({ DATA_DIR: notADirectory, DATA_KEYS })
  t.ok(Buffer.byteLength(config.jwtSecret) >= 32)
  t.not(loadConfig({ DATA_DIR: notADirectory, DATA_KEYS }).jwtSecret, config.jwtSecret, 'one per process')
  t.match(config.warnings, [new RegExp(`^JWT_SECRET is not set and ${notADirectory}/jwt-secret cannot be written \\(.+\\): ` +
    'using a random secret for this process, so tokens die with it$')])
})

t.test('CONFIG_VARIABLES names every variable loadConfig reads, and no other', async (t) => {
  const read = new Set<string>()
  // Production with TLS and SMTP set reads every variable there is: each branch that reads one more is taken.
  const dir = tempDir(t)
  writeFileSync(join(dir, 'cert.pem'), '')
  writeFileSync(join(dir, 'key.pem'), '')
  const values: Env = {
    NODE_ENV: 'production',
    JWT_SECRET: 'a-production-secret-of-at-least-32-characters',
    TLS_CERT_FILE: join(dir, 'cert.pem'),
    TLS_KEY_FILE: join(dir, 'key.pem'),
    SMTP_URL: 'smtp://mail.example.com:587',
    PUBLIC_URL: 'https://dna.example.com',
    DATA_KEYS: `k1:${Buffer.alloc(32, 0xa).toString('base64')}`,
    DATA_DIR: dir
  }
  const env = new Proxy(values, { get: (target, name: string) => { read.add(name); return target[name] } })
  loadConfig(env)
  t.same([...read].sort(), [...CONFIG_VARIABLES].sort())
})

t.test('DATA_KEYS: id:key pairs, the first one current; in production it is required', async (t) => {
  const mail = { SMTP_URL: 'smtp://smtp.example.com:587', PUBLIC_URL: 'https://dna.example.com' }
  const production = { NODE_ENV: 'production', JWT_SECRET: SECRET, ...mail }
  t.same(loadConfig({ ...production, DATA_KEYS: ` new-2:${KEY_B}, k1:${KEY_A} ` }).dataKeys,
    [{ id: 'new-2', key: Buffer.alloc(32, 0xb) }, { id: 'k1', key: Buffer.alloc(32, 0xa) }], 'base64url without padding is accepted too')
  const format = 'expected comma-separated id:key pairs, the current key first, each key 32 random bytes in base64 ' +
    '(e.g. DATA_KEYS="k1:$(openssl rand -base64 32)"), ids of 1 to 32 letters, digits, - or _'
  const cases: Array<[string | undefined, string]> = [
    [undefined, `DATA_KEYS: required in production: ${format}`],
    ['  ', `DATA_KEYS: required in production: ${format}`],
    [KEY_A, `DATA_KEYS: key 1 has no valid id before its ':'; ${format}`],
    [`k 1:${KEY_A}`, `DATA_KEYS: key 1 has no valid id before its ':'; ${format}`],
    [`k1:${KEY_A},`, `DATA_KEYS: key 2 has no valid id before its ':'; ${format}`],
    [`k1:${KEY_A.slice(0, 40)}`, `DATA_KEYS: key 'k1' is not 32 bytes in base64; ${format}`],
    [`k1:${Buffer.alloc(33).toString('base64')}`, `DATA_KEYS: key 'k1' is not 32 bytes in base64; ${format}`],
    [`k1:${KEY_A},k1:${KEY_B}`, "DATA_KEYS: key id 'k1' appears twice; each key needs an id of its own"]
  ]
  for (const [value, message] of cases) {
    const error = refusal({ ...production, DATA_KEYS: value })
    t.equal(error.message, message)
    t.notMatch(error.message, KEY_A.slice(0, 40), 'no key material in the message')
  }
  t.equal(refusal({ NODE_ENV: 'development', JWT_SECRET: SECRET, DATA_KEYS: 'k1:short' }).message,
    `DATA_KEYS: key 'k1' is not 32 bytes in base64; ${format}`, 'a malformed key is refused in development too')
})

t.test('without DATA_KEYS, development keeps the key it made in DATA_DIR; a broken or unwritable file is refused', async (t) => {
  const dataDir = join(tempDir(t), 'data')
  const first = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET })
  const file = join(dataDir, 'data-keys')
  t.same(first.warnings, [`DATA_KEYS is not set: made a key for the health data and saved it in ${file} (readable by this user only) ` +
    'for later starts to reuse; production needs DATA_KEYS'])
  t.equal(statSync(file).mode & 0o777, 0o600)
  t.same(loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET }).dataKeys, first.dataKeys, 'a restart reads what it encrypted')
  t.same(loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET, DATA_KEYS }).dataKeys, [{ id: 'k1', key: Buffer.alloc(32, 0xa) }], 'DATA_KEYS wins')

  writeFileSync(file, 'dev:not-a-key\n')
  t.equal(refusal({ DATA_DIR: dataDir, JWT_SECRET: SECRET }).message,
    `DATA_KEYS (not set, read from ${file}): key 'dev' is not 32 bytes in base64; expected comma-separated id:key pairs, the current key first, ` +
    'each key 32 random bytes in base64 (e.g. DATA_KEYS="k1:$(openssl rand -base64 32)"), ids of 1 to 32 letters, digits, - or _')

  const notADirectory = join(tempDir(t), 'file')
  writeFileSync(notADirectory, '')
  t.match(refusal({ DATA_DIR: notADirectory, JWT_SECRET: SECRET }).message,
    new RegExp(`^DATA_KEYS: not set, and ${notADirectory}/data-keys cannot be written \\(.+\\): set DATA_KEYS, or make DATA_DIR writable$`),
    'no key for this process only: what it encrypted would be lost with it')
})

t.test('metrics are off unless METRICS_PORT is set, and listen on the loopback address unless METRICS_HOST says otherwise', async (t) => {
  t.equal(loadConfig({ JWT_SECRET: SECRET }).metricsPort, undefined)
  t.equal(loadConfig({ JWT_SECRET: SECRET, METRICS_PORT: ' ' }).metricsPort, undefined)
  t.match(loadConfig({ JWT_SECRET: SECRET, METRICS_PORT: '9091' }), { metricsPort: 9091, metricsHost: '127.0.0.1' })
  t.match(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, METRICS_PORT: '9091', SMTP_URL: 'smtp://smtp.example.com:587', PUBLIC_URL: 'https://dna.example.com', DATA_KEYS }), { metricsPort: 9091, metricsHost: '127.0.0.1' }, 'in production too')
  t.equal(loadConfig({ JWT_SECRET: SECRET, METRICS_PORT: '9091', METRICS_HOST: '10.0.0.5' }).metricsHost, '10.0.0.5')
})
