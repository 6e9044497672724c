// Progress on stderr, and numbers as the table shows them.

export const say = (text: string): void => { process.stderr.write(`${text}\n`) }

export const fmt = (value: number, digits = 0): string => Number.isFinite(value)
  ? value.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  : '—'

export const fmtRate = (rps: number): string => fmt(rps, rps < 100 ? 1 : 0)
