// The processes a run measures: the production build, the server as `npm start` runs it, the
// ceiling servers, their memory, and the CPU time of everything else on the machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { atCleanUp } from './cleanup.js'
import { say } from './format.js'
import { REPO } from './settings.js'

export interface Child {
  pid: number
  url: string
  stop: () => Promise<void>
}

/** `make build`: the server runs from dist/, as in production. */
export function buildProduction (): void {
  say('building (make build)')
  const build = spawnSync('make', ['--no-print-directory', 'build'], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] })
  if (build.status !== 0) throw new Error('make build failed')
}

async function stopProcess (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * A ceiling script under bench/, run with tsx (or with `nodeArgs` in its place: `[]` for plain
 * JavaScript); it prints its address once it listens.
 */
export async function startCeiling (script: string, env: Record<string, string>, nodeArgs = ['--import', 'tsx']): Promise<Child> {
  const child = spawn(process.execPath, [...nodeArgs, join(REPO, 'bench', script)], {
    cwd: REPO, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit']
  })
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const line = /^(http:\/\/\S+)\n/.exec(output)
      if (line !== null) resolve(line[1])
    })
    child.once('exit', (code) => reject(new Error(`bench/${script} exited with ${String(code)} before listening`)))
  })
  const stop = async (): Promise<void> => await stopProcess(child)
  atCleanUp(stop)
  return { pid: child.pid as number, url, stop }
}

/** `npm start`, the command production runs: `node [flags] dist/server.js`. */
export const START = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
export const START_FLAGS = /^node((?: --?[\w-]+(?:=\S+)?)*) dist\/server\.js$/.exec(START)?.[1].trim().split(' ').filter(Boolean)
if (START_FLAGS === undefined) throw new Error(`npm start is not \`node [flags] dist/server.js\` but \`${START}\`: teach bench/processes.ts to start it`)

/** How a server differs from `npm start`: other V8 flags, another build directory (bench/variants.ts). */
export interface ServerVariant {
  nodeFlags?: string[]
  dist?: string
}

/**
 * The server's environment for a load from 127.0.0.1: production, a throwaway data key, and the
 * per-IP limit out of the way (it would answer 429 after 100 logins or signups a minute; the
 * lockout stays as configured, the benchmarks log in with the right password).
 */
export function loadTestEnv (databaseUrl: string, jwtSecret: string, bcryptCost: number, smtpUrl: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: jwtSecret,
    DATA_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    BCRYPT_COST: String(bcryptCost),
    AUTH_RATE_LIMIT: '1000000',
    LOG_LEVEL: 'info',
    CAPTCHA: 'off',
    // The seeded admin logs in with a password alone: what an admin request costs does not depend on
    // how its session began, and production's default (required) would answer the admin routes 403.
    ADMIN_MFA: 'optional',
    SMTP_URL: smtpUrl,
    PUBLIC_URL: 'https://dna.example.com'
  }
}

/**
 * The server as `npm start` runs it, in an empty directory (so no developer's .env is read);
 * with `profile`, it writes a --cpu-prof profile there when it stops.
 */
export async function startServer (workDir: string, env: Record<string, string>, logFile: string, profile: string | undefined, variant: ServerVariant = {}): Promise<Child> {
  const port = await freePort()
  const log = openSync(logFile, 'a')
  const nodeArgs = [...(variant.nodeFlags ?? START_FLAGS as string[]), ...(profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`])]
  const child = spawn(process.execPath, [...nodeArgs, join(REPO, variant.dist ?? 'dist', 'server.js')], {
    cwd: workDir, env: { PATH: process.env.PATH ?? '', ...env, HOST: '127.0.0.1', PORT: String(port) }, stdio: ['ignore', log, log]
  })
  closeSync(log)
  const stop = async (): Promise<void> => await stopProcess(child)
  atCleanUp(stop)
  const url = `http://127.0.0.1:${port}`
  for (let tries = 0; ; tries++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`)
    try {
      if ((await fetch(`${url}/health`)).ok) break
    } catch {}
    if (tries > 300) throw new Error('the server did not answer /health within 30 seconds')
    await sleep(100)
  }
  return { pid: child.pid as number, url, stop }
}

/** Resident memory in MB from /proc/<pid>/status: now (VmRSS) and the peak so far (VmHWM). */
export function memory (pid: number): { rss: number, peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kB = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { rss: kB('VmRSS') / 1024, peak: kB('VmHWM') / 1024 }
}

/** CPU time of a process so far, in clock ticks (user + system). */
function cpuTicks (pid: number | string): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return 0 // gone meanwhile
  }
}

const postgresPids = (): string[] => readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres'
  } catch {
    return false
  }
})

/**
 * The machine's busy CPU time and the part of it spent by what the benchmark knows: the server,
 * a ceiling, this process (autocannon) and PostgreSQL. The rest is someone else's load.
 */
export function cpuAccount (pids: number[]): { busy: number, ours: number } {
  // user, nice, system and steal (time the hypervisor gave to other machines); interrupts are
  // left out, as on loopback they are mostly the benchmark's own network traffic.
  const [, user, nice, system, , , , , steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number)
  const busy = user + nice + system + steal
  const ours = [...pids, process.pid, ...postgresPids()].reduce((sum: number, pid) => sum + cpuTicks(pid), 0)
  return { busy, ours }
}
