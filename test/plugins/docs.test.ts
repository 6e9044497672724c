import t from 'tap'
import { buildTestApp, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)

t.test('Swagger UI at /docs loads only files this service serves itself', async (t) => {
  for (const url of ['/docs', '/docs/']) {
    const page = await app.inject({ url })
    t.equal(page.statusCode, 200, url)
    t.match(page.headers['content-type'], /^text\/html/)
    t.match(page.body, '<title>dna-api · API docs</title>')
    // No CDN: every script and stylesheet is a path on this origin.
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1])
    t.ok(assets.length >= 4, `${url} links its assets`)
    for (const asset of assets) {
      t.notMatch(asset, /^(?:[a-z]+:)?\/\//, `${url}: ${asset} is on this origin`)
      const file = await app.inject({ url: new URL(asset, `http://localhost${url}`).pathname })
      t.equal(file.statusCode, 200, asset)
    }
  }
})

t.test('Swagger UI reads the spec from this service, keeps the token, and asks no validator', async (t) => {
  const initializer = await app.inject({ url: '/docs/static/swagger-initializer.js' })
  t.equal(initializer.statusCode, 200)
  t.match(initializer.body, '"persistAuthorization":true')
  t.match(initializer.body, 'validatorUrl: null')
  t.match(initializer.body, "url: resolveUrl('./json')")
  const spec = await app.inject({ url: '/docs/json' })
  t.same(spec.json(), (await app.inject({ url: '/openapi.json' })).json())
})

t.test('logout\'s body is optional in the spec, as it is for the route', async (t) => {
  const spec = (await app.inject({ url: '/openapi.json' })).json()
  const logout = spec.paths['/api/v1/users/logout'].post
  t.equal(logout.requestBody.required, false)
  t.notOk('x-optional-body' in logout)
  t.equal(spec.paths['/api/v1/users/login'].post.requestBody.required, true)
})
