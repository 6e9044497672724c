// Password rules and hashing. bcrypt runs on libuv's thread pool (the async API) and zxcvbn in
// worker threads, never on the event loop; bcrypt's 72-byte input limit is enforced, not silently
// truncated. The zxcvbn dictionaries (about 40 MB) are loaded by the workers only.
import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import bcrypt from 'bcrypt'
import type { Strength } from './strength.js'
import type { StrengthRequest } from './strength-worker.js'
import { MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS } from '../schemas/user.js'
/** zxcvbn scores 0–4; 3 is "safely unguessable: moderate protection from offline slow-hash attacks". */
const MIN_STRENGTH = 3

// The worker is this module's sibling: strength-worker.js from dist/, strength-worker.ts when the
// sources run through a loader (the tests', tsx), which a worker inherits with the process's options.
const WORKER_URL = new URL(`./strength-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url)
const newWorker = (): Worker => new Worker(WORKER_URL)

interface Task {
  resolve: (strength: Strength) => void
  reject: (error: Error) => void
}

interface StrengthWorker {
  worker: Worker
  pending: Map<number, Task>
}

/**
 * Worker threads scoring passwords, `size` at most, started as they are needed. A worker that dies fails what it was given; the next
 * password starts a new one.
 */
export function strengthPool (size: number): { estimate: (password: string, words: string[]) => Promise<Strength>, workers: () => Worker[] } {
  const workers: StrengthWorker[] = []
  let nextId = 0

  function startWorker (): StrengthWorker {
    const started: StrengthWorker = { worker: newWorker(), pending: new Map() }
    started.worker.on('message', ({ id, ...strength }: Strength & { id: number }) => {
      const task = started.pending.get(id) as Task
      started.pending.delete(id)
      if (started.pending.size === 0) started.worker.unref()
      task.resolve(strength)
    })
    const fail = (error: Error): void => {
      workers.splice(workers.indexOf(started), 1)
      for (const task of started.pending.values()) task.reject(error)
      started.pending.clear()
    }
    started.worker.once('error', fail)
    started.worker.once('exit', (code) => { if (workers.includes(started)) fail(new Error(`the password-strength worker exited with ${code}`)) })
    // Referenced only while it has work: an idle worker never keeps the process alive.
    started.worker.unref()
    workers.push(started)
    return started
  }

  return {
    /** zxcvbn's estimate, from the worker with the least to do, or a new one while all are busy and there are fewer than `size`. */
    async estimate (password, words) {
      let chosen = workers[0] as StrengthWorker | undefined
      for (const one of workers) if (one.pending.size < (chosen as StrengthWorker).pending.size) chosen = one
      if (chosen === undefined || (chosen.pending.size > 0 && workers.length < size)) chosen = startWorker()
      const id = nextId++
      const worker = chosen
      return await new Promise((resolve, reject) => {
        worker.pending.set(id, { resolve, reject })
        worker.worker.ref()
        worker.worker.postMessage({ id, password, words } satisfies StrengthRequest)
      })
    },
    workers: () => workers.map((one) => one.worker)
  }
}

/**
 * One fewer than the cores, at least one: on two cores one worker scores while the other core
 * answers requests (bcrypt's threads share both).
 */
const strength = strengthPool(Math.max(1, availableParallelism() - 1))

/** Why `password` is refused, or undefined when it is acceptable. `personal` are the user's own words. */
export async function passwordProblem (password: string, personal: string[]): Promise<string | undefined> {
  if ([...password].length < MIN_PASSWORD_CHARS) return `password must be at least ${MIN_PASSWORD_CHARS} characters`
  const bytes = Buffer.byteLength(password)
  if (bytes > MAX_PASSWORD_BYTES) return `password must be at most ${MAX_PASSWORD_BYTES} bytes of UTF-8 (it has ${bytes})`
  // Whole words, the part of an email before the @, and their pieces: `ada.lovelace@…` gives
  // `ada.lovelace`, `ada` and `lovelace`.
  const words = personal.flatMap((word) => [word, word.split('@')[0], ...word.split(/[@._+-]/)]).filter((word) => word.length > 2)
  const result = await strength.estimate(password, words)
  if (result.score >= MIN_STRENGTH) return undefined
  // Below the threshold zxcvbn always suggests something (at least "add more words").
  return `password is too easy to guess: ${result.hint}`
}

export interface Passwords {
  hash: (password: string) => Promise<string>
  /**
   * Compares against `hash`, or against a dummy hash of the same cost when there is none, so an
   * unknown email costs as much time as a wrong password and timing does not reveal accounts.
   */
  verify: (password: string, hash: string | undefined) => Promise<boolean>
  /** Whether `hash` was made at a lower cost than today's: after a successful login it is made again. */
  needsRehash: (hash: string) => boolean
}

/**
 * `$2y$` (PHP's name for the corrected algorithm) is the same hash as `$2b$`, but the bcrypt
 * package refuses it: a `$2y$` hash from the old service would never match.
 */
export function comparableHash (hash: string): string {
  return hash.startsWith('$2y$') ? `$2b$${hash.slice(4)}` : hash
}

/** Runs at most `limit` of the works given to it at once; the others wait their turn, in order. */
export function concurrencyLimit (limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0
  const waiting: Array<() => void> = []
  return async (work) => {
    if (running < limit) {
      running += 1
    } else {
      // The slot is handed over by the work that ends, so `running` stays as it is.
      await new Promise<void>((resolve) => waiting.push(resolve))
    }
    try {
      return await work()
    } finally {
      const next = waiting.shift()
      if (next === undefined) running -= 1
      else next()
    }
  }
}

/**
 * `concurrency` hashes at most run at once, one per core by default. A flood of logins then
 * keeps as many threads busy as there are cores, no more: the event loop still gets its share of
 * the CPU for everything else (GET /me stays fast while logins queue), and libuv's other pool
 * threads stay free for file writes (the log) and DNS. More hashes at once would not finish any
 * sooner, as each one keeps a core busy.
 */
export async function passwordHasher (cost: number, concurrency = availableParallelism()): Promise<Passwords> {
  const limited = concurrencyLimit(concurrency)
  const dummyHash = await bcrypt.hash(randomBytes(16).toString('hex'), cost)
  return {
    hash: async (password) => await limited(async () => await bcrypt.hash(password, cost)),
    async verify (password, hash) {
      // bcrypt ignores bytes past 72: a longer password would match the hash of its prefix.
      const tooLong = Buffer.byteLength(password) > MAX_PASSWORD_BYTES
      const matches = await limited(async () => await bcrypt.compare(password, comparableHash(hash ?? dummyHash)))
      return matches && hash !== undefined && !tooLong
    },
    needsRehash: (hash) => bcrypt.getRounds(comparableHash(hash)) < cost
  }
}
