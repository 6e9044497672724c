// The OpenAPI document, built from the routes' TypeBox schemas: served at /openapi.json, written
// to openapi/openapi.json by `make openapi`, and browsable in Swagger UI at /docs.
import { readFileSync } from 'node:fs'
import fp from 'fastify-plugin'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { DOCS_CSP } from './security-headers.js'

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

/** Security requirements, referenced by each protected route: either header carries the token. */
export const TOKEN_SECURITY: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { apiToken: [] }]

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
    // Shared schemas keep their $id as their component name (User, Error, Token).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}` }
  })

  // Swagger UI replaces the pages' Content-Security-Policy with its own, on its routes only.
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP })

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}

export default fp(docs, { name: 'docs' })
