// Prometheus metrics, served apart from the API (METRICS_PORT, on 127.0.0.1 unless METRICS_HOST
// says otherwise; src/server.ts starts that listener with `listenForMetrics`): request durations
// by route pattern and status, login outcomes, rate-limit rejections, mails, the database pool,
// and the process's own (event-loop lag, memory). Off by default: then nothing is hooked into
// requests and `app.metrics`' counters do nothing. README.md, Metrics, says what each one means.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import client from 'prom-client'
import { ConfigError } from '../../config.js'

export type LoginOutcome = 'success' | 'failure' | 'locked'
export type MailOutcome = 'sent' | 'retried' | 'failed'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: {
      login: (outcome: LoginOutcome) => void
      rateLimited: () => void
      mail: (outcome: MailOutcome) => void
      /** The exposition text, or undefined when metrics are off. */
      scrape: () => Promise<string | undefined>
    }
  }
}

/** From a fast GET /me (a few ms) to a bcrypt-bound signup queued behind others (seconds). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

async function metrics (app: FastifyInstance): Promise<void> {
  if (app.config.metricsPort === undefined) {
    app.decorate('metrics', { login: () => {}, rateLimited: () => {}, mail: () => {}, scrape: async () => undefined })
    return
  }
  const registry = new client.Registry()
  client.collectDefaultMetrics({ register: registry })
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from a request\'s arrival to its answer, by method, route pattern and status',
    labelNames: ['method', 'route', 'status_code'],
    buckets: DURATION_BUCKETS,
    registers: [registry]
  })
  const logins = new client.Counter({ name: 'dna_api_logins_total', help: 'Logins by outcome: success, failure (wrong credentials), locked (the account and address are locked out)', labelNames: ['outcome'], registers: [registry] })
  const rateLimited = new client.Counter({ name: 'dna_api_rate_limited_total', help: 'Requests refused (429) by the per-address limit on signup, login and password checks', registers: [registry] })
  const mails = new client.Counter({ name: 'dna_api_mails_total', help: 'Mails this instance tried to send, by outcome: sent, retried (will be tried again), failed (given up)', labelNames: ['outcome'], registers: [registry] })
  // Both read when scraped; the pool first, before the outbox's count takes a connection of it.
  const { db } = app
  const pool = new client.Gauge({
    name: 'dna_api_db_pool_connections',
    help: 'The database pool of this instance: connections open (total), those idle, and queries waiting for one',
    labelNames: ['state'],
    registers: [registry],
    collect () {
      const stats = db.poolStats?.()
      if (stats === undefined) return // the embedded database has no pool
      for (const [state, value] of Object.entries(stats)) pool.set({ state }, value)
    }
  })
  // eslint-disable-next-line no-new
  new client.Gauge({
    name: 'dna_api_mail_outbox_pending',
    help: 'Mails queued by every instance and neither sent nor given up yet',
    registers: [registry],
    // Unknown (NaN) while the database does not answer: the other metrics are still served.
    async collect () { this.set(await app.data.outbox.pending().catch(() => NaN)) }
  })
  for (const outcome of ['success', 'failure', 'locked']) logins.inc({ outcome }, 0)
  for (const outcome of ['sent', 'retried', 'failed']) mails.inc({ outcome }, 0)

  // One child a method, route and status: looking labels up costs more than the observation.
  const children = new Map<string, client.Histogram.Internal<'method' | 'route' | 'status_code'>>()
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    // The pattern (`/api/v1/users/:id`), never the URL with its ids; no route at all is one series.
    const route = request.routeOptions.url ?? 'unmatched'
    const key = `${request.method} ${route} ${reply.statusCode}`
    let child = children.get(key)
    if (child === undefined) {
      child = duration.labels(request.method, route, String(reply.statusCode))
      children.set(key, child)
    }
    child.observe(reply.elapsedTime / 1000)
    done()
  })

  app.decorate('metrics', {
    login: (outcome: LoginOutcome) => logins.inc({ outcome }),
    rateLimited: () => rateLimited.inc(),
    mail: (outcome: MailOutcome) => mails.inc({ outcome }),
    scrape: async () => await registry.metrics()
  })
}

export default fp(metrics, { name: 'metrics', dependencies: ['database'] })

/**
 * GET /metrics of `app` on a listener of its own; anything else is a 404. Resolves once it
 * listens, with its address and a function that closes it.
 */
export async function listenForMetrics (app: FastifyInstance, port: number, host: string): Promise<{ url: string, close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const answer = (status: number, type: string, body: string): void => { response.writeHead(status, { 'content-type': type }).end(body) }
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      answer(404, 'application/json; charset=utf-8', JSON.stringify({ statusCode: 404, error: 'Not Found', message: 'only GET /metrics is served here' }))
      return
    }
    app.metrics.scrape().then((text) => answer(200, client.Registry.PROMETHEUS_CONTENT_TYPE, text as string),
      /* c8 ignore next 4: a scrape fails only when a collect() throws, and none of the above does */
      (error: unknown) => {
        app.log.error({ err: error }, 'metrics could not be collected')
        answer(500, 'application/json; charset=utf-8', JSON.stringify({ statusCode: 500, error: 'Internal Server Error', message: 'the metrics could not be collected' }))
      })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: Error & { code?: string }) => {
      reject(error.code === 'EADDRINUSE' ? new ConfigError('METRICS_PORT', `${host}:${port} is already in use: pick another port for the metrics`) : error)
    })
    server.listen(port, host, () => { server.removeAllListeners('error'); resolve() })
  })
  const address = server.address() as AddressInfo
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    close: async () => await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
