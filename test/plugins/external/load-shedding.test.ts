// Load shedding, on an app with a small threshold (50 ms, measured every 50 ms) whose event loop
// the test keeps busy with synchronous work, as a flood of CPU-bound requests would.
import { readFileSync } from 'node:fs'
import type { InjectOptions } from 'fastify'
import t from 'tap'
import { OVERLOADED, sampleInterval, STARTUP_GRACE_MS } from '../../../src/plugins/external/load-shedding.js'
import { SPEC_FILE } from '../../../src/http/spec.js'
import { auth, buildTestApp, signUp, testDatabase } from '../../helper.js'
import { captureLogs } from '../../support.js'

const db = await testDatabase(t)
// A token from an app that never sheds, for the requests that should be served.
const { token } = await signUp(await buildTestApp(t, db))

const logs = captureLogs('warn')
const app = await buildTestApp(t, db, { MAX_EVENT_LOOP_DELAY_MS: '50' }, { logger: logs.logger })

/** Keeps the event loop busy for `ms`, as synchronous work does: no timer or I/O runs meanwhile. */
function blockEventLoop (ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end);
}

const nextTurn = async (): Promise<void> => await new Promise((resolve) => setImmediate(resolve))

/** Longer than the sample interval and the threshold. */
const TURN_MS = 150

/**
 * A sustained overload, for `ms` and at least three turns of the event loop, each spending
 * TURN_MS on synchronous work. Each turn, under-pressure's sampling timer fires once, and so does
 * the 10 ms timer of the histogram it samples, which records the time between two of its firings
 * but forgets the first one after each sample. So from the second turn on, every sample holds
 * either a whole turn (a lag of about TURN_MS) or nothing (which counts as an infinite lag): the
 * verdict is certain. (One long stall, by contrast, may go unseen.)
 *
 * Requests injected right after it are judged on that verdict: it changes on a timer, and no
 * timer runs before their onRequest hooks.
 */
async function overload (ms = 0): Promise<void> {
  const end = performance.now() + ms
  for (let turn = 0; turn < 3 || performance.now() < end; turn++) {
    blockEventLoop(TURN_MS)
    await nextTurn()
  }
}

/** Resolves once `condition` holds, looking after each turn of the event loop. */
async function until (condition: () => boolean): Promise<void> {
  while (!condition()) await nextTurn()
}

const SHED = { statusCode: 503, error: 'Service Unavailable', message: OVERLOADED }

t.test('an app that has just started serves requests even though its event loop lagged: start-up is not overload', async (t) => {
  await app.ready()
  const readyAt = performance.now()
  await overload()
  t.ok(app.isUnderPressure(), 'under-pressure reports the lag')
  t.ok(performance.now() - readyAt < STARTUP_GRACE_MS, 'still in the start-up grace')
  const response = await app.inject({ url: '/api/v1/users/me', headers: auth(token) })
  t.equal(response.statusCode, 200)
})

t.test('past its start-up, an app whose event loop lags sheds every request but /health at once: 503 with Retry-After, as the spec says', async (t) => {
  // Past the grace, whatever the time already spent.
  await overload(STARTUP_GRACE_MS)
  t.ok(app.isUnderPressure())

  const spec = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as { paths: Record<string, Record<string, { operationId: string, responses: Record<string, unknown> }>> }
  const requests: Array<[string, InjectOptions, Record<string, unknown> | undefined]> = [
    ...Object.entries(spec.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) =>
      [operation.operationId, { method: method.toUpperCase() as InjectOptions['method'], url: path.replace('{id}', '1'), headers: auth(token) }, operation.responses['503']] as [string, InjectOptions, Record<string, unknown> | undefined])),
    ['a page', { url: '/login.html' }, undefined],
    ['an unknown URL', { url: '/nowhere' }, undefined]
  ]
  // All at once, before the next sample can change the verdict.
  const responses = await Promise.all(requests.map(async ([, request]) => await app.inject(request)))

  for (const [index, [name, , documented]] of requests.entries()) {
    const response = responses[index]
    if (name === 'health') {
      t.equal(response.statusCode, 200, '/health is never shed: the process is alive, and killing it would not help')
      t.equal(documented, undefined, 'and its spec has no 503')
      continue
    }
    t.equal(response.statusCode, 503, name)
    t.equal(response.headers['retry-after'], '1', `${name}: Retry-After`)
    t.same(response.json(), SHED, `${name}: the error shape`)
    t.equal(response.headers['x-content-type-options'], 'nosniff', `${name}: with the security headers`)
    if (!['a page', 'an unknown URL'].includes(name)) t.ok(documented, `${name}: the spec documents the 503`)
  }
  t.equal(logs.lines.filter((line) => line.level === 40 && line.maxEventLoopDelayMs === 50 &&
    line.msg === 'overloaded: the event loop lags more than MAX_EVENT_LOOP_DELAY_MS; request refused').length, requests.length - 1,
  'each refusal is a warning')
})

t.test('once the event loop has caught up, requests are served again', async (t) => {
  await until(() => !app.isUnderPressure())
  const response = await app.inject({ url: '/api/v1/users/me', headers: auth(token) })
  t.equal(response.statusCode, 200)
})

t.test('the lag is measured as often as the threshold, from every 25 ms to once a second', async (t) => {
  t.same([10, 50, 400, 1000, 5000].map(sampleInterval), [25, 50, 400, 1000, 1000])
})

t.test('with MAX_EVENT_LOOP_DELAY_MS=0 nothing is measured and nothing is shed', async (t) => {
  const unguarded = await buildTestApp(t, db, { MAX_EVENT_LOOP_DELAY_MS: '0' })
  t.notOk(unguarded.hasDecorator('isUnderPressure'))
  await overload()
  t.equal((await unguarded.inject({ url: '/api/v1/users/me', headers: auth(token) })).statusCode, 200)
})
