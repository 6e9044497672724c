// Measuring: autocannon rounds with a warm-up that is not counted, each figure's rounds
// alternating with its ceiling's, the ratio of each round, and the medians over rounds.
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import bcrypt from 'bcrypt'
import { say } from './format.js'
import { cpuAccount, memory } from './processes.js'
import { cores, PASSWORD, type Settings } from './settings.js'

export type Load = Parameters<typeof autocannon>[0]

export interface Measure {
  /** Successful (2xx) responses a second. */
  rps: number
  /** Latency of the 2xx responses, ms. */
  p50: number
  p99: number
  /** Non-2xx responses, connection errors and timeouts. */
  errors: number
  /** Peak VmRSS of the process under test, MB. */
  rss: number
  /** Percentage of the machine's CPU used by other processes meanwhile. */
  otherCpu: number
  requests: number
  /** Responses whose status and body were checked (with a `Check`); 0 without one. */
  checked?: number
  /** Of the errors, the answers (a non-2xx status, or a 2xx that failed the check); the others had none (connection errors, timeouts). */
  wrong?: number
  /** The first wrong answer counted: its status and the start of its body. */
  firstWrong?: string
}

/**
 * Whether one answer is the right one, from its status, body and headers; `context` is the
 * autocannon client's, where the load's setupRequest can leave what it expects. A 2xx answer
 * that fails it counts as an error, not in req/s.
 */
export type Check = (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => boolean

/** The rounds of one measurement, e.g. `GET /health`, in the order they were first measured. */
export interface Series {
  name: string
  connections: number
  rounds: Measure[]
}

export interface Meter {
  /**
   * One round of `load` on the process `pid` (`others` are the other processes of ours meanwhile), recorded under `name`;
   * with `check`, every answer is checked.
   */
  measure: (name: string, pid: number, load: Load, others?: number[], check?: Check) => Promise<Measure>
  /** A round measured some other way, recorded under `name`. */
  record: (name: string, connections: number, measured: Measure) => void
  /** One round's ratio of a figure to its ceiling, recorded under `figure`. */
  ratio: (figure: string, value: number) => void
  series: Series[]
  ratios: Record<string, number[]>
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
const quantile = (sorted: number[], q: number): number => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

type Timing = Pick<Settings, 'warmup' | 'duration' | 'otherCpu' | 'quietWait'>

export function meter (timing: Timing): Meter {
  const { warmup, duration, otherCpu, quietWait } = timing
  const series: Series[] = []
  const ratios: Record<string, number[]> = {}

  const seriesFor = (name: string, connections: number): Series => {
    const found = series.find((one) => one.name === name)
    if (found !== undefined) return found
    const created = { name, connections, rounds: [] }
    series.push(created)
    return created
  }

  /** Waits (quietWait seconds at most) until other processes use less than otherCpu % of the machine. */
  async function quiet (pids: number[]): Promise<void> {
    const deadline = performance.now() + quietWait * 1000
    let told = false
    while (performance.now() < deadline) {
      const before = cpuAccount(pids)
      await sleep(1000)
      const after = cpuAccount(pids)
      const other = 100 * ((after.busy - before.busy) - (after.ours - before.ours)) / (100 * cores)
      if (other <= otherCpu) return
      if (!told) say(`    other processes use ${other.toFixed(0)} % of the CPU: waiting for them (${quietWait} s at most)`)
      told = true
    }
  }

  /**
   * autocannon for warmup + duration seconds, of which only the last duration count, so that
   * connections are busy and the code is warm from the first counted response; VmRSS of `pid`
   * sampled every 100 ms meanwhile.
   */
  async function measureOnce (pid: number, load: Load, others: number[], check: Check | undefined): Promise<Measure> {
    // autocannon hands each answer's body to its request's onResponse just before it emits
    // 'response' for it, in the same tick: the verdict is read there.
    let verdict = true
    let answer = ''
    let firstWrong: string | undefined
    const checked: Load = check === undefined
      ? load
      : {
          ...load,
          requests: (load.requests ?? [{}]).map((request) => ({
            ...request,
            onResponse: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => {
              request.onResponse?.(status, body, context, headers)
              verdict = check(status, body, context, headers)
              if (!verdict) answer = `${status} ${String(body).slice(0, 200)}`
            }
          }))
        }
    const instance = autocannon({ ...checked, duration: warmup + duration + 1 })
    const start = performance.now() + warmup * 1000
    const end = start + duration * 1000
    const times: number[] = []
    let errors = 0
    let wrong = 0
    let requests = 0
    const counted = (): boolean => { const now = performance.now(); return now >= start && now < end }
    instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
      const right = verdict
      verdict = true
      if (!counted()) return
      requests += 1
      if (status >= 200 && status < 300 && right) {
        times.push(responseTime)
      } else {
        errors += 1
        wrong += 1
        firstWrong ??= right ? String(status) : answer
      }
    })
    instance.on('reqError', () => { if (counted()) errors += 1 })
    await sleep(warmup * 1000)
    const before = cpuAccount([pid, ...others])
    let rss = memory(pid).rss
    const sampler = setInterval(() => { rss = Math.max(rss, memory(pid).rss) }, 100)
    await sleep(Math.max(0, end - performance.now()))
    clearInterval(sampler)
    const after = cpuAccount([pid, ...others])
    instance.stop()
    await instance
    const other = (after.busy - before.busy) - (after.ours - before.ours)
    times.sort((a, b) => a - b)
    return {
      rps: times.length / duration,
      p50: quantile(times, 0.5),
      p99: quantile(times, 0.99),
      errors,
      rss,
      otherCpu: Math.max(0, 100 * other / (duration * 100 * cores)),
      requests,
      checked: check === undefined ? 0 : requests,
      wrong,
      firstWrong
    }
  }

  // A round during which other processes used more than otherCpu % of the machine is run again
  // (up to three times): their load would be counted against the server.
  async function measure (name: string, pid: number, load: Load, others: number[] = [], check?: Check): Promise<Measure> {
    const connections = load.connections ?? 10
    let result: Measure | undefined
    for (let attempt = 0; attempt < 4; attempt++) {
      await quiet([pid, ...others])
      result = await measureOnce(pid, load, others, check)
      if (result.otherCpu <= otherCpu) break
      say(`    other processes used ${result.otherCpu.toFixed(0)} % of the CPU meanwhile: again`)
    }
    const measured = result as Measure
    seriesFor(name, connections).rounds.push(measured)
    say(`  ${name}: ${measured.rps.toFixed(measured.rps < 100 ? 1 : 0)} req/s, p99 ${measured.p99.toFixed(1)} ms` +
      `${measured.errors > 0 ? `, ${measured.errors} errors` : ''}${measured.firstWrong === undefined ? '' : `, the first wrong answer: ${measured.firstWrong}`}`)
    return measured
  }

  return {
    measure,
    record: (name, connections, measured) => { seriesFor(name, connections).rounds.push(measured) },
    ratio: (figure, value) => { (ratios[figure] ??= []).push(value) },
    series,
    ratios
  }
}

/** The time of one bcrypt hash at `cost` in ms: the median of five, after one to warm up. */
export async function hashTime (cost: number): Promise<{ ms: number, hash: string }> {
  const times: number[] = []
  let hash = ''
  for (let i = 0; i < 6; i++) {
    const started = performance.now()
    hash = await bcrypt.hash(PASSWORD, cost)
    if (i > 0) times.push(performance.now() - started)
  }
  return { ms: median(times), hash }
}
