import { Writable } from 'node:stream'
import t from 'tap'
import { buildTestApp, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)

t.test('an unexpected error is a 500 that tells nothing internal, and the detail goes to the log', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, callback) { lines.push(String(chunk)); callback() } })
  const failing = await buildTestApp(t, db, {}, { logger: { level: 'error', stream } })
  const thrower = (error: Error) => async () => { throw error }
  failing.get('/bug', thrower(new Error('column "password_hash" of relation "users" is ambiguous')))
  failing.get('/teapot', thrower(Object.assign(new Error('I am a teapot'), { statusCode: 418 })))
  failing.get('/success-status', thrower(Object.assign(new Error('thrown with a 2xx status'), { statusCode: 200 })))
  failing.get('/no-such-status', thrower(Object.assign(new Error('thrown with status 700'), { statusCode: 700 })))

  const bug = await failing.inject({ url: '/bug' })
  t.equal(bug.statusCode, 500)
  t.same(bug.json(), { statusCode: 500, error: 'Internal Server Error', message: 'something went wrong on our side; it has been logged' })
  const logged = JSON.parse(lines.find((line) => line.includes('request failed')) as string)
  t.match(logged, { level: 50, err: { message: 'column "password_hash" of relation "users" is ambiguous' } })

  t.same((await failing.inject({ url: '/teapot' })).json(), { statusCode: 418, error: 'I\'m a Teapot', message: 'I am a teapot' }, 'a 4xx keeps its message')
  for (const url of ['/success-status', '/no-such-status']) {
    const response = await failing.inject({ url })
    t.equal(response.statusCode, 500, `${url}: an error status outside 400–599 is a bug`)
    t.notMatch(response.body, /thrown/)
  }
})

t.test('URLs the router cannot read get the one error shape too', async (t) => {
  const badEscape = await app.inject({ url: '/api/v1/users/%E0%A4%A' })
  t.equal(badEscape.statusCode, 400)
  t.same(badEscape.json(), { statusCode: 400, error: 'Bad Request', message: 'the URL is not valid: each % must start the escape of a UTF-8 character, such as %20' })

  const long = await app.inject({ url: `/api/v1/users/${'1'.repeat(101)}` })
  t.equal(long.statusCode, 414)
  t.same(long.json(), { statusCode: 414, error: 'URI Too Long', message: 'a path parameter is longer than 100 characters' })
  t.equal((await app.inject({ url: `/api/v1/users/${'1'.repeat(100)}` })).statusCode, 401, '100 characters are read as usual')
})

t.test('an unknown route is a 404 naming it, without its query string', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/api/v2/users?token=secret' })
  t.same(response.json(), { statusCode: 404, error: 'Not Found', message: 'no route for POST /api/v2/users' })
})
