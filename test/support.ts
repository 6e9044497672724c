// Test scaffolding beyond helper.ts: temporary directories, PostgreSQL databases made on purpose,
// logs captured in memory, and the command-line programs run as child processes (under tap's
// coverage, which follows `process.execArgv` into the child).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Writable } from 'node:stream'
import { TEST_DATA_KEYS, TEST_SECRET, type Test } from './helper.js'
import { CONFIG_VARIABLES } from '../src/config.js'
import { createScratchDatabase, LOCAL_POSTGRES_URL } from '../src/db/scratch-database.js'

/** The PostgreSQL server of the suite: TEST_DATABASE_URL, or the local one CI always runs. */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? LOCAL_POSTGRES_URL

/** A new directory under the system's temporary directory, removed when the test ends. */
export function tempDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'dna-api-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A new, empty database on the PostgreSQL server, dropped (connections and all) when the test ends. */
export async function emptyPostgresDatabase (t: Test): Promise<string> {
  const database = await createScratchDatabase(POSTGRES_URL, 'dna_api_test')
  t.teardown(database.drop)
  return database.url
}

export interface DatabaseSwitch {
  /** The database's URL, through the switch. */
  url: string
  /**
   * `up`: connections go through. `down`: the open ones are cut, and new ones as soon as they
   * open, as when PostgreSQL stops. `silent`: nothing answers any more, on the open connections
   * or on new ones, which are accepted and left hanging, as in a network partition; leaving this
   * state cuts them all.
   */
  set: (state: 'up' | 'down' | 'silent') => void
  /**
   * Cuts the next connection that sends SQL matching `pattern`, before the statement gets through
   * (say, in the middle of a transaction); resolves once it has.
   */
  cutWhenSent: (pattern: RegExp) => Promise<void>
}

/** A server that accepts connections and never says a word, as a hung database does; its port. */
export async function silentServer (t: Test): Promise<number> {
  const sockets: Socket[] = []
  const silent = createServer((socket) => { sockets.push(socket) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => silent.close(resolve))
  })
  return (silent.address() as { port: number }).port
}

/** A PostgreSQL database (the suite's server by default) behind a switch the test controls. */
export async function databaseBehindSwitch (t: Test, databaseUrl = POSTGRES_URL): Promise<DatabaseSwitch> {
  const target = new URL(databaseUrl)
  let state: Parameters<DatabaseSwitch['set']>[0] = 'up'
  let cut: { pattern: RegExp, done: () => void } | undefined
  const open = new Set<Socket>()
  const proxy = createServer((client) => {
    if (state === 'down') return client.destroy()
    if (state === 'silent') {
      open.add(client)
      client.on('error', () => {})
      client.on('close', () => open.delete(client))
      return
    }
    const server = connect(Number(target.port === '' ? 5432 : target.port), target.hostname)
    // Before the pipe's own listener, so that the statement is not passed on.
    client.on('data', (chunk: Buffer) => {
      if (cut === undefined || !cut.pattern.test(chunk.toString('latin1'))) return
      client.destroy()
      server.destroy()
      cut.done()
      cut = undefined
    })
    for (const [a, b] of [[client, server], [server, client]]) {
      open.add(a)
      a.on('error', () => b.destroy())
      a.on('close', () => { open.delete(a); b.destroy() })
      a.pipe(b)
    }
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const socket of open) socket.destroy()
    await new Promise((resolve) => proxy.close(resolve))
  })
  const url = new URL(databaseUrl)
  url.host = `127.0.0.1:${(proxy.address() as { port: number }).port}`
  return {
    url: url.toString(),
    set (next) {
      if (next === 'down' || state === 'silent') for (const socket of open) socket.destroy()
      if (next === 'silent') {
        for (const socket of open) {
          socket.unpipe()
          socket.pause()
        }
      }
      state = next
    },
    async cutWhenSent (pattern) {
      await new Promise<void>((resolve) => { cut = { pattern, done: resolve } })
    }
  }
}

export interface LogRecord {
  level: number
  msg: string
  [key: string]: unknown
}

export interface CapturedLogs {
  /** pino options: pass as `logger` (with any other pino options). */
  logger: { level: string, stream: Writable }
  /** Every line logged so far, parsed. */
  lines: LogRecord[]
  /** Resolves with the first line, logged already or later, for which `predicate` holds. */
  waitFor: (predicate: (line: LogRecord) => boolean) => Promise<LogRecord>
}

