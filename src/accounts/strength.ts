// zxcvbn's estimate of how guessable a password is. About 25 ms of CPU for a typical password, so
// the service runs it in worker threads (strength-worker.ts, passwords.ts), never on the event loop.
import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import * as common from '@zxcvbn-ts/language-common'
import * as english from '@zxcvbn-ts/language-en'

export interface Strength {
  /** 0–4. */
  score: number
  /** What to do about it: zxcvbn's warning and suggestions, in one sentence or more. */
  hint: string
}

const strength = new ZxcvbnFactory({
  translations: english.translations,
  graphs: common.adjacencyGraphs,
  dictionary: { ...common.dictionary, ...english.dictionary },
  // The l33t matcher tries substitution combinations, and at the default cap of 100 a 72-byte run
  // of digits costs up to a second of CPU; at 12 it stays in the tens of milliseconds and still
  // sees through P@ssw0rd-style spellings.
  l33tMaxSubstitutions: 12,
  // passwords.ts refuses anything longer (MAX_PASSWORD_BYTES) before asking.
  maxLength: 72
})

export function estimate (password: string, words: string[]): Strength {
  const result = strength.check(password, words)
  return { score: result.score, hint: [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean).join(' ') }
}
