import t from 'tap'
import { decodeCursor, encodeCursor } from '../../src/http/cursor.js'

const NOT_A_CURSOR = { statusCode: 400, message: 'querystring/cursor is not a cursor returned by this endpoint' }

t.test('a cursor names the position after which the next page starts, for one endpoint', async (t) => {
  t.equal(decodeCursor('users', encodeCursor('users', 42)), 42)
  t.equal(decodeCursor('audit', encodeCursor('audit', 2147483647)), 2147483647)
  t.throws(() => decodeCursor('audit', encodeCursor('users', 42)), NOT_A_CURSOR, 'a users cursor is not an audit cursor')
})

t.test('anything else is a 400, including ids no row can have', async (t) => {
  const forged = (text: string): string => Buffer.from(text).toString('base64url')
  for (const cursor of ['', 'nope', forged('users:0'), forged('users:-1'), forged('users:1.5'), forged('users:2147483648'), forged('users:9999999999'),
    forged('users:12345678901'), forged('users:1 '), forged('users:1\n')]) {
    t.throws(() => decodeCursor('users', cursor), NOT_A_CURSOR, JSON.stringify(Buffer.from(cursor, 'base64url').toString()))
  }
})
