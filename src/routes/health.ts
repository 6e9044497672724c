// Probes for load balancers and orchestrators: /health says the process is up (and is never shed,
// see plugins/external/load-shedding.ts), /ready says it can reach the database and is not overloaded.
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors } from '../schemas/responses.js'
import { PUBLIC } from '../plugins/external/docs.js'
import { serviceUnavailable } from '../http/errors.js'

const Status = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false })

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', {
    schema: {
      operationId: 'health',
      summary: 'Is the process up?',
      tags: ['health'],
      security: PUBLIC,
      response: { 200: { ...Status, description: 'The process is up' }, 400: errors[400] }
    }
  }, async () => ({ status: 'ok' as const }))

  app.get('/ready', {
    schema: {
      operationId: 'ready',
      summary: 'Can the service reach its database?',
      tags: ['health'],
      security: PUBLIC,
      response: { 200: { ...Status, description: 'The database answers' }, 400: errors[400], 503: { ...errors[503], description: 'The database is not reachable, or this instance is overloaded' } }
    }
  }, async () => {
    try {
      await app.db.query('SELECT 1')
    } catch (error) {
      app.log.warn({ err: error }, 'readiness check failed')
      throw serviceUnavailable('the database is not reachable')
    }
    return { status: 'ok' as const }
  })
}

export default health
