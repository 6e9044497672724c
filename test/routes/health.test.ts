import t from 'tap'
import { buildTestApp, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)

t.test('the probes answer 200 while the process is up and the database answers', async (t) => {
  for (const url of ['/health', '/ready']) {
    const response = await app.inject({ url })
    t.equal(response.statusCode, 200, url)
    t.same(response.json(), { status: 'ok' }, url)
  }
})

t.test('the probes refuse what no route accepts, as the spec says: a NUL byte in the query string', async (t) => {
  for (const url of ['/health?probe=%00', '/ready?probe=%00']) {
    const response = await app.inject({ url })
    t.equal(response.statusCode, 400, url)
    t.equal(response.json().message, 'querystring/probe contains a NUL character or invalid Unicode, which cannot be stored')
  }
})
