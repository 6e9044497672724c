// One error shape for everything: `{statusCode, error, message}`. 4xx messages are written for
// the caller; 5xx bodies say nothing internal and the detail goes to the log instead.
import { STATUS_CODES } from 'node:http'
import fp from 'fastify-plugin'
import type { Socket } from 'node:net'
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import { HttpError } from '../../http/errors.js'
import { DomainError, isDatabaseUnavailable } from '../../db/errors.js'
import { SealedDataError } from '../../db/data-cipher.js'

/** What a caller is told when a stored value of theirs does not decrypt; the log says which user and key. */
export const SEALED_DATA_CONFLICT = 'the stored health data of this account failed its integrity check and is withheld; ' +
  'this has been logged: contact support'
export const SEALED_DATA_UNAVAILABLE = 'the health data of this account cannot be decrypted right now; try again later'

/** The status of each refusal of the data layer (db/errors.ts), by its name: every DomainError has one. */
const DOMAIN_STATUS = new Map([['EmailTaken', 409], ['UserMissing', 404]])

export function errorBody (statusCode: number, message: string): { statusCode: number, error: string, message: string } {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message }
}

/**
 * The Fastify option `frameworkErrors`: errors the router raises before any route, hook or error
 * handler runs, which Fastify would otherwise answer in a shape of its own, echoing the URL. Only
 * two can happen here, a malformed percent-escape (400) and a path parameter over 100 characters
 * (414): the third kind comes from asynchronous route constraints, which this service has none of.
 */
export function frameworkErrors (error: FastifyError, _request: unknown, reply: FastifyReply): FastifyReply {
  const statusCode = error.statusCode as number
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? 'a path parameter is longer than 100 characters'
    : 'the URL is not valid: each % must start the escape of a UTF-8 character, such as %20'
  return reply.code(statusCode).send(errorBody(statusCode, message))
}

/**
 * The Fastify option `clientErrorHandler`: errors of the connection itself, raised by Node's HTTP
 * parser outside any route, so written straight to the socket, which is then closed. Fastify's
 * default answers in the error shape but says only "Client Timeout" or "Client Error".
 */
export function clientErrorHandler (this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  const [statusCode, message] = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, `the request did not arrive in full within ${this.config.requestTimeoutMs / 1000} s: send its headers and body without pausing`]
    : error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers are too large']
      : [400, 'the request is not valid HTTP/1.1']
  this.log.debug({ err: error, remoteAddress: socket.remoteAddress }, 'connection error')
  // Not writable: the client reset or closed its side, and there is no one left to answer.
  if (socket.writable) {
    const body = JSON.stringify(errorBody(statusCode, message))
    socket.write(`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] as string}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy(error)
}

async function errors (app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) {
      return reply.code(error.statusCode).headers(error.headers).send(errorBody(error.statusCode, error.message))
    }
    // The data layer's refusals, in its own words; their messages are written for the caller.
    if (error instanceof DomainError) {
      const statusCode = DOMAIN_STATUS.get(error.name) as number
      return reply.code(statusCode).send(errorBody(statusCode, error.message))
    }
    if (error instanceof SealedDataError) {
      // Never the data: the user, the key id and what is wrong with the value.
      request.log.error({ userId: error.userId, keyId: error.keyId, problem: error.problem }, 'health data integrity error')
      // A missing key is the operator's to fix (DATA_KEYS lost a key still in use): 503. A value that
      // does not authenticate for its row will not get better by retrying: 409.
      return error.problem === 'unknown key'
        ? reply.code(503).header('retry-after', '60').send(errorBody(503, SEALED_DATA_UNAVAILABLE))
        : reply.code(409).send(errorBody(409, SEALED_DATA_CONFLICT))
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
