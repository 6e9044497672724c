// The audit log (src/routes/audit.ts): who read or changed whose account, never the values.
import { Type, type Static } from '@sinclair/typebox'
import { Nullable, PageCursor, PageLimit, StringEnum } from './common.js'

/** Every kind of entry the log holds; the data layer writes only these. */
export const AUDIT_ACTIONS = ['user.read', 'users.list', 'user.update', 'user.delete', 'genetics.update', 'legacy.import'] as const
export type AuditAction = typeof AUDIT_ACTIONS[number]

export const AuditQuery = Type.Object({
  user_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only entries about this user' })),
  actor_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only entries of what this user did' })),
  limit: Type.Optional(PageLimit),
  cursor: Type.Optional(PageCursor)
})
export type AuditQuery = Static<typeof AuditQuery>

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor_id: Nullable(Type.Integer({ description: 'Who acted; null for the command line (`make admin`)' })),
  action: StringEnum(AUDIT_ACTIONS),
  target_id: Nullable(Type.Integer({ description: 'The user acted upon; null for a list' })),
  fields: Type.Array(Type.String(), { description: 'Names of the fields changed (never their values); for `legacy.import`, the counts of the run as `name=n`' }),
  actor_name: Nullable(Type.String({ description: 'The actor\'s name as it is now; null for the command line or an account deleted since' })),
  target_name: Nullable(Type.String({ description: 'The target\'s name as it is now; null for a list or an account deleted since' }))
}, { $id: 'AuditEntry', title: 'AuditEntry', additionalProperties: false })

export const AuditPage = Type.Object({
  entries: Type.Array(Type.Unsafe<Static<typeof AuditEntry>>(Type.Ref('AuditEntry'))),
  next_cursor: Nullable(Type.String({ description: 'Pass as `cursor` for older entries; null on the last page' }))
}, { $id: 'AuditPage', title: 'AuditPage', additionalProperties: false })
export type AuditPage = Static<typeof AuditPage>
