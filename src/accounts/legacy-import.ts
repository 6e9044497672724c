// The import of the old service's customers: which old rows the new rules take as they are, and
// writing them in batches, each batch committed on its own so that a stopped run resumes. Nothing is
// guessed: a row the service cannot take as it is goes, whole, to legacy_import_conflicts.
import { findInexactNumber } from '../plugins/app/body-parsers.js'
import { hash as digest } from 'node:crypto'
import { setImmediate } from 'node:timers/promises'
import type { Database, Queryable } from '../db/database.js'
import { foldEmail } from '../db/email-folding.js'
import type { ImportStateChange } from '../db/legacy-import-state.js'
import type { NewImportConflict } from '../db/legacy-import-conflicts.js'
import { legacyUsersTable, type LegacyUserRow } from '../db/legacy-users.js'
import { tables } from '../db/tables.js'
import type { ImportedProfile } from '../db/genetic-profiles.js'
import type { ImportedUser, ImportTarget } from '../db/users.js'
import { valueChecker } from '../http/validation.js'
import { GeneticsBody, MAX_GENETIC_RESULT_BYTES } from '../schemas/users.js'
import { Dob, Email, Name } from '../schemas/user.js'
import { storedHealthData } from './health-data.js'
import { cleanName, dobProblem } from './profile.js'

export interface ImportOptions {
  /** The old database, inside one REPEATABLE READ READ ONLY transaction. */
  source: Queryable
  target: Database
  /** Every batch is rolled back instead of committed: the same report, nothing written. */
  dryRun: boolean
  batchSize: number
  /** The time given to a row without timestamps. */
  importTime: Date
  /** After each batch: rows read so far, of `total`. */
  onProgress?: (read: number, total: number) => void
  /** Asked after each batch: true ends the run there (Ctrl-C). */
  shouldStop?: () => boolean
}

export interface ImportConflictLine {
  oldId: number
  reason: string
}

export interface ImportReport {
  dryRun: boolean
  /** Rows in the old table. */
  total: number
  read: number
  imported: number
  updated: number
  unchanged: number
  conflicts: ImportConflictLine[]
  /** Rows without created_at, given their modified_at or else the import time. */
  createdFromModified: number
  createdFromImportTime: number
  /** Rows without modified_at, given their created_at or else the import time. */
  modifiedFilled: number
  /** The largest id the users table holds at the end: new accounts get ids after it. */
  largestId: number
  /** Ended by shouldStop before the last row. */
  stopped: boolean
}

const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/
/** A timestamp without zone as PostgreSQL prints it (DateStyle ISO); not infinite, BC or past 9999. */
const OLD_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$/

const checkEmail = valueChecker(Email, 'email')
const checkFirstName = valueChecker(Name, 'first_name')
const checkLastName = valueChecker(Name, 'last_name')
const checkDob = valueChecker(Dob, 'dob')
const checkPolicy = valueChecker(GeneticsBody.properties.policy, 'policy')

/** Rows examined between two turns of the event loop (examineAll): a few milliseconds of work. */
const EXAMINE_SLICE = 500

class DryRunRollback extends Error {}

/** A row as it will be written, or why it cannot be. */
type Examined =
  | { row: LegacyUserRow, hash: string, user: ImportedUser, profile: ImportedProfile | undefined, filled: Filled, wasConflict?: boolean }
  | { row: LegacyUserRow, hash: string, reason: string }

interface Filled { createdFromModified: boolean, createdFromImportTime: boolean, modifiedFilled: boolean }

/** What one batch does. */
interface Plan {
  inserts: Array<Extract<Examined, { user: ImportedUser }>>
  updates: Array<Extract<Examined, { user: ImportedUser }>>
  conflicts: Array<{ row: LegacyUserRow, hash: string, reason: string }>
  unchanged: number
  /** The old ids of the batch that legacy_import_state holds a state for (from an earlier run). */
  stated: Set<number>
}

