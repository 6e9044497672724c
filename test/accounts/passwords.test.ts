import bcrypt from 'bcrypt'
import t from 'tap'
import { concurrencyLimit, passwordHasher, passwordProblem, strengthPool } from '../../src/accounts/passwords.js'

t.test('the rules, checked before any hashing', async (t) => {
  t.equal(await passwordProblem('short-1', []), 'password must be at least 10 characters')
  t.equal(await passwordProblem('ééééééééé', []), 'password must be at least 10 characters', 'characters, not bytes')
  t.equal(await passwordProblem('😀'.repeat(19), []), 'password must be at most 72 bytes of UTF-8 (it has 76)')
  t.match(await passwordProblem('qwertyuiop', []), /^password is too easy to guess: \S/)
  t.match(await passwordProblem('ada-lovelace', ['ada@example.com', 'Ada', 'Lovelace']), /^password is too easy to guess: \S/)
  t.equal(await passwordProblem('violet-Harbor-93-kettle', ['ada@example.com', 'Ada', 'Lovelace']), undefined)
})

t.test('a digit-heavy 72-byte password is judged, not a stall', async (t) => {
  t.match(await passwordProblem('1234567890'.repeat(7).slice(0, 72), []), /^password is too easy to guess/)
})

t.test('passwords are scored in worker threads, as many at once as the pool allows, each by the least busy', async (t) => {
  const pool = strengthPool(2)
  const passwords = ['qwertyuiop', 'violet-Harbor-93-kettle', 'correct horse battery staple', 'password123']
  const scores = await Promise.all(passwords.map(async (password) => await pool.estimate(password, [])))
  t.same(scores.map((strength) => strength.score >= 3), [false, true, true, false])
  t.match(scores[0].hint, /\S/, 'a weak one says what to do')
  t.equal(pool.workers().length, 2)
  for (const worker of pool.workers()) await worker.terminate()
})

t.test('a worker that dies fails what it was given, and the next password gets a new worker', async (t) => {
  const pool = strengthPool(1)
  t.equal((await pool.estimate('violet-Harbor-93-kettle', [])).score, 4)
  const [first] = pool.workers()
  const held = pool.estimate('correct horse battery staple', [])
  await first.terminate()
  await t.rejects(held, /the password-strength worker exited with 1/)
  t.same(pool.workers(), [], 'gone from the pool')

  t.equal((await pool.estimate('violet-Harbor-93-kettle', [])).score, 4, 'a new worker')
  const [second] = pool.workers()
  t.not(second, first)
  // A message it cannot score throws inside the worker: an error, then its exit.
  const crashed = pool.estimate(undefined as unknown as string, [])
  await t.rejects(crashed)
  t.same(pool.workers(), [])
})

t.test('hashing and verifying, with the 72-byte limit enforced', async (t) => {
  const passwords = await passwordHasher(4)
  const hash = await passwords.hash('violet-Harbor-93-kettle')
  t.match(hash, /^\$2b\$04\$/)
  t.equal(await passwords.verify('violet-Harbor-93-kettle', hash), true)
  t.equal(await passwords.verify('violet-Harbor-93-kettlE', hash), false)
  t.equal(await passwords.verify('violet-Harbor-93-kettle', undefined), false, 'no account: a dummy hash is compared, and it fails')
  const long = 'x'.repeat(72)
  const longHash = await passwords.hash(long)
  t.equal(await passwords.verify(`${long}y`, longHash), false, 'bcrypt would have ignored the 73rd byte')
})

t.test('old hashes: $2a$, $2b$ and $2y$ verify, and a lower cost than today\'s asks to be made again', async (t) => {
  const passwords = await passwordHasher(5)
  const made = await bcrypt.hash('violet-Harbor-93-kettle', 4)
  t.match(made, /^\$2b\$04\$/)
  for (const prefix of ['$2a$', '$2b$', '$2y$']) {
    const hash = `${prefix}${made.slice(4)}`
    t.equal(await passwords.verify('violet-Harbor-93-kettle', hash), true, `${prefix} matches`)
    t.equal(await passwords.verify('violet-Harbor-93-kettlE', hash), false, `${prefix} refuses a wrong password`)
    t.equal(passwords.needsRehash(hash), true, `${prefix} at cost 4 is below 5`)
  }
  t.equal(await bcrypt.compare('violet-Harbor-93-kettle', `$2y$${made.slice(4)}`), false, 'the bcrypt package alone refuses $2y$')
  t.equal(passwords.needsRehash(await passwords.hash('violet-Harbor-93-kettle')), false, 'a hash at today\'s cost is kept')
  t.equal(passwords.needsRehash(await bcrypt.hash('violet-Harbor-93-kettle', 6)), false, 'a higher cost too')
})

t.test('hashes beyond the limit wait their turn, and each gets its own answer', async (t) => {
  const passwords = await passwordHasher(4, 1)
  const hashes = await Promise.all(['violet-Harbor-93-kettle', 'new-Harbor-71-lantern', 'third-Harbor-55-anchor'].map(passwords.hash))
  const checks = await Promise.all([
    passwords.verify('violet-Harbor-93-kettle', hashes[0]),
    passwords.verify('violet-Harbor-93-kettle', hashes[1]),
    passwords.verify('third-Harbor-55-anchor', hashes[2])
  ])
  t.same(checks, [true, false, true])
})

t.test('a concurrency limit starts works in order as earlier ones end, whether they succeed or fail', async (t) => {
  const limited = concurrencyLimit(2)
  const started: number[] = []
  const finish: Array<(ok: boolean) => void> = []
  const work = (n: number) => async () => {
    started.push(n)
    const ok = await new Promise<boolean>((resolve) => { finish[n] = resolve })
    if (!ok) throw new Error(`work ${n} failed`)
    return n
  }
  const results = [1, 2, 3, 4].map(async (n) => await limited(work(n)).catch((error: Error) => error.message))
  await new Promise((resolve) => setImmediate(resolve))
  t.same(started, [1, 2], 'two at once')
  finish[2](false)
  t.equal(await results[1], 'work 2 failed')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(started, [1, 2, 3], 'a failure frees its place too')
  finish[1](true)
  finish[3](true)
  t.equal(await results[0], 1)
  await new Promise((resolve) => setImmediate(resolve))
  t.same(started, [1, 2, 3, 4])
  finish[4](true)
  t.same(await Promise.all(results), [1, 'work 2 failed', 3, 4])
  t.equal(await limited(async () => 'free again'), 'free again', 'no place is lost')
})
