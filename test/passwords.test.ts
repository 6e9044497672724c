import t from 'tap'
import { passwordHasher, passwordProblem } from '../src/passwords.js'

t.test('the rules, checked before any hashing', async (t) => {
  t.equal(passwordProblem('short-1', []), 'password must be at least 10 characters')
  t.equal(passwordProblem('ééééééééé', []), 'password must be at least 10 characters', 'characters, not bytes')
  t.equal(passwordProblem('😀'.repeat(19), []), 'password must be at most 72 bytes of UTF-8 (it has 76)')
  t.match(passwordProblem('qwertyuiop', []), /^password is too easy to guess: \S/)
  t.match(passwordProblem('ada-lovelace', ['ada@example.com', 'Ada', 'Lovelace']), /^password is too easy to guess: \S/)
  t.equal(passwordProblem('violet-Harbor-93-kettle', ['ada@example.com', 'Ada', 'Lovelace']), undefined)
})

t.test('a digit-heavy 72-byte password is judged, not a stall', async (t) => {
  t.match(passwordProblem('1234567890'.repeat(7).slice(0, 72), []), /^password is too easy to guess/)
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
