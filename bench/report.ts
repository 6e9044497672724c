// The report: each figure with its ceiling, ratio and target, every measurement's medians, and
// how they were made; printed, and written as Markdown to bench/results.md (or RESULTS).
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { relative } from 'node:path'
import { fmt, fmtRate, say } from './format.js'
import { median, type Measure, type Meter } from './measure.js'
import { START } from './processes.js'
import type { ScratchDatabase } from './seed.js'
import { cores, LOGIN_USERS, PAGE, POOL_SIZE, REPO, RSS_TARGET_MB, SMALL_USERS, type Settings } from './settings.js'

/** What a finished run hands to the report besides its measurements. */
export interface Run {
  settings: Settings
  meter: Meter
  database: ScratchDatabase
  /** Each bcrypt hash timed for the bound, ms. */
  hashTimes: number[]
  sessions: number
  seedSeconds: number
  /** The server's RSS when it started listening and its peak (VmHWM) at the end, MB. */
  startRss: number
  peakRss: number
  /** JSON lines the server logged. */
  logLines: number
  /** Date.now() at the start. */
  started: number
  /** The machine's load average (1, 5, 15 minutes) at the start. */
  loadBefore: number[]
}

export function table (header: string[], rows: string[][]): { text: string, markdown: string } {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)))
  const line = (cells: string[]): string => cells.map((cell, column) => column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])).join('  ')
  const text = [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n')
  const markdown = [header, header.map((_, column) => column === 0 ? '---' : '---:'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n')
  return { text, markdown }
}

/** One row per figure whose scenario ran, and the server's peak RSS. */
function summary ({ settings, meter, hashTimes, peakRss }: Run): string[][] {
  const { series, ratios } = meter
  const byName = (name: string): typeof series[number] | undefined => series.find((one) => one.name === name)
  const medianOf = (name: string, pick: (measure: Measure) => number): number => median(byName(name)?.rounds.map(pick) ?? [NaN])
  const percent = (value: number): string => `${fmt(value * 100)} %`
  const times = (value: number): string => `${fmt(value, 2)} ×`
  const spread = (values: number[], show: (value: number) => string): string => values.length > 1 ? ` (${values.map(show).join(', ')})` : ''

  const targets: string[][] = []
  const target = (figure: string, value: string, ceiling: string, key: string, show: (value: number) => string, goal: string, met: (value: number) => boolean): void => {
    if (ratios[key] === undefined) return
    const value_ = median(ratios[key])
    targets.push([figure, value, ceiling, `${show(value_)}${spread(ratios[key], show)}`, goal, met(value_) ? 'met' : 'NOT met'])
  }
  const bcryptBound = median(hashTimes.map((ms) => cores / (ms / 1000)))
  target('GET /health, req/s', fmtRate(medianOf('GET /health', (m) => m.rps)),
    `${fmtRate(medianOf('ceiling: bare Fastify, constant JSON', (m) => m.rps))} (bare Fastify)`, 'health', percent, '≥ 60 %', (r) => r >= 0.6)
  target('GET /me, req/s', fmtRate(medianOf('GET /api/v1/users/me', (m) => m.rps)),
    `${fmtRate(medianOf('ceiling: Fastify + JWT + the same session query', (m) => m.rps))} (Fastify + JWT + the same query)`, 'me', percent, '≥ 85 %', (r) => r >= 0.85)
  target('GET /me against a primary-key select, req/s', fmtRate(medianOf('GET /api/v1/users/me', (m) => m.rps)),
    `${fmtRate(medianOf('reference: Fastify + JWT + one primary-key select', (m) => m.rps))} (Fastify + JWT + one select)`, 'me-select', percent, '—', () => true)
  target('POST login, req/s', fmtRate(medianOf('POST /api/v1/users/login', (m) => m.rps)), `${fmtRate(bcryptBound)} (bcrypt bound)`, 'login', percent, '≥ 85 %', (r) => r >= 0.85)
  target('POST signup, req/s', fmtRate(medianOf('POST /api/v1/users (signup)', (m) => m.rps)), `${fmtRate(bcryptBound)} (bcrypt bound)`, 'signup', percent, '≥ 95 %', (r) => r >= 0.95)
  target('GET /me p99 under a login flood, ms', fmt(medianOf('GET /api/v1/users/me under a login flood', (m) => m.p99), 1),
    `${fmt(medianOf('GET /api/v1/users/me, before the flood', (m) => m.p99), 1)} (p99 just before)`, 'flood', times, '≤ 3 ×', (r) => r <= 3)
  target('GET /me p99 under a signup flood, ms', fmt(medianOf('GET /api/v1/users/me under a signup flood', (m) => m.p99), 1),
    `${fmt(medianOf('GET /api/v1/users/me, before the signup flood', (m) => m.p99), 1)} (p99 just before)`, 'signup-flood', times, '≤ 3 ×', (r) => r <= 3)
  for (const users of [SMALL_USERS, settings.users]) {
    const label = users.toLocaleString('en-GB')
    const msPer = (name: string): number => 1000 * settings.connections / medianOf(name, (m) => m.rps)
    target(`admin list at ${label} users, deep page, ms a request`, fmt(msPer(`admin list, ${label} users, page ${users / PAGE - 9}`), 1),
      `${fmt(msPer(`admin list, ${label} users, first page`), 1)} (first page)`, `admin ${users}`, times,
      users === settings.users ? '≤ 1.5 ×' : '—', (r) => users !== settings.users || r <= 1.5)
  }
  targets.push(['server RSS, peak of the run (VmHWM), MB', fmt(peakRss), `${RSS_TARGET_MB} (target)`, percent(peakRss / RSS_TARGET_MB), `< ${RSS_TARGET_MB} MB`, peakRss < RSS_TARGET_MB ? 'met' : 'NOT met'])
  // The 1 000-user list has no target of its own: it is there to compare with the million.
  for (const row of targets) if (row[4] === '—') row[5] = ''
  return targets
}

/** One row per measurement: medians over its rounds, errors summed, RSS and other CPU at their largest. */
function details ({ meter }: Run): string[][] {
  return meter.series.map((one) => {
    const pick = (get: (measure: Measure) => number): number => median(one.rounds.map(get))
    return [one.name, String(one.connections), fmtRate(pick((m) => m.rps)), fmt(pick((m) => m.p50), 1), fmt(pick((m) => m.p99), 1),
      String(one.rounds.reduce((sum, m) => sum + m.errors, 0)), fmt(Math.max(...one.rounds.map((m) => m.rss))),
      `${fmt(Math.max(...one.rounds.map((m) => m.otherCpu)))} %`]
  })
}

/** The commit a run measured, as `git describe` names it (`-dirty` with uncommitted changes). */
export function describeCommit (): string {
  return spawnSync('git', ['describe', '--always', '--dirty'], { cwd: REPO, encoding: 'utf8' }).stdout.trim()
}

/** How the figures were made; the first note is the commit, the date and the run's length. */
function notes (run: Run): string[] {
  const { settings, meter, database, hashTimes } = run
  const served = meter.series.filter((one) => !one.name.startsWith('ceiling')).reduce((sum, one) => sum + one.rounds.reduce((total, m) => total + m.requests, 0), 0)
  const commit = describeCommit()
  const machine = `${cores} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM, ` +
    `Node.js ${process.version}, PostgreSQL ${database.postgresVersion} on ${database.host}`
  const minutes = (Date.now() - run.started) / 60_000
  const bcryptBound = median(hashTimes.map((ms) => cores / (ms / 1000)))
  return [
    `Commit ${commit}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; \`make bench\` took ${fmt(minutes, 1)} minutes${settings.quick ? ' (QUICK=1: short runs, fewer users; not for comparison)' : ''}.`,
    `Machine: ${machine}. The server, PostgreSQL, the ceilings and autocannon share these cores, so the ratios, measured in the same run, are what to compare between machines. ` +
      `Load average (1, 5, 15 min) ${run.loadBefore.map((value) => value.toFixed(2)).join(' ')} at the start, ${loadavg().map((value) => value.toFixed(2)).join(' ')} at the end.`,
    `${settings.rounds} round(s) per figure, each figure alternating with its ceiling; a round is ${settings.warmup} s of warm-up then ${settings.duration} s counted, at fixed concurrency: ` +
      `${settings.connections} connections for GET routes, ${settings.authConnections} for login and signup, ${settings.floodConnections} for the login flood. ` +
      'Values are medians over the rounds; the ratio is the median of the per-round ratios, listed in brackets. req/s counts 2xx answers; ' +
      'p50 and p99 are the latencies of those; errors are other answers, connection errors and timeouts; RSS is the largest VmRSS sampled every 100 ms ' +
      '(of the ceiling\'s process for the ceilings); other CPU is the largest share of the machine used meanwhile by processes other than the server, ' +
      `the ceiling, PostgreSQL and the benchmark itself (each round waits for it to fall below ${settings.otherCpu} %, and one above that is run again, up to three times).`,
    `The server: \`${START}\` (npm start) with NODE_ENV=production, DATABASE_URL on a scratch database seeded with ${settings.users.toLocaleString('en-GB')} users ` +
      `(one in ten with genetic results; ${fmt(run.seedSeconds, 1)} s to seed), a generated JWT_SECRET, BCRYPT_COST=${settings.bcryptCost}, LOG_LEVEL=info, a pool of ${POOL_SIZE} connections. ` +
      `It logs to a file, as in production every line costs a write somewhere: ${run.logLines.toLocaleString('en-GB')} lines for ${served.toLocaleString('en-GB')} counted requests ` +
      '(and those of the warm-ups). Its RSS was ' + `${fmt(run.startRss)} MB when it started listening.`,
    'AUTH_RATE_LIMIT=1000000: every request comes from 127.0.0.1, which the per-IP limit of signup and login (100 a minute by default) would stop at once. ' +
      `The login lockout is as configured; logins are successful ones (the right password), going round ${LOGIN_USERS.toLocaleString('en-GB')} accounts so that none has two in flight.`,
    `bcrypt bound: ${cores} cores ÷ the time of one hash at cost ${settings.bcryptCost}, measured before each round of login and signup ` +
      `(median ${fmt(median(hashTimes), 1)} ms, so ${fmt(bcryptBound, 1)} hashes a second). GET /me: ${run.sessions} sessions, one per user, their tokens used in turn. ` +
      `Admin list: ${PAGE} users a page; the deep page is ten pages before the end, its cursor made as the service makes it; the ratio compares the time of a request.`
  ]
}

/** Prints both tables and the notes on stdout, and writes them as Markdown to settings.results. */
export function report (run: Run): void {
  const summaryTable = table(['figure', 'value', 'ceiling', 'ratio (per round)', 'target', 'met'], summary(run))
  const detailTable = table(['measurement', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'RSS MB', 'other CPU'], details(run))
  const lines = notes(run)
  process.stdout.write(`\n${summaryTable.text}\n\n${detailTable.text}\n\n${lines.join('\n')}\n`)
  writeFileSync(run.settings.results, [
    '# Benchmark results',
    '',
    `Written by \`make bench\` (bench/run.ts). ${lines[0]}`,
    '',
    summaryTable.markdown,
    '',
    detailTable.markdown,
    '',
    ...lines.slice(1).map((note) => `- ${note}`),
    ''
  ].join('\n'))
  say(`\nwritten to ${relative(REPO, run.settings.results)}`)
}
