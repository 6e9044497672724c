// The customer's own export: everything the service holds about them, with who read or changed
// it, by name and role rather than internal ids only.
import type { Tables } from '../db/tables.js'
import type { AccountExport, AuditActor } from '../schemas/export.js'
import type { User } from '../schemas/user.js'

const actor = (id: number | null, firstName: string | null, lastName: string | null, role: AuditActor['role']): AuditActor | null =>
  id === null ? null : { id, name: firstName === null ? null : `${firstName} ${lastName as string}`, role }

/** The export of `user` (as authenticated, health data opened), asked from the session `sessionId`. */
export async function exportAccount (t: Tables, user: User, sessionId: string): Promise<AccountExport> {
  const [write, sessions, entries] = await Promise.all([
    t.geneticProfiles.lastWrite(user.id), t.sessions.live(user.id), t.auditLog.aboutUser(user.id)])
  return {
    exported_at: new Date().toISOString(),
    user,
    genetic_profile: write === undefined
      ? null
      : {
          policy: user.policy,
          genetic_result: user.genetic_result,
          updated_at: write.updated_at,
          updated_by: actor(write.updated_by, write.updated_by_first_name, write.updated_by_last_name, write.updated_by_role)
        },
    sessions: sessions.map((session) => ({ ...session, current: session.id === sessionId })),
    passkeys: [],
    audit: entries.map((entry) => ({
      at: entry.created_at,
      action: entry.action,
      fields: entry.fields,
      actor: actor(entry.actor_id, entry.actor_first_name, entry.actor_last_name, entry.actor_role)
    }))
  }
}
