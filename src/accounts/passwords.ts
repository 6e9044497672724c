// Password rules and hashing. bcrypt runs on libuv's thread pool (the async API), never on the
// event loop; its 72-byte input limit is enforced, not silently truncated.
import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import bcrypt from 'bcrypt'
import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import * as common from '@zxcvbn-ts/language-common'
import * as english from '@zxcvbn-ts/language-en'

import { MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS } from '../schemas/user.js'
/** zxcvbn scores 0–4; 3 is "safely unguessable: moderate protection from offline slow-hash attacks". */
const MIN_STRENGTH = 3

const strength = new ZxcvbnFactory({
  translations: english.translations,
  graphs: common.adjacencyGraphs,
  dictionary: { ...common.dictionary, ...english.dictionary },
  // The estimate runs on the event loop. Its l33t matcher tries substitution combinations, and
  // at the default cap of 100 a 72-byte run of digits costs up to a second of CPU; at 12 it stays
  // in the tens of milliseconds and still sees through P@ssw0rd-style spellings.
  l33tMaxSubstitutions: 12,
  maxLength: MAX_PASSWORD_BYTES
})

/** Why `password` is refused, or undefined when it is acceptable. `personal` are the user's own words. */
export function passwordProblem (password: string, personal: string[]): string | undefined {
  if ([...password].length < MIN_PASSWORD_CHARS) return `password must be at least ${MIN_PASSWORD_CHARS} characters`
  const bytes = Buffer.byteLength(password)
  if (bytes > MAX_PASSWORD_BYTES) return `password must be at most ${MAX_PASSWORD_BYTES} bytes of UTF-8 (it has ${bytes})`
  // Whole words, the part of an email before the @, and their pieces: `ada.lovelace@…` gives
  // `ada.lovelace`, `ada` and `lovelace`.
  const words = personal.flatMap((word) => [word, word.split('@')[0], ...word.split(/[@._+-]/)]).filter((word) => word.length > 2)
  const result = strength.check(password, words)
  if (result.score >= MIN_STRENGTH) return undefined
  // Below the threshold zxcvbn always suggests something (at least "add more words").
  const hint = [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean).join(' ')
  return `password is too easy to guess: ${hint}`
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
