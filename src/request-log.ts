// One log line per request, written when it has been answered: the request (method, URL without
// its query string, client address, through the `req` serializer), the status and the response
// time. Fastify's default writes two lines per request, one as it arrives and one when it is
// answered, and under load each line costs about as much as answering GET /health. The arrival
// is still logged at `debug` (LOG_LEVEL=debug), for following a request that is slow to answer;
// at `info` and above pino makes that call a no-op.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

export class RequestLog extends LogController {
  override incomingRequest (request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request')
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { req: request, res: reply, responseTime: reply.elapsedTime }
    // An error of the response stream itself, such as a connection reset while answering.
    if (error) {
      reply.log.error({ ...line, err: error }, 'request errored')
    } else {
      reply.log.info(line, 'request completed')
    }
  }
}
