// One log line per request, written when it has been answered: the request (method, URL without
// its query string, client address, through the `req` serializer), the status and the response
// time. Fastify's default writes two lines per request, one as it arrives and one when it is
// answered, and under load each line costs about as much as answering GET /health. The arrival
// is still logged at `debug` (LOG_LEVEL=debug), for following a request that is slow to answer;
// at `info` and above pino makes that call a no-op. The probes `/health` and `/ready`, which load
// balancers ask every few seconds, write their line only when they fail or at `debug`.
import type { Logger } from 'pino'
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

/** The line's fields; the `req` and `res` serializers of app.ts's loggerOptions pick what is written. */
const lineFields = (request: FastifyRequest, reply: FastifyReply): Record<string, unknown> =>
  ({ req: request, res: reply, responseTime: reply.elapsedTime })

/** Routes asked every few seconds by load balancers and orchestrators: logged only when they fail. */
const PROBES = new Set(['/health', '/ready'])

/** A probe that succeeded, which is logged at `debug` only. */
const quietProbe = (request: FastifyRequest, reply: FastifyReply, log: Logger): boolean =>
  reply.statusCode < 300 && PROBES.has(request.routeOptions.url as string) && !log.isLevelEnabled('debug')

export class RequestLog extends LogController {
  override incomingRequest (request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request')
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const log = reply.log as Logger
    // An error of the response stream itself, such as a connection reset while answering.
    if (error) {
      log.error({ ...lineFields(request, reply), err: error }, 'request errored')
      return
    }
    if (quietProbe(request, reply, log)) return
    log.info(lineFields(request, reply), 'request completed')
  }
}
