// A customer as the staff read them, and writes of their genetic profile: the checks in the order
// HTTP wants them (no such user, address not verified, then a stale version), the write and its
// audit entry, in one transaction that holds the user's row, so that two writes take turns and
// the second one sees the version the first one made.
import type { Database } from '../db/database.js'
import type { GeneticProfile, GeneticProfileChanges } from '../db/genetic-profiles.js'
import { tables, type Tables } from '../db/tables.js'
import type { AdminUser } from '../schemas/users.js'

/** A user with what the staff console shows beside them, and the version of their genetic profile. */
export interface StaffView {
  user: AdminUser
  /** Null while the user has no genetic profile. */
  version: number | null
}

/** The user as an admin reads them; undefined when there is no such user. */
export async function readForStaff (t: Tables, userId: number): Promise<StaffView | undefined> {
  // The version before the values: a write between the two reads then pairs an older version with
  // newer values, which makes a later write stale (412), never the other way round, which would
  // let it overwrite values its author never saw.
  const change = await t.geneticProfiles.findChange(userId)
  const user = await t.users.findById(userId)
  if (user === undefined) return undefined
  return {
    user: {
      ...user,
      live_sessions: await t.sessions.countLive(userId),
      genetic_profile_updated_at: change?.updatedAt ?? null,
      genetic_profile_updated_by: change?.updatedBy ?? null
    },
    version: change?.version ?? null
  }
}

/** A whole new profile (PUT), or some of its fields (PATCH). */
export type GeneticsEdit = { replace: GeneticProfile } | { change: GeneticProfileChanges }

export type GeneticsWrite =
  | { outcome: 'saved', view: StaffView }
  | { outcome: 'missing' }
  | { outcome: 'unverified' }
  | { outcome: 'stale' }

export interface GeneticsWriteOptions {
  actorId: number
  /** Whether the write may go ahead on the profile at this version (the caller's If-Match). */
  allows: (version: number | null) => boolean
}

export async function writeGeneticProfile (db: Database, userId: number, edit: GeneticsEdit, options: GeneticsWriteOptions): Promise<GeneticsWrite> {
  return await db.transaction(async (tx) => {
    const t = tables(tx)
    const standing = await t.geneticProfiles.lockForWrite(userId)
    if (standing === undefined) return { outcome: 'missing' }
    // The address ties the account to the person whose sample it is.
    if (!standing.emailVerified) return { outcome: 'unverified' }
    if (!options.allows(standing.version)) return { outcome: 'stale' }
    let fields: string[]
    if ('replace' in edit) {
      await t.geneticProfiles.put(userId, edit.replace, options.actorId)
      fields = ['genetic_result', 'policy']
    } else {
      await t.geneticProfiles.change(userId, edit.change, options.actorId)
      fields = [...(edit.change.geneticResult === undefined ? [] : ['genetic_result']), ...(edit.change.policy === undefined ? [] : ['policy'])]
    }
    await t.auditLog.record({ actorId: options.actorId, action: 'genetics.update', targetId: userId, fields })
    return { outcome: 'saved', view: await readForStaff(t, userId) as StaffView }
  })
}