export async function importLegacyUsers (options: ImportOptions): Promise<ImportReport> {
  const { source, target, dryRun, batchSize } = options
  const legacy = legacyUsersTable(source)
  const report: ImportReport = {
    dryRun,
    total: await legacy.count(),
    read: 0,
    imported: 0,
    updated: 0,
    unchanged: 0,
    conflicts: [],
    createdFromModified: 0,
    createdFromImportTime: 0,
    modifiedFilled: 0,
    largestId: 0,
    stopped: false
  }
  const rules: Rules = { twins: await caseTwins(source), importTime: options.importTime.toISOString(), today: new Date().toISOString().slice(0, 10) }
  // A dry run's inserts are rolled back: the largest id is the one the target would hold.
  let largestImported = 0
  // While a batch is written, the next page is read and examined: the two databases and the
  // importer work at the same time. Batches are still planned and written one after the other.
  const read = (after: number): Promise<LegacyUserRow[]> => {
    const page = legacy.page(after, batchSize)
    page.catch(() => {}) // awaited below; a failure must not count as unhandled meanwhile
    return page
  }
  let rows = await read(0)
  let examined = await examineAll(rows, rules)
  while (rows.length > 0) {
    const next = read(rows[rows.length - 1].id)
    const plan = await planBatch(target, examined)
    const written = writeBatch(target, plan, dryRun)
    written.catch(() => {}) // awaited below, also when the next page fails
    let nextRows: LegacyUserRow[]
    try {
      nextRows = await next
      examined = await examineAll(nextRows, rules)
    } finally {
      await written
    }
    report.read += rows.length
    report.unchanged += plan.unchanged
    report.imported += plan.inserts.length
    for (const done of plan.inserts) largestImported = Math.max(largestImported, done.row.id)
    report.updated += plan.updates.length
    for (const done of [...plan.inserts, ...plan.updates]) {
      if (done.filled.createdFromModified) report.createdFromModified += 1
      if (done.filled.createdFromImportTime) report.createdFromImportTime += 1
      if (done.filled.modifiedFilled) report.modifiedFilled += 1
    }
    for (const conflict of plan.conflicts) report.conflicts.push({ oldId: conflict.row.id, reason: conflict.reason })
    options.onProgress?.(report.read, report.total)
    if (report.read < report.total && options.shouldStop?.() === true) {
      report.stopped = true
      break
    }
    rows = nextRows
  }
  const largest = await target.query<{ id: number | null }>('SELECT max(id) AS id FROM users')
  report.largestId = Math.max(largest.rows[0].id ?? 0, largestImported)
  return report
}

/**
 * The old rows whose emails fold to the same (foldEmail) as another old row's, each with the
 * ids of the others. ASCII emails are grouped by PostgreSQL, where ASCII lower case is what
 * foldEmail does to them; emails with anything else are folded here, with the rows they fold to.
 */
async function caseTwins (source: Queryable): Promise<Map<number, number[]>> {
  const legacy = legacyUsersTable(source)
  const candidates = [...await legacy.asciiCaseTwins(), ...await legacy.nonAsciiEmails()]
  const foldedNonAscii = candidates.filter((row) => !isAscii(row.email)).map((row) => foldEmail(row.email))
  if (foldedNonAscii.length > 0) candidates.push(...await legacy.withLowerEmail(foldedNonAscii))
  const groups = new Map<string, Set<number>>()
  for (const { id, email } of candidates) {
    const folded = foldEmail(email)
    const group = groups.get(folded) ?? new Set()
    group.add(id)
    groups.set(folded, group)
  }
  const twins = new Map<number, number[]>()
  for (const group of groups.values()) {
    if (group.size < 2) continue
    const ids = [...group].sort((a, b) => a - b)
    for (const id of ids) twins.set(id, ids.filter((other) => other !== id))
  }
  return twins
}

function isAscii (text: string): boolean {
  return Buffer.byteLength(text) === text.length
}

function contentHash (row: LegacyUserRow): string {
  return digest('sha256', JSON.stringify([row.id, row.first_name, row.last_name, row.dob, row.email, row.password,
    row.created_at, row.modified_at, row.policy, row.genetic_result]), 'hex')
}

/** What examine needs of the whole run, worked out once. */
interface Rules {
  /** caseTwins: the old rows whose emails fold to another's. */
  twins: Map<number, number[]>
  /** The import time, ISO 8601. */
  importTime: string
  /** The day dates of birth are checked against (YYYY-MM-DD). */
  today: string
}

/**
 * examine for every row, a slice at a time: between slices the event loop goes on, so that the
 * batch being written meanwhile sends its next statement instead of waiting for the whole page.
 */
