import { Type, type Static } from '@sinclair/typebox'
import { Nullable, StringEnum, ref, withExamples } from './common.js'
import { Dob, Email, Name, Role, User } from './user.js'

/** Printable ASCII, 1–128 characters, no space at either end. */
export const POLICY_PATTERN = '^[!-~](?:[ -~]{0,126}[!-~])?$'
/** Genetic results are bounded: at most this many bytes once serialised as JSON. */
export const MAX_GENETIC_RESULT_BYTES = 16 * 1024

export const UserIdParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'The user\'s id', examples: [42] })
})
export type UserIdParams = Static<typeof UserIdParams>

const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size, 1 to 100' })
const Cursor = Type.String({ minLength: 1, maxLength: 64, description: 'The `next_cursor` of the previous page' })

export const ListUsersQuery = Type.Object({
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
  email: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'Only users whose email contains this, whatever the case', examples: ['example.com'] }))
})
export type ListUsersQuery = Static<typeof ListUsersQuery>

const { id, email, email_verified: emailVerified, pending_email: pendingEmail, first_name: firstName, last_name: lastName, dob, role, created_at: createdAt, modified_at: modifiedAt } = User.properties

/**
 * A user as the admin list shows them: whether there is health data, never the data itself, which
 * only GET /api/v1/users/{id} gives, with an audit entry naming the user read.
 */
export const UserSummary = Type.Object({
  id,
  email,
  email_verified: emailVerified,
  pending_email: pendingEmail,
  first_name: firstName,
  last_name: lastName,
  dob,
  role,
  has_genetic_result: Type.Boolean({ description: 'Whether genetic results are attached; GET /api/v1/users/{id} reads them' }),
  has_policy: Type.Boolean({ description: 'Whether a policy number is set; GET /api/v1/users/{id} reads it' }),
  created_at: createdAt,
  modified_at: modifiedAt
}, { $id: 'UserSummary', title: 'UserSummary', additionalProperties: false })
export type UserSummary = Static<typeof UserSummary>

export const UserPage = Type.Object({
  users: Type.Array(ref(UserSummary)),
  next_cursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last page' }))
}, { $id: 'UserPage', title: 'UserPage', additionalProperties: false })
export type UserPage = Static<typeof UserPage>

export const AdminUpdateBody = withExamples(Type.Object({
  first_name: Type.Optional(Name),
  last_name: Type.Optional(Name),
  dob: Type.Optional(Dob),
  email: Type.Optional(Email),
  role: Type.Optional(Role)
}, { additionalProperties: false, minProperties: 1 }), {
  rename: { summary: 'Correct a name', value: { last_name: 'King' } },
  promote: { summary: 'Make the user an admin', value: { role: 'admin' } }
})
export type AdminUpdateBody = Static<typeof AdminUpdateBody>

export const GeneticsBody = withExamples(Type.Object({
  genetic_result: Type.Object({}, {
    additionalProperties: true,
    description: `Any JSON object, at most ${MAX_GENETIC_RESULT_BYTES / 1024} KiB once serialised`,
    examples: [{ BRCA1: 'negative', APOE: 'e3/e3' }]
  }),
  policy: Type.String({ pattern: POLICY_PATTERN, description: 'Insurance policy number: 1 to 128 printable ASCII characters', examples: ['POL-2024-000123'] })
}, { additionalProperties: false }), {
  results: { summary: 'Attach results and a policy number', value: { genetic_result: { BRCA1: 'negative', APOE: 'e3/e3' }, policy: 'POL-2024-000123' } }
})
export type GeneticsBody = Static<typeof GeneticsBody>

export const AuditQuery = Type.Object({
  user_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only entries about this user' })),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor)
})
export type AuditQuery = Static<typeof AuditQuery>

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor_id: Nullable(Type.Integer({ description: 'Who acted; null for the command line (`make admin`)' })),
  action: StringEnum(['user.read', 'users.list', 'user.update', 'user.delete', 'genetics.update', 'legacy.import']),
  target_id: Nullable(Type.Integer({ description: 'The user acted upon; null for a list' })),
  fields: Type.Array(Type.String(), { description: 'Names of the fields changed (never their values); for `legacy.import`, the counts of the run as `name=n`' })
}, { $id: 'AuditEntry', title: 'AuditEntry', additionalProperties: false })

export const AuditPage = Type.Object({
  entries: Type.Array(Type.Unsafe<Static<typeof AuditEntry>>(Type.Ref('AuditEntry'))),
  next_cursor: Nullable(Type.String({ description: 'Pass as `cursor` for older entries; null on the last page' }))
}, { $id: 'AuditPage', title: 'AuditPage', additionalProperties: false })
export type AuditPage = Static<typeof AuditPage>
