import t from 'tap'
import { auth, buildTestApp, signUpAdmin, testDatabase } from './helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
const admin = await signUpAdmin(app, db)
const get = async (url: string) => await app.inject({ url, headers: auth(admin.token) })

t.test('query and path numbers are coerced from text, but must be finite', async (t) => {
  // Ajv turns `1e400` into Infinity and then skips its range checks, which compare finite numbers only.
  const cases: Array<[string, string]> = [
    ['/api/v1/users?limit=1e400', 'querystring/limit must be a finite number'],
    ['/api/v1/users?limit=-Infinity', 'querystring/limit must be a finite number'],
    ['/api/v1/audit?user_id=Infinity', 'querystring/user_id must be a finite number'],
    ['/api/v1/users/1e400', 'params/id must be a finite number'],
    ['/api/v1/users/-Infinity/', 'params/id must be a finite number']
  ]
  for (const [url, message] of cases) {
    const response = await get(url)
    t.equal(response.statusCode, 400, url)
    t.same(response.json(), { statusCode: 400, error: 'Bad Request', message }, url)
  }
  t.equal((await get('/api/v1/users?limit=1e1')).json().users.length, 1, 'other spellings of a number still work')
  t.equal((await get(`/api/v1/users/${admin.user.id}.0`)).statusCode, 200)
  t.equal((await get('/api/v1/users?email=Infinity')).statusCode, 200, 'text fields are not numbers')
})
