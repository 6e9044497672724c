import t from 'tap'
import { buildTestApp, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)

t.test('URLs the router cannot read get the one error shape too', async (t) => {
  const badEscape = await app.inject({ url: '/api/v1/users/%E0%A4%A' })
  t.equal(badEscape.statusCode, 400)
  t.same(badEscape.json(), { statusCode: 400, error: 'Bad Request', message: 'the URL is not valid: each % must start the escape of a UTF-8 character, such as %20' })

  const long = await app.inject({ url: `/api/v1/users/${'1'.repeat(101)}` })
  t.equal(long.statusCode, 414)
  t.same(long.json(), { statusCode: 414, error: 'URI Too Long', message: 'a path parameter is longer than 100 characters' })
  t.equal((await app.inject({ url: `/api/v1/users/${'1'.repeat(100)}` })).statusCode, 401, '100 characters are read as usual')
})