async function examineAll (rows: LegacyUserRow[], rules: Rules): Promise<Examined[]> {
  const examined: Examined[] = []
  for (let start = 0; start < rows.length; start += EXAMINE_SLICE) {
    await setImmediate()
    for (const row of rows.slice(start, start + EXAMINE_SLICE)) examined.push(examine(row, rules))
  }
  return examined
}

/** The old row as the service would store it, or the first rule it breaks. */
function examine (row: LegacyUserRow, { twins, importTime, today }: Rules): Examined {
  const hash = contentHash(row)
  const refuse = (reason: string): Examined => ({ row, hash, reason })
  const emailProblem = checkEmail(row.email)
  if (emailProblem !== undefined) return refuse(emailProblem)
  const others = twins.get(row.id)
  if (others !== undefined) return refuse(`email is the same but for case as that of old id ${others.join(', ')}`)
  if (!BCRYPT_HASH.test(row.password)) return refuse('password is not a bcrypt hash ($2a$, $2b$ or $2y$)')
  const nameProblem = checkFirstName(row.first_name) ?? checkLastName(row.last_name)
  if (nameProblem !== undefined) return refuse(nameProblem)
  const badDob = checkDob(row.dob) ?? dobProblem(row.dob, 'dob', today)
  if (badDob !== undefined) return refuse(badDob)
  for (const [field, value] of [['created_at', row.created_at], ['modified_at', row.modified_at]] as const) {
    if (value !== null && !OLD_TIMESTAMP.test(value)) return refuse(`${field} is not a time this service can store (infinite, BC or after 9999)`)
  }
  if (row.policy !== null) {
    const policyProblem = checkPolicy(row.policy)
    if (policyProblem !== undefined) return refuse(policyProblem)
  }
  if (row.genetic_result !== null) {
    // Encrypted, the text reaches PostgreSQL as a ciphertext: what jsonb refused, and what the API
    // refuses in a body, is refused here.
    if (/\\u0000/.test(row.genetic_result)) return refuse('a value holds a character PostgreSQL cannot store (\\u0000)')
    const inexact = findInexactNumber(row.genetic_result, 'genetic_result')
    if (inexact !== undefined) return refuse(inexact)
    const result = JSON.parse(row.genetic_result) as unknown
    const kind = result === null ? 'null' : Array.isArray(result) ? 'an array' : typeof result === 'object' ? 'object' : `a ${typeof result}`
    if (kind !== 'object') return refuse(`genetic_result is ${kind}, not a JSON object`)
    const bytes = Buffer.byteLength(JSON.stringify(result))
    if (bytes > MAX_GENETIC_RESULT_BYTES) return refuse(`genetic_result must be at most ${MAX_GENETIC_RESULT_BYTES / 1024} KiB as JSON (it has ${bytes} bytes)`)
  }

  const utc = (value: string | null): string | undefined => value === null ? undefined : `${value.replace(' ', 'T')}Z`
  const createdAt = utc(row.created_at) ?? utc(row.modified_at) ?? importTime
  const modifiedAt = utc(row.modified_at) ?? createdAt
  const filled = {
    createdFromModified: row.created_at === null && row.modified_at !== null,
    createdFromImportTime: row.created_at === null && row.modified_at === null,
    modifiedFilled: row.modified_at === null
  }
  const user = {
    id: row.id,
    email: row.email,
    emailFolded: foldEmail(row.email),
    passwordHash: row.password,
    firstName: cleanName(row.first_name),
    lastName: cleanName(row.last_name),
    dob: row.dob,
    createdAt,
    modifiedAt
  }
  const hasHealthData = row.policy !== null || row.genetic_result !== null
  const stored = storedHealthData(row.id, { policy: row.policy, geneticResult: row.genetic_result })
  const profile = hasHealthData ? { userId: row.id, ...stored, updatedAt: modifiedAt } : undefined
  return { row, hash, user, profile, filled }
}

