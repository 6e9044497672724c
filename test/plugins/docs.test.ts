import { readFileSync } from 'node:fs'
import t from 'tap'
import { buildTestApp, testDatabase } from '../helper.js'

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

t.test('/docs is Swagger UI, served from this service, on the same document', async (t) => {
  const page = await app.inject({ url: '/docs' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, /<div id="swagger-ui">/)
  t.notMatch(page.body, /<script[^>]+src="https?:|<link[^>]+href="https?:/, 'no script or style from a CDN: the page works offline')

  const assets = [...page.body.matchAll(/<(?:script src|link rel="stylesheet" type="text\/css" href)="([^"]+)"/g)].map((match) => match[1])
  t.ok(assets.length >= 3, `the page loads its scripts and styles: ${assets.join(', ')}`)
  for (const asset of assets) {
    t.match(asset, /^\/docs\/static\//, 'from this service')
    t.equal((await app.inject({ url: asset })).statusCode, 200, asset)
  }

  const json = await app.inject({ url: '/docs/json' })
  t.same(json.json(), (await app.inject({ url: '/openapi.json' })).json(), 'Swagger UI reads the same document')
})
