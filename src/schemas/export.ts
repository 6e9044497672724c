import { Type, type Static } from '@sinclair/typebox'
import { Nullable, ref } from './common.js'
import { AuditEntry } from './audit.js'
import { Role, User } from './user.js'

// The customer's own export (GET /api/v1/users/me/export): everything held about them.

export const AuditActor = Type.Object({
  id: Type.Integer({ examples: [7] }),
  name: Nullable(Type.String({ description: 'First and last name as they are now; null when that account has been deleted', examples: ['Grace Hopper'] })),
  role: Nullable({ ...Role, description: 'Role as it is now; null when that account has been deleted' })
}, { additionalProperties: false })
export type AuditActor = Static<typeof AuditActor>

export const ExportAuditEntry = Type.Object({
  at: Type.String({ format: 'date-time' }),
  action: AuditEntry.properties.action,
  fields: Type.Array(Type.String(), { description: 'Names of the fields read or changed, never their values; empty for a read of the whole record' }),
  actor: Nullable({ ...AuditActor, description: 'Who acted: the customer, an admin; null for the command line (`make admin`)' })
}, { additionalProperties: false })

export const ExportSession = Type.Object({
  id: Type.String({ format: 'uuid' }),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Type.String({ format: 'date-time' }),
  current: Type.Boolean({ description: 'The session this export was asked from' })
}, { additionalProperties: false })

export const ExportGeneticProfile = Type.Object({
  policy: Nullable(Type.String()),
  genetic_result: Nullable(Type.Object({}, { additionalProperties: true })),
  updated_at: Type.String({ format: 'date-time' }),
  updated_by: Nullable({ ...AuditActor, description: 'The admin who last wrote it; null when that is not known' })
}, { additionalProperties: false })

export const AccountExport = Type.Object({
  exported_at: Type.String({ format: 'date-time' }),
  user: ref(User),
  genetic_profile: Nullable({ ...ExportGeneticProfile, description: 'Null until an admin attaches results' }),
  sessions: Type.Array(ExportSession, { description: 'The live sessions, without their tokens' }),
  passkeys: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'Registered passkeys (none can be registered yet)' }),
  audit: Type.Array(ExportAuditEntry, { description: 'Every audit entry about this account, oldest first: who read or changed it, when, which fields' })
}, { $id: 'AccountExport', title: 'AccountExport', additionalProperties: false })
export type AccountExport = Static<typeof AccountExport>
