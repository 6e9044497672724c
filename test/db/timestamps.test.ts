import t from 'tap'
import { testDatabase } from '../helper.js'

// What a timestamptz column reads as, on either driver: the API's ISO 8601 form in UTC with
// milliseconds, whatever the server's time zone and however many digits of fraction it sends.
const db = await testDatabase(t)

/** The value of `literal`::timestamptz as the driver gives it, read in the session time zone `zone`. */
async function read (literal: string, zone: string): Promise<unknown> {
  return await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL TimeZone = '${zone}'`)
    const { rows } = await tx.query<{ at: unknown }>('SELECT $1::timestamptz AS at', [literal])
    return rows[0].at
  })
}

t.test('a server in UTC: the fraction is cut to milliseconds, or padded to them', async (t) => {
  t.equal(await read('2026-12-01 23:05:00.123456+00', 'UTC'), '2026-12-01T23:05:00.123Z')
  t.equal(await read('2026-12-01 23:05:00.999999+00', 'UTC'), '2026-12-01T23:05:00.999Z', 'cut, not rounded up into the next second')
  t.equal(await read('2026-12-01 23:05:00.5+00', 'UTC'), '2026-12-01T23:05:00.500Z')
  t.equal(await read('2026-12-01 23:05:00+00', 'UTC'), '2026-12-01T23:05:00.000Z')
  t.equal(await read('0999-01-02 03:04:05.06+00', 'UTC'), '0999-01-02T03:04:05.060Z')
})

t.test('a server in another time zone: the same instant, in UTC', async (t) => {
  t.equal(await read('2026-12-01 23:05:00.123456+00', 'Asia/Kolkata'), '2026-12-01T23:05:00.123Z')
  t.equal(await read('2026-07-01 08:00:00-04', 'America/New_York'), '2026-07-01T12:00:00.000Z')
  t.equal(await read('2026-12-01 00:30:00+05:30', 'Asia/Kolkata'), '2026-11-30T19:00:00.000Z')
})

t.test('now() reads as the current instant', async (t) => {
  const before = Date.now()
  const { rows } = await db.query<{ at: string }>('SELECT now() AS at')
  const at = Date.parse(rows[0].at)
  t.match(rows[0].at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  t.ok(at >= before - 1000 && at <= Date.now() + 1000, `${rows[0].at} is now`)
})
