import t from 'tap'
import { buildTestApp, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)

t.test('/ leads to the login page', async (t) => {
  const response = await app.inject({ url: '/' })
  t.equal(response.statusCode, 302)
  t.equal(response.headers.location, '/login.html')
  const page = await app.inject({ url: response.headers.location })
  t.equal(page.statusCode, 200, 'and the login page is there')
  t.match(page.headers['content-type'], /^text\/html/)
})

t.test('a page that does not exist is a JSON 404', async (t) => {
  const response = await app.inject({ url: '/no-such-page.html' })
  t.equal(response.statusCode, 404)
  t.same(response.json(), { statusCode: 404, error: 'Not Found', message: 'no route for GET /no-such-page.html' })
})

t.test('nothing outside public/ is served', async (t) => {
  for (const url of ['/package.json', '/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/src/config.ts', '/.env.sample']) {
    const response = await app.inject({ url })
    t.equal(response.statusCode, 404, url)
    t.notMatch(response.body, /"dependencies"|JWT_SECRET/, url)
  }
})
