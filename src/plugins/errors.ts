// One error shape for everything: `{statusCode, error, message}`. 4xx messages are written for
// the caller; 5xx bodies say nothing internal and the detail goes to the log instead.
import { STATUS_CODES } from 'node:http'
import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance } from 'fastify'
import { HttpError, isDatabaseUnavailable } from '../errors.js'

export function errorBody (statusCode: number, message: string): { statusCode: number, error: string, message: string } {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message }
}

async function errors (app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) {
      return reply.code(error.statusCode).headers(error.headers).send(errorBody(error.statusCode, error.message))
    }
    if (isDatabaseUnavailable(error)) {
      request.log.error({ err: error }, 'database unavailable')
      return reply.code(503).header('retry-after', '5')
        .send(errorBody(503, 'the service is temporarily unavailable; try again in a few seconds'))
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      // Fastify's message is the bare reason phrase: say what was sent and what to send instead.
      const sent = request.headers['content-type']
      return reply.code(415).send(errorBody(415, `${sent === undefined ? 'a body without a content-type' : `content-type '${sent}'`} ` +
        'is not accepted: send JSON with content-type: application/json'))
    }
    const statusCode = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
    if (statusCode >= 500) {
      request.log.error({ err: error }, 'request failed')
      return reply.code(statusCode).send(errorBody(statusCode, 'something went wrong on our side; it has been logged'))
    }
    return reply.code(statusCode).send(errorBody(statusCode, error.message))
  })

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(404, `no route for ${request.method} ${request.url.split('?')[0]}`)))
}

export default fp(errors, { name: 'errors' })