/** Sorts a batch into inserts, updates, conflicts and unchanged rows, against what the target holds. */
async function planBatch (target: Queryable, examined: Examined[]): Promise<Plan> {
  const t = tables(target)
  const states = new Map((await t.legacyImportState.find(examined.map((e) => e.row.id))).map((state) => [state.old_id, state]))
  const plan: Plan = { inserts: [], updates: [], conflicts: [], unchanged: 0, stated: new Set(states.keys()) }
  const fresh = examined.filter((e) => states.get(e.row.id)?.content_hash !== e.hash)
  plan.unchanged = examined.length - fresh.length
  const candidates = fresh.filter((e): e is Extract<Examined, { user: ImportedUser }> => 'user' in e)
  const found = await t.users.findForImport(candidates.map((e) => e.row.id), candidates.map((e) => e.user.emailFolded))
  const byId = new Map<number, ImportTarget>(found.map((account) => [account.id, account]))
  const byEmail = new Map<string, ImportTarget>(found.map((account) => [account.email_folded, account]))
  for (const e of fresh) {
    if ('reason' in e) {
      plan.conflicts.push(e)
      continue
    }
    const same = byId.get(e.row.id)
    const holder = byEmail.get(e.user.emailFolded)
    if (same !== undefined && states.get(e.row.id)?.outcome !== 'imported') {
      plan.conflicts.push({ ...e, reason: 'id is taken by an account made in this service' })
    } else if (same?.changed_here === true) {
      plan.conflicts.push({ ...e, reason: 'changed in the old service and in this one since the last import' })
    } else if (holder !== undefined && holder.id !== e.row.id) {
      plan.conflicts.push({ ...e, reason: `email is taken by another account of this service (id ${holder.id})` })
    } else {
      const imported = { ...e, wasConflict: states.get(e.row.id)?.outcome === 'conflict' }
      if (same === undefined) plan.inserts.push(imported)
      else plan.updates.push(imported)
    }
  }
  return plan
}

/**
 * Writes a batch in one transaction. Every value is checked before (examine), so the database
 * refuses none; what it still may refuse (an email or id taken by a signup since planBatch) fails
 * the run like any other error, and the next run, planning again, records it as a conflict.
 */
async function writeBatch (target: Database, plan: Plan, dryRun: boolean): Promise<void> {
  await inTransaction(target, dryRun, async (tx) => await writePlan(tx, plan, dryRun))
}

async function inTransaction (target: Database, dryRun: boolean, work: (tx: Queryable) => Promise<void>): Promise<void> {
  try {
    await target.transaction(async (tx) => {
      await work(tx)
      if (dryRun) throw new DryRunRollback()
    })
  } catch (error) {
    if (!(error instanceof DryRunRollback)) throw error
  }
}

async function writePlan (tx: Queryable, plan: Plan, dryRun: boolean): Promise<void> {
  const t = tables(tx)
  // A batch's commit need not wait for the disk: a batch lost in a crash is written again by the
  // next run, as its state goes with it.
  await tx.query('SET LOCAL synchronous_commit = off')
  const imported = [...plan.inserts, ...plan.updates]
  await t.users.importMany(plan.inserts.map((e) => e.user))
  await t.users.updateImported(plan.updates.map((e) => e.user))
  await t.geneticProfiles.importMany(imported.flatMap((e) => e.profile === undefined ? [] : [e.profile]))
  await t.geneticProfiles.removeMany(plan.updates.filter((e) => e.profile === undefined).map((e) => e.row.id))
  await t.legacyImportConflicts.clear(imported.filter((e) => e.wasConflict).map((e) => e.row.id))
  await t.legacyImportConflicts.record(plan.conflicts.map(conflictRecord))
  const states: ImportStateChange[] = [
    ...imported.map((e) => ({ oldId: e.row.id, contentHash: e.hash, outcome: 'imported' as const, writtenAt: e.user.modifiedAt })),
    ...plan.conflicts.map((e) => ({ oldId: e.row.id, contentHash: e.hash, outcome: 'conflict' as const, writtenAt: null }))
  ]
  // Most rows are read for the first time: their states are added, not upserted.
  await t.legacyImportState.add(states.filter((s) => !plan.stated.has(s.oldId)))
  await t.legacyImportState.record(states.filter((s) => plan.stated.has(s.oldId)))
  // A sequence is not rolled back with the transaction: a dry run leaves it alone.
  if (plan.inserts.length > 0 && !dryRun) await t.users.continueIdsAfterLargest()
}

function conflictRecord ({ row, reason }: { row: LegacyUserRow, reason: string }): NewImportConflict {
  const { policy, genetic_result: geneticResult, ...rest } = row
  return { oldId: row.id, reason, oldRow: rest, ...storedHealthData(row.id, { policy, geneticResult }) }
}
