// The browser pages in public/, served as files; `/` leads to the login page.
import { fileURLToPath } from 'node:url'
import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url))

async function pages (app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: PUBLIC_DIR, index: false, wildcard: false })
  app.get('/', { schema: { hide: true } }, async (_request, reply) => await reply.redirect('/login.html'))
}

export default fp(pages, { name: 'pages' })
