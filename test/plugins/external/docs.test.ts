import { readFileSync } from 'node:fs'
import t from 'tap'
import { buildTestApp, testDatabase } from '../../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)

interface Operation { operationId?: string, security?: unknown, responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }
interface Spec {
  openapi: string
  info: { title: string, version: string }
  servers: unknown
  paths: Record<string, Record<string, Operation>>
  components: { securitySchemes: Record<string, unknown>, schemas: Record<string, unknown> }
}

t.test('/openapi.json is the OpenAPI 3.1 document of this service', async (t) => {
  const response = await app.inject({ url: '/openapi.json' })
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^application\/json/)
  const spec = response.json<Spec>()
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
  t.match(spec, { openapi: '3.1.0', info: { title: 'dna-api', version }, servers: [{ url: '/' }] })
  t.same(spec.components.securitySchemes, {
    bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The `jwt_token` from signup or login' },
    apiToken: { type: 'apiKey', in: 'header', name: 'api-token', description: 'The `jwt_token`, as the older clients send it' }
  }, 'both ways of sending the token are declared')
  for (const name of ['User', 'Error', 'Token']) t.ok(name in spec.components.schemas, `the shared schema ${name} is a named component`)

  t.notOk('/' in spec.paths, 'the redirect is not an API operation')
  t.notOk('/openapi.json' in spec.paths, 'nor is the document itself')
  t.same(spec.paths['/api/v1/users/me'].get.security, [{ bearerAuth: [] }, { apiToken: [] }], 'a protected route takes either header')

  const operations = Object.values(spec.paths).flatMap((methods) => Object.values(methods))
  const ids = operations.map((operation) => operation.operationId)
  t.equal(new Set(ids).size, ids.length, 'every operation has an id of its own, for generated clients')
  t.notOk(ids.includes(undefined))
  for (const operation of operations) {
    for (const [status, answer] of Object.entries(operation.responses)) {
      if (Number(status) >= 400) t.equal(answer.content?.['application/json'].schema.$ref, '#/components/schemas/Error', `${String(operation.operationId)} ${status}`)
    }
  }
})

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

t.test('Swagger UI reads the spec from this service, keeps the token for the page\'s life only, and asks no validator', async (t) => {
  const initializer = await app.inject({ url: '/docs/static/swagger-initializer.js' })
  t.equal(initializer.statusCode, 200)
  t.match(initializer.body, '"persistAuthorization":false')
  t.notMatch(initializer.body, '"persistAuthorization":true')
  t.match(initializer.body, 'validatorUrl: null')
  t.match(initializer.body, '"urls":[{"url":"/openapi.json","name":"dna-api"}]', 'the one address of the spec, as the README gives it')
  const spec = await app.inject({ url: '/docs/json' })
  t.same(spec.json(), (await app.inject({ url: '/openapi.json' })).json())
})

t.test('Swagger UI shows the service\'s own name and icon, not Swagger\'s', async (t) => {
  const favicon = readFileSync('public/favicon.svg', 'utf8')
  const page = await app.inject({ url: '/docs' })
  t.match(page.body, '<link rel="icon" type="image/svg+xml" href="/docs/static/theme/favicon.svg" sizes="any" />')
  t.notMatch(page.body, 'favicon-32x32.png', 'not Swagger\'s icon')
  const icon = await app.inject({ url: '/docs/static/theme/favicon.svg' })
  t.equal(icon.statusCode, 200)
  t.match(icon.headers['content-type'], /^image\/svg\+xml/)
  t.equal(icon.body, favicon)

  const initializer = (await app.inject({ url: '/docs/static/swagger-initializer.js' })).body
  const logo = /img\.src = 'data:image\/svg\+xml;base64,([^']+)'/.exec(initializer)
  t.ok(logo, 'the top bar\'s logo is replaced')
  const svg = Buffer.from(logo?.[1] ?? '', 'base64').toString()
  t.match(svg, '>dna-api</text>', 'by the service\'s name')
  t.match(svg, favicon.replace('<svg ', '<svg width="32" height="32" '), 'beside its icon')
  t.match(initializer, "img.href = '/'")
})

t.test('logout\'s body is optional in the spec, as it is for the route', async (t) => {
  const spec = (await app.inject({ url: '/openapi.json' })).json()
  const logout = spec.paths['/api/v1/users/logout'].post
  t.equal(logout.requestBody.required, false)
  t.notOk('x-optional-body' in logout)
  t.equal(spec.paths['/api/v1/users/login'].post.requestBody.required, true)
})
