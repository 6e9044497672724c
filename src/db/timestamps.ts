// A `timestamptz` as the API shows it: ISO 8601 in UTC with milliseconds, as Date's toISOString
// writes it. Every authenticated request reads a few (the user's created_at and modified_at), and
// going through a Date for each costs more than the rest of reading the row: a server whose time
// zone is UTC (the usual one) sends `2026-12-01 23:05:00.123456+00`, which is rewritten as text.
// Any other form (another time zone's offset, a year outside 4 digits, BC, infinity) goes through a Date.

/** PostgreSQL's text form of a timestamptz in UTC: date, time, up to six digits of fraction, +00. */
const UTC_TEXT = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/

/** '2026-12-01 23:05:00.123456+00' → '2026-12-01T23:05:00.123Z': the fraction cut to milliseconds, as a Date would. */
export function isoTimestamp (text: string, viaDate: (text: string) => Date): string {
  const utc = UTC_TEXT.exec(text)
  if (utc === null) return viaDate(text).toISOString()
  const fraction = utc[3] ?? ''
  return `${utc[1]}T${utc[2]}.${fraction.length >= 3 ? fraction.slice(0, 3) : fraction.padEnd(3, '0')}Z`
}
