import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { SAMPLE_JWT_SECRET } from '../src/config.js'
import { openDatabase } from '../src/db/database.js'
import { migrate, schemaStatus } from '../src/db/migrations.js'

// The server runs as a real process (with the test runner's loaders, so its coverage counts),
// on an embedded database in a temporary folder.
const root = mkdtempSync(join(tmpdir(), 'dna-api-server-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))

const migrated = join(root, 'migrated')
const db = await openDatabase({ dataDir: migrated })
await migrate(db)
const { latest } = await schemaStatus(db)
await db.close()

const STRONG_SECRET = 'a-production-secret-of-more-than-32-bytes'

interface Server {
  child: ChildProcessWithoutNullStreams
  /** Resolves with the first JSON log line that `match` accepts. */
  logLine: (match: (entry: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>
  exit: Promise<{ code: number | null, stdout: string, stderr: string }>
}

function startServer (env: Record<string, string>, preload: string[] = []): Server {
  const child = spawn(process.execPath, [...process.execArgv, ...preload, 'src/server.ts'], {
    // Blank values count as unset, and a developer's .env does not override them.
    env: { ...process.env, DATABASE_URL: '', JWT_SECRET: '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }
  })
  let stdout = ''
  let stderr = ''
  const waiting: Array<{ match: (entry: Record<string, unknown>) => boolean, resolve: (entry: Record<string, unknown>) => void }> = []
  child.stdout.on('data', (chunk) => {
    stdout += String(chunk)
    for (const line of stdout.split('\n').slice(0, -1)) {
      const entry = JSON.parse(line) as Record<string, unknown>
      for (const waiter of waiting.filter((w) => w.match(entry))) {
        waiting.splice(waiting.indexOf(waiter), 1)
        waiter.resolve(entry)
      }
    }
  })
  child.stderr.on('data', (chunk) => { stderr += String(chunk) })
  return {
    child,
    logLine: async (match) => await new Promise((resolve) => waiting.push({ match, resolve })),
    exit: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
  }
}

t.test('production refuses to start without a strong JWT_SECRET of its own: one line, exit code 1', async (t) => {
  const cases: Array<[string, string]> = [
    ['', 'JWT_SECRET: required in production (at least 32 bytes, e.g. `openssl rand -base64 48`)'],
    ['x'.repeat(31), 'JWT_SECRET: must be at least 32 bytes, got 31'],
    [SAMPLE_JWT_SECRET, 'JWT_SECRET: is the sample value from .env.sample; generate your own']
  ]
  const results = await Promise.all(cases.map(async ([secret]) =>
    await startServer({ NODE_ENV: 'production', JWT_SECRET: secret, DATA_DIR: migrated }).exit))
  for (const [i, [secret, message]] of cases.entries()) {
    t.equal(results[i].code, 1, `JWT_SECRET='${secret}'`)
    t.equal(results[i].stderr, `dna-api: configuration error: ${message}\n`)
    t.equal(results[i].stdout, '', 'nothing started, nothing logged')
  }
})

t.test('a database behind the code stops start-up with what to do', async (t) => {
  const server = startServer({ NODE_ENV: 'development', DATA_DIR: join(root, 'fresh') })
  const { code, stdout, stderr } = await server.exit
  t.equal(code, 1)
  t.equal(stderr, `dna-api: error: the database schema is at version 0 but this code needs ${latest}: run \`make migrate\` first\n`)
  const warning = JSON.parse(stdout.split('\n')[0])
  t.match(warning, { level: 40, msg: 'JWT_SECRET is not set: using a random secret for this process, so tokens die with it' })
})

t.test('serves, and drains and exits cleanly on SIGTERM', async (t) => {
  const server = startServer({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET, DATA_DIR: migrated })
  const listening = await server.logLine((entry) => String(entry.msg).startsWith('Server listening at '))
  const url = String(listening.msg).replace('Server listening at ', '')
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
  const health = await fetch(`${url}/health`)
  t.equal(health.status, 200)
  t.same(await health.json(), { status: 'ok' })

  server.child.kill('SIGTERM')
  const { code, stderr } = await server.exit
  t.equal(code, 0, stderr)
  t.equal(stderr, '')
})

t.test('an unexpected error after start-up is logged, and the server closes with exit code 1', async (t) => {
  const server = startServer({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET, DATA_DIR: migrated }, ['--import', './test/fixtures/crash-after-listen.ts'])
  const logged = await server.logLine((entry) => entry.msg === 'closing after an unexpected error')
  t.match(logged, { level: 50, err: { type: 'Error', message: 'an unexpected failure after start-up' } })
  const { code } = await server.exit
  t.equal(code, 1)
})
