// Load shedding: while the event loop lags more than MAX_EVENT_LOOP_DELAY_MS on average, requests
// are refused at once with a 503 and Retry-After, in the service's error shape, rather than queued
// behind the lag until every caller times out. @fastify/under-pressure measures the lag;
// MAX_EVENT_LOOP_DELAY_MS=0 turns shedding off.
//
// /health is never shed. It says whether the process is alive, and an orchestrator restarts
// instances that fail it: killing an overloaded instance throws its load onto the others and
// takes its capacity away just when it is needed. /ready is shed like any other route, which is
// what it is for: a load balancer sends no traffic to the instance until it has caught up.
import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import { serviceUnavailable } from '../../http/errors.js'

/**
 * under-pressure measures the event loop from the moment it is registered, start-up included:
 * starting the embedded database, compiling the schemas (and a sample that holds no measurement
 * at all, after one long block, counts as an infinite lag). A fresh instance would refuse its
 * first requests for no reason, so for this long after it is ready it sheds nothing.
 */
export const STARTUP_GRACE_MS = 1000

export const OVERLOADED = 'the server is overloaded; try again in a second'

/**
 * How often the lag is sampled: as often as the threshold, so that an overload is noticed about
 * as fast as it is defined, and at most once a second. Each sample averages the delays of a 10 ms
 * timer since the previous one, and one with no delay in it counts as an infinite lag, so every
 * 25 ms at least: a shorter interval would often hold none on an idle server.
 */
export function sampleInterval (maxEventLoopDelayMs: number): number {
  return Math.min(1000, Math.max(25, maxEventLoopDelayMs))
}

async function loadShedding (app: FastifyInstance): Promise<void> {
  const { maxEventLoopDelayMs } = app.config
  if (maxEventLoopDelayMs === 0) return

  let readyAt = Infinity
  app.addHook('onReady', async () => { readyAt = performance.now() })

  await app.register(underPressure, {
    maxEventLoopDelay: maxEventLoopDelayMs,
    sampleInterval: sampleInterval(maxEventLoopDelayMs),
    pressureHandler: async (request) => {
      if (request.routeOptions.url === '/health' || performance.now() - readyAt < STARTUP_GRACE_MS) return
      // Not the lag itself: after one long block, under-pressure reports it as Infinity.
      request.log.warn({ maxEventLoopDelayMs }, 'overloaded: the event loop lags more than MAX_EVENT_LOOP_DELAY_MS; request refused')
      // The lag is measured again within a second.
      throw serviceUnavailable(OVERLOADED, 1)
    }
  })
}

export default fp(loadShedding, { name: 'load-shedding' })
