// Progress of a long command-line run on stderr: a bar redrawn in place on a terminal, a plain
// line every few seconds (and at the first step) in a log.

export interface ProgressOptions {
  stream: NodeJS.WriteStream
  /** What is counted, e.g. `rows`. */
  unit: string
  /** Seconds between plain lines when the stream is not a terminal. */
  intervalSeconds?: number
  now?: () => number
}

export interface Progress {
  update: (done: number, total: number) => void
  /** Ends the bar's line on a terminal. */
  end: () => void
}

export function progress (options: ProgressOptions): Progress {
  const { stream, unit } = options
  const now = options.now ?? Date.now
  const started = now()
  const interval = (options.intervalSeconds ?? 5) * 1000
  let lastLine: number | undefined
  let drawn = false
  return {
    update (done, total) {
      const elapsed = Math.max(now() - started, 1) / 1000
      const rate = done / elapsed
      const share = total === 0 ? 1 : done / total
      const eta = rate > 0 ? (total - done) / rate : 0
      const figures = `${done} of ${total} ${unit} (${(share * 100).toFixed(1)} %), ${Math.round(rate)} ${unit}/s, ${duration(eta)} left`
      if (stream.isTTY) {
        const width = 30
        const full = Math.round(share * width)
        stream.write(`\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${figures}\x1b[K`)
        drawn = true
      } else if (lastLine === undefined || now() - lastLine >= interval || done === total) {
        lastLine = now()
        stream.write(`${figures}\n`)
      }
    },
    end () {
      if (drawn) stream.write('\n')
    }
  }
}

/** `1 h 02 min`, `3 min 05 s`, `12 s`. */
export function duration (seconds: number): string {
  const s = Math.round(seconds)
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  return `${s} s`
}
