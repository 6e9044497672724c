// Closing without dropping anyone (SIGTERM, see server.ts). Once `app.close()` starts, the server
// takes no new connections, Node closes the idle keep-alive ones, and a request arriving on an
// open one gets Fastify's 503 with `Connection: close`. Requests already in flight finish, but
// their keep-alive connections would then stay open until the client or keepAliveTimeout (72 s in
// Fastify) ends them, holding the close up past its grace: so their responses say
// `Connection: close` too, and the connection ends with them.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

async function gracefulClose (app: FastifyInstance): Promise<void> {
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  // A callback, not an async function: it runs for every response, and a promise each time costs.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
}

export default fp(gracefulClose, { name: 'graceful-close' })
