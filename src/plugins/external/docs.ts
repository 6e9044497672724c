// The OpenAPI document, built from the routes' TypeBox schemas: served at /openapi.json, written
// to openapi/openapi.json by `make openapi`, and browsable in Swagger UI at /docs.
import { readFileSync } from 'node:fs'
import fp from 'fastify-plugin'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { DOCS_CSP } from './security-headers.js'
import { errorExamples } from '../../schemas/responses.js'

declare module 'fastify' {
  interface FastifySchema {
    /** The route accepts a request without a body too (a hook fills in `{}`). */
    'x-optional-body'?: true
  }
}

const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }

const FAVICON = readFileSync(new URL('../../../public/favicon.svg', import.meta.url), 'utf8')
/** The icon and the service's name, white on Swagger UI's dark top bar. */
const LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="150" height="40" viewBox="0 0 120 32">' +
  FAVICON.replace('<svg ', '<svg width="32" height="32" ') +
  '<text x="40" y="23" fill="#fff" font-family="sans-serif" font-size="19" font-weight="bold">dna-api</text></svg>'

/** Security requirements, referenced by each protected route: either header carries the token. */
export const TOKEN_SECURITY: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { apiToken: [] }]
/** The security of a public route: none, said explicitly so that nothing inherits a default. */
export const PUBLIC: Array<Record<string, string[]>> = []

/**
 * @fastify/swagger marks every request body required (Fastify needs one when a body schema is
 * set); a route marked `x-optional-body` fills in `{}` itself, so its body is optional for clients.
 * And it keeps nothing but the `$ref` of an error response's schema: each gets its example here.
 */
function finishOperations (document: { paths: Record<string, Record<string, Operation>> }): object {
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path)) {
      if (operation['x-optional-body'] === true) {
        delete operation['x-optional-body']
        operation.requestBody.required = false
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400) response.content['application/json'].examples = errorExamples(status, response.description)
      }
    }
  }
  return document
}

interface Operation {
  'x-optional-body'?: true
  requestBody: { required: boolean }
  responses: Record<string, { description: string, content: Record<string, { examples?: unknown }> }>
}

async function docs (app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'dna-api',
        version,
        description: 'Accounts, sessions and admin-managed genetic results for a genetic-testing service. ' +
          'Every error body is `{statusCode, error, message}`; the message names the offending field.',
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' }
      },
      servers: [{ url: '/', description: 'The server this document is served from' }],
      tags: [
        { name: 'auth', description: 'Sign up, log in, log out' },
        { name: 'me', description: 'The account of the caller' },
        { name: 'admin', description: 'User management, genetic results and the audit log; admins only (a user may read their own record)' },
        { name: 'health', description: 'Liveness and readiness probes' }
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The `jwt_token` from signup or login' },
          apiToken: { type: 'apiKey', in: 'header', name: 'api-token', description: 'The `jwt_token`, as the older clients send it' }
        }
      }
    },
    // Shared schemas keep their $id (which Fastify requires of them) as their component name (User, Error, Token).
    refResolver: { buildLocalReference: (json) => json.$id as string },
    transformObject: (document) => finishOperations((document as { openapiObject: Parameters<typeof finishOperations>[0] }).openapiObject)
  })

  // Served from the package's own files (no CDN). The spec's server is `/`, so "Try it out" calls
  // this origin. Swagger UI replaces the pages' Content-Security-Policy with its own, on its routes only.
  // A pasted token (an admin's too) lives as long as the page: persisted, it would sit in localStorage
  // for any script of this origin, and anyone at the same browser, to read long after.
  // The top bar shows the service's icon and name (a data: image, which the CSP allows) instead of
  // Swagger's, and the spec's one address, /openapi.json: `urls` is the only setting the plugin
  // does not override with its own copy of the document at /docs/json.
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: DOCS_CSP,
    logo: { type: 'image/svg+xml', content: LOGO, href: '/', target: '_self' },
    theme: {
      title: 'dna-api · API docs',
      favicon: [{ filename: 'favicon.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: FAVICON }]
    },
    uiConfig: {
      urls: [{ url: '/openapi.json', name: 'dna-api' }],
      persistAuthorization: false,
      displayOperationId: true,
      displayRequestDuration: true
    }
  })

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}

export default fp(docs, { name: 'docs' })
