// The admin side of the users resource (src/routes/users.ts): the list, changes, genetic results.
import { Type, type Static } from '@sinclair/typebox'
import { Nullable, PageCursor, PageLimit, ref, withExamples } from './common.js'
import { ProfileChanges, Role, User } from './user.js'

/** Printable ASCII, 1–128 characters, no space at either end. */
export const POLICY_PATTERN = '^[!-~](?:[ -~]{0,126}[!-~])?$'
/** Genetic results are bounded: at most this many bytes once serialised as JSON. */
export const MAX_GENETIC_RESULT_BYTES = 16 * 1024

export const UserIdParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'The user\'s id', examples: [42] })
})
export type UserIdParams = Static<typeof UserIdParams>

export const ListUsersQuery = Type.Object({
  limit: Type.Optional(PageLimit),
  cursor: Type.Optional(PageCursor),
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
  ...ProfileChanges,
  role: Type.Optional(Role)
}, { additionalProperties: false, minProperties: 1 }), {
  rename: { summary: 'Correct a name', value: { last_name: 'King' } },
  promote: { summary: 'Make the user an admin', value: { role: 'admin' } }
})
export type AdminUpdateBody = Static<typeof AdminUpdateBody>

const GeneticResult = Type.Object({}, {
  additionalProperties: true,
  description: `Any JSON object, at most ${MAX_GENETIC_RESULT_BYTES / 1024} KiB once serialised`,
  examples: [{ BRCA1: 'negative', APOE: 'e3/e3' }]
})
const Policy = Type.String({ pattern: POLICY_PATTERN, description: 'Insurance policy number: 1 to 128 printable ASCII characters', examples: ['POL-2024-000123'] })

export const GeneticsBody = withExamples(Type.Object({
  genetic_result: GeneticResult,
  policy: Policy
}, { additionalProperties: false }), {
  results: { summary: 'Attach results and a policy number', value: { genetic_result: { BRCA1: 'negative', APOE: 'e3/e3' }, policy: 'POL-2024-000123' } }
})
export type GeneticsBody = Static<typeof GeneticsBody>

export const GeneticsPatchBody = withExamples(Type.Object({
  genetic_result: Type.Optional(GeneticResult),
  policy: Type.Optional(Policy)
}, { additionalProperties: false, minProperties: 1 }), {
  results: { summary: 'Attach or replace the genetic results only', value: { genetic_result: { BRCA1: 'negative', APOE: 'e3/e3' } } },
  policy: { summary: 'Set or replace the policy number only', value: { policy: 'POL-2024-000123' } }
})
export type GeneticsPatchBody = Static<typeof GeneticsPatchBody>

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({
    description: 'The `ETag` of GET /api/v1/users/{id} (or of the last write) that this change starts from: ' +
      'when the genetic profile has changed since, the write is refused with 412 and nothing changes. Without it, the write goes ahead.',
    examples: ['"genetics-42-3"']
  }))
})

/**
 * A user as an admin reads them one at a time: the User, with what the staff console shows beside it.
 * The extra fields are left out when users read themselves.
 */
export const AdminUser = Type.Object({
  ...User.properties,
  live_sessions: Type.Optional(Type.Integer({ description: 'How many sessions of this user are live (admins only)', examples: [1] })),
  genetic_profile_updated_at: Type.Optional(Nullable(Type.String({
    format: 'date-time',
    description: 'When the genetic results or policy number last changed; null while there are none (admins only)'
  }))),
  genetic_profile_updated_by: Type.Optional(Nullable(Type.Object({
    id: Type.Integer(),
    name: Type.String({ examples: ['Grace Hopper'] })
  }, {
    additionalProperties: false,
    description: 'Who changed them last; null while there are none, or when that account has been deleted since (admins only)'
  })))
}, { $id: 'AdminUser', title: 'AdminUser', additionalProperties: false })
export type AdminUser = Static<typeof AdminUser>