/** Log lines kept in memory, for a test to look at. */
export function captureLogs (level = 'info'): CapturedLogs {
  const lines: LogRecord[] = []
  const waiting = new Set<(line: LogRecord) => void>()
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n')) {
        if (text === '') continue
        const line = JSON.parse(text) as LogRecord
        lines.push(line)
        for (const check of waiting) check(line)
      }
      done()
    }
  })
  const waitFor = async (predicate: (line: LogRecord) => boolean): Promise<LogRecord> => {
    const logged = lines.find(predicate)
    if (logged !== undefined) return logged
    return await new Promise((resolve) => {
      const check = (line: LogRecord): void => {
        if (!predicate(line)) return
        waiting.delete(check)
        resolve(line)
      }
      waiting.add(check)
    })
  }
  return { logger: { level, stream }, lines, waitFor }
}

/**
 * The environment of a child process: every variable the service reads is set here, so neither
 * the developer's shell nor a `.env` file (which never overrides a variable already set, even
 * to '') can point a test at a real database.
 */
export function childEnv (vars: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Every variable of the service's, blank unless set below.
    ...Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, ''])),
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: TEST_SECRET,
    DATA_KEYS: TEST_DATA_KEYS,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'silent',
    // Off, as in test/helper.ts: a server started under coverage on a busy machine lags.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...vars
  }
  // `undefined` leaves a variable unset, for a `.env` file to fill in.
  for (const [name, value] of Object.entries(env)) if (value === undefined) Reflect.deleteProperty(env, name)
  return env
}

export interface CliOptions {
  /** Variables for the child, over `childEnv`'s; `undefined` unsets one. */
  env?: Record<string, string | undefined>
  cwd?: string
  /** Node options for the child before the script, e.g. `--import` of a test fixture. */
  nodeArgs?: string[]
}

// tap starts test files with `--import=./test/loader/register.mjs` (package.json), relative to the
// working directory: a child working elsewhere gets the loader's own address.
const TS_LOADER_ARG = '--import=./test/loader/register.mjs'
const TS_LOADER = `--import=${new URL('loader/register.mjs', import.meta.url).href}`

/** The arguments that run `script` (a path under the repository) like `node script`, with tap's loaders. */
export function nodeArgs (script: string, args: string[] = [], options: CliOptions = {}): string[] {
  const loaders = process.execArgv.map((arg) => arg === TS_LOADER_ARG ? TS_LOADER : arg)
  return [...loaders, ...(options.nodeArgs ?? []), resolve(script), ...args]
}

export interface CliResult {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs a command-line program to its end. */
export function runCli (script: string, args: string[] = [], options: CliOptions = {}): CliResult {
  const { status, stdout, stderr } = spawnSync(process.execPath, nodeArgs(script, args, options),
    { cwd: options.cwd, env: childEnv(options.env), encoding: 'utf8' })
  return { status, stdout, stderr }
}

export interface Running {
  child: ChildProcess
  /** Everything the program wrote so far. */
  output: { stdout: string, stderr: string }
  /** Resolves once `predicate` holds for what the program wrote on `stream`; rejects if it ends first. */
  waitFor: (stream: 'stdout' | 'stderr', predicate: (text: string) => boolean) => Promise<string>
  /** Resolves once the program has ended and its output is all in. */
  closed: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/** Starts a long-running program; the test ends it (it is killed if still running at teardown). */
export function startCli (t: Test, script: string, args: string[] = [], options: CliOptions = {}): Running {
  const child = spawn(process.execPath, nodeArgs(script, args, options),
    { cwd: options.cwd, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const closed = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })))
  const output = { stdout: '', stderr: '' }
  const waiting = new Set<() => void>()
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].on('data', (chunk: Buffer) => {
      output[stream] += chunk.toString()
      for (const check of waiting) check()
    })
  }
  const waitFor = async (stream: 'stdout' | 'stderr', predicate: (text: string) => boolean): Promise<string> =>
    await new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(output[stream])) return
        waiting.delete(check)
        child.off('close', onClose)
        resolve(output[stream])
      }
      const onClose = (code: number | null): void => {
        waiting.delete(check)
        reject(new Error(`exited with ${String(code)} before the expected output; ${stream} was:\n${output[stream]}`))
      }
      waiting.add(check)
      child.once('close', onClose)
      check()
    })
  return { child, output, waitFor, closed }
}

// The address, once it is all there: a JSON string ends with a quote, a terminal line with \r\n.
export const LISTENING = /Server listening at (https?:\/\/[^\s"]+)["\s]/

/** The JSON log lines in what a server wrote. */
export const logLines = (output: string): LogRecord[] =>
  output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogRecord)

/** Starts the server (logging at info unless told) and resolves with its address once it listens. */
export async function serve (t: Test, env: Record<string, string | undefined>): Promise<{ server: Running, url: string }> {
  const server = startCli(t, 'src/server.ts', [], { env: { LOG_LEVEL: 'info', ...env } })
  const output = await server.waitFor('stdout', (text) => LISTENING.test(text))
  return { server, url: (LISTENING.exec(output) as RegExpExecArray)[1] }
}
