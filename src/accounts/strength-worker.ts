// A worker thread that scores passwords (strength.ts) for passwords.ts's pool, one message each.
import { parentPort } from 'node:worker_threads'
import { estimate } from './strength.js'

export interface StrengthRequest {
  id: number
  password: string
  words: string[]
}

parentPort?.on('message', ({ id, password, words }: StrengthRequest) => {
  parentPort?.postMessage({ id, ...estimate(password, words) })
})
