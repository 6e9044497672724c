// The log for a person at a terminal: one short line per message, and per request just what was
// asked and how it went (`GET /api/v1/users/me 200 3 ms`). It reads the JSON lines the logger
// writes anyway, so what a terminal shows and what a log collector gets never drift apart.

export interface LogRecord {
  level: number
  time: number
  msg?: string
  [field: string]: unknown
}

interface Request { method: string, url: string }
interface ErrorFields { type: string, message: string }

const LEVELS: Record<number, [name: string, colour: number]> = {
  10: ['TRACE', 90], 20: ['DEBUG', 90], 30: ['INFO', 32], 40: ['WARN', 33], 50: ['ERROR', 31], 60: ['FATAL', 31]
}
/** By status class: success and redirects green, the caller's errors yellow, the server's red. */
const STATUS_COLOURS: Record<number, number> = { 1: 32, 2: 32, 3: 32, 4: 33, 5: 31 }
/** Fields every line has, or that the line shows in its own way. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'reqId', 'msg', 'req', 'res', 'responseTime', 'err'])

const paint = (colour: number, text: string): string => `\u001b[${colour}m${text}\u001b[39m`
const two = (n: number): string => String(n).padStart(2, '0')

function clock (time: number): string {
  const at = new Date(time)
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`
}

/** One line, without its newline, for one log record. */
export function prettyLine (record: LogRecord): string {
  const { level, time, msg, req, res, responseTime, err } = record as LogRecord & {
    req?: Request, res?: { statusCode: number }, responseTime?: number, err?: ErrorFields
  }
  const [name, colour] = LEVELS[level]
  const parts = [paint(90, clock(time)), paint(colour, name.padEnd(5))]
  if (responseTime !== undefined) {
    // A request answered (or failed while answering): what was asked, the status and how long it took.
    const { statusCode } = res as { statusCode: number }
    parts.push(`${(req as Request).method} ${(req as Request).url}`, paint(STATUS_COLOURS[Math.floor(statusCode / 100)], String(statusCode)), `${Math.round(responseTime)} ms`)
  } else {
    parts.push(String(msg))
    if (req !== undefined) parts.push(`${req.method} ${req.url}`)
  }
  for (const [field, value] of Object.entries(record)) {
    if (!SHOWN.has(field)) parts.push(`${field}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
  }
  if (err !== undefined) parts.push(paint(colour, `${err.type}: ${err.message}`))
  return parts.join(' ')
}

/** A stream for the logger that writes each JSON line it gets to `out` as a pretty line. */
export function prettyStream (out: { write: (line: string) => unknown } = process.stdout): { write: (chunk: string) => void } {
  return {
    write (chunk: string): void {
      for (const line of chunk.split('\n')) {
        if (line !== '') out.write(`${prettyLine(JSON.parse(line) as LogRecord)}\n`)
      }
    }
  }
}
