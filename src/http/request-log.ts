// One log line per request, written when it has been answered: the request (method, URL without
// its query string, client address, through the `req` serializer), the status and the response
// time. Fastify's default writes two lines per request, one as it arrives and one when it is
// answered, and under load each line costs about as much as answering GET /health. The arrival
// is still logged at `debug` (LOG_LEVEL=debug), for following a request that is slow to answer;
// at `info` and above pino makes that call a no-op.
import pino from 'pino'
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

const { chindingsSym, streamSym } = pino.symbols
/** Set on streams that need each line's level beside it (pino.multistream). */
const NEEDS_METADATA = Symbol.for('pino.metadata')

interface LogStream {
  write: (line: string) => unknown
  [NEEDS_METADATA]?: boolean
}

/**
 * The line pino writes for `info({ req, res, responseTime }, 'request completed')` with the
 * service's logger options (default level numbers, epoch time and message key; the `req` and
 * `res` serializers of app.ts's loggerOptions), made with one template instead of pino's walk
 * over the object and its serializers. Every request writes it, and pino's way of making it took
 * about a fifth of what answering GET /health costs. test/http/request-log.test.ts holds it to pino's
 * output.
 */
export function completedLine (request: FastifyRequest, reply: FastifyReply, bindings: string): string {
  const address = request.ip
  return `{"level":30,"time":${Date.now()}${bindings},"req":{"method":${JSON.stringify(request.method)},` +
    `"url":${JSON.stringify(request.url.split('?')[0])}${address === undefined ? '' : `,"remoteAddress":${JSON.stringify(address)}`}},` +
    `"res":{"statusCode":${reply.statusCode}},"responseTime":${reply.elapsedTime},"msg":"request completed"}\n`
}

/** The line's fields, for pino to make it: only when the template cannot be used (not on every request). */
const lineFields = (request: FastifyRequest, reply: FastifyReply): Record<string, unknown> =>
  ({ req: request, res: reply, responseTime: reply.elapsedTime })

export class RequestLog extends LogController {
  override incomingRequest (request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request')
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const log = reply.log as pino.Logger
    // An error of the response stream itself, such as a connection reset while answering.
    if (error) {
      log.error({ ...lineFields(request, reply), err: error }, 'request errored')
      return
    }
    const internals = log as unknown as Record<symbol, unknown>
    const stream = internals[streamSym] as LogStream | undefined
    // The logger's bindings as JSON, each with a leading comma: `,"pid":…,"hostname":…,"reqId":…`.
    const bindings = internals[chindingsSym] as string | undefined
    if (stream === undefined || bindings === undefined || stream[NEEDS_METADATA] === true) {
      // Not a pino logger writing to a plain stream: let the logger make the line.
      log.info(lineFields(request, reply), 'request completed')
    } else if (log.isLevelEnabled('info')) {
      stream.write(completedLine(request, reply, bindings))
    }
  }
}
