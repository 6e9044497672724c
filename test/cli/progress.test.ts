import t from 'tap'
import { duration, progress } from '../../src/cli/progress.js'

function stream (isTTY: boolean): { written: string[], stream: NodeJS.WriteStream } {
  const written: string[] = []
  return { written, stream: { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream }
}

t.test('on a terminal: one bar redrawn in place, with the rate and the time left', async (t) => {
  let now = 0
  const out = stream(true)
  const bar = progress({ stream: out.stream, unit: 'rows', now: () => now })
  now = 2000
  bar.update(250, 1000)
  now = 4000
  bar.update(500, 1000)
  bar.end()
  t.same(out.written, [
    `\r[${'#'.repeat(8)}${'.'.repeat(22)}] 250 of 1000 rows (25.0 %), 125 rows/s, 6 s left\x1b[K`,
    `\r[${'#'.repeat(15)}${'.'.repeat(15)}] 500 of 1000 rows (50.0 %), 125 rows/s, 4 s left\x1b[K`,
    '\n'
  ])
})

t.test('in a log: a line at the first step, then every few seconds, and at the end', async (t) => {
  let now = 0
  const out = stream(false)
  const bar = progress({ stream: out.stream, unit: 'rows', intervalSeconds: 5, now: () => now })
  now = 1000
  bar.update(10, 100)
  now = 3000
  bar.update(30, 100)
  now = 6000
  bar.update(60, 100)
  now = 7000
  bar.update(100, 100)
  bar.end()
  t.same(out.written, [
    '10 of 100 rows (10.0 %), 10 rows/s, 9 s left\n',
    '60 of 100 rows (60.0 %), 10 rows/s, 4 s left\n',
    '100 of 100 rows (100.0 %), 14 rows/s, 0 s left\n'
  ])
  const empty = stream(false)
  progress({ stream: empty.stream, unit: 'rows', now: () => 0 }).update(0, 0)
  t.same(empty.written, ['0 of 0 rows (100.0 %), 0 rows/s, 0 s left\n'], 'nothing to do is done')
})

t.test('durations read as a person would say them', async (t) => {
  t.equal(duration(12.4), '12 s')
  t.equal(duration(185), '3 min 05 s')
  t.equal(duration(3720), '1 h 02 min')
})
