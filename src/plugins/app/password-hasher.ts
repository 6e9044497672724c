// `app.passwords`: bcrypt at the configured cost, with a dummy hash for unknown accounts.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { passwordHasher, type Passwords } from '../../accounts/passwords.js'

declare module 'fastify' {
  interface FastifyInstance {
    passwords: Passwords
  }
}

async function passwords (app: FastifyInstance): Promise<void> {
  app.decorate('passwords', await passwordHasher(app.config.bcryptCost))
}

export default fp(passwords, { name: 'passwords' })
