import { Type, type Static } from '@sinclair/typebox'
import { Nullable, StringEnum, ref, withExamples } from './common.js'
import { Altcha } from './captcha.js'

// Field rules, each defined once and reused by signup, /me and the admin routes.

/** The account the examples walk through: sign up, log in, change it (Try it out in /docs works in that order). */
const ADA = { email: 'ada@example.com', password: 'violet-Harbor-93-kettle', first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' }

/**
 * Characters no name may hold: controls (Cc), and the bidirectional controls, which make a name
 * display as something other than what it is (in the staff console, in a mail).
 */
const NOT_IN_NAMES = '\\u0000-\\u001F\\u007F-\\u009F\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069'
/** 1–128 characters once the spaces around it are trimmed, and none of those characters anywhere. */
export const NAME_PATTERN = `^ *[^\\s${NOT_IN_NAMES}](?:[^${NOT_IN_NAMES}]{0,126}[^\\s${NOT_IN_NAMES}])? *$`
/**
 * The format of a name: at least one letter, so that no name is made of invisible characters
 * (U+200B, U+2060) or marks alone. A format rather than a second pattern because a schema has one
 * `pattern`, and Ajv checks `format` after it: the first rule broken names the problem.
 */
export const NAME_FORMAT = 'person-name'
export const HAS_LETTER = /\p{L}/u
/** RFC 5321: a local part is at most 64 octets (the email format admits ASCII only, so characters). */
export const EMAIL_LOCAL_PART_PATTERN = '^(?![^@]{65,}@)'

export const Email = Type.String({
  format: 'email',
  maxLength: 254,
  pattern: EMAIL_LOCAL_PART_PATTERN,
  description: 'At most 64 characters before the @; unique whatever its case',
  examples: ['ada@example.com']
})
export const Name = Type.String({
  pattern: NAME_PATTERN,
  format: NAME_FORMAT,
  description: '1 to 128 characters after trimming spaces, with at least one letter and no control or bidirectional-control characters',
  examples: ['Ada']
})
export const Dob = Type.String({ format: 'date', description: 'Date of birth, YYYY-MM-DD, not in the future', examples: ['1990-04-17'] })
/** The password rules the schema can say; accounts/passwords.ts checks the rest (bytes, strength). */
export const MIN_PASSWORD_CHARS = 10
export const MAX_PASSWORD_BYTES = 72
export const NewPassword = Type.String({
  minLength: MIN_PASSWORD_CHARS,
  // Characters, not bytes: the byte limit, which is bcrypt's, is checked after the schema.
  maxLength: MAX_PASSWORD_BYTES,
  description: `At least ${MIN_PASSWORD_CHARS} characters and at most ${MAX_PASSWORD_BYTES} bytes of UTF-8 (bcrypt's limit), and hard to guess: ` +
    'common passwords, keyboard runs and passwords built from your email or names are refused',
  examples: ['violet-Harbor-93-kettle']
})
export const Role = StringEnum(['user', 'admin'], { description: 'Only an admin can change it' })

export const User = Type.Object({
  id: Type.Integer({ examples: [42] }),
  email: Type.String({ examples: ['ada@example.com'] }),
  email_verified: Type.Boolean({ description: 'Whether the owner of `email` followed a link mailed to it', examples: [true] }),
  pending_email: Nullable(Type.String({ description: 'A new address waiting for its owner to follow the link mailed to it; `email` changes then', examples: [null] })),
  first_name: Type.String({ examples: ['Ada'] }),
  last_name: Type.String({ examples: ['Lovelace'] }),
  dob: Type.String({ format: 'date', examples: ['1990-04-17'] }),
  role: Role,
  mfa_enabled: Type.Boolean({ description: 'Whether logging in needs a second factor (a TOTP code or a recovery code) after the password', examples: [false] }),
  policy: Nullable(Type.String({ description: 'Insurance policy number, set by an admin', examples: ['POL-2024-000123'] })),
  genetic_result: Nullable(Type.Object({}, {
    additionalProperties: true,
    description: 'Genetic results, set by an admin; null until then',
    examples: [{ BRCA1: 'negative', APOE: 'e3/e3' }]
  })),
  created_at: Type.String({ format: 'date-time' }),
  modified_at: Type.String({ format: 'date-time' })
}, { $id: 'User', title: 'User', additionalProperties: false })
export type User = Static<typeof User>

export const TokenResponse = Type.Object({
  jwt_token: Type.String({ description: 'Send it back in the `api-token` header or as `Authorization: Bearer <token>`' }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the token expires', examples: [3600] }),
  user: ref(User)
}, { $id: 'Token', title: 'Token', additionalProperties: false })
export type TokenResponse = Static<typeof TokenResponse>

export const SignupBody = withExamples(Type.Object({
  email: Email,
  password: NewPassword,
  first_name: Name,
  last_name: { ...Name, examples: ['Lovelace'] },
  dob: Dob,
  altcha: Type.Optional(Altcha)
}, { additionalProperties: false }), {
  signup: { summary: 'A new customer', value: ADA }
})
export type SignupBody = Static<typeof SignupBody>

export const LoginBody = withExamples(Type.Object({
  email: Type.String({ minLength: 1, maxLength: 254, examples: ['ada@example.com'] }),
  password: Type.String({ minLength: 1, maxLength: 1024, examples: ['violet-Harbor-93-kettle'] }),
  remember_me: Type.Optional(Type.Boolean({ default: false, description: 'Ask for a long-lived token (JWT_REMEMBER_TTL instead of JWT_TTL)' }))
}, { additionalProperties: false }), {
  login: { summary: 'Log in for JWT_TTL (1 hour by default)', value: { email: ADA.email, password: ADA.password } },
  rememberMe: { summary: 'Log in for JWT_REMEMBER_TTL (30 days by default)', value: { email: ADA.email, password: ADA.password, remember_me: true } }
})
export type LoginBody = Static<typeof LoginBody>

export const LogoutBody = withExamples(Type.Object({
  all: Type.Optional(Type.Boolean({ default: false, description: 'Revoke every session of this user, not only this token' }))
}, { additionalProperties: false }), {
  thisSession: { summary: 'End this session only (the same as no body)', value: {} },
  everywhere: { summary: 'End every session of this account', value: { all: true } }
})
export type LogoutBody = Static<typeof LogoutBody>

/** The fields of an account that its owner and an admin can both change, each optional. */
export const ProfileChanges = {
  first_name: Type.Optional(Name),
  last_name: Type.Optional(Name),
  dob: Type.Optional(Dob),
  email: Type.Optional(Email)
}

export const UpdateMeBody = withExamples(Type.Object({
  ...ProfileChanges,
  password: Type.Optional(NewPassword),
  current_password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Required to change email or password' }))
}, { additionalProperties: false, minProperties: 1 }), {
  rename: { summary: 'Change my name', value: { first_name: 'Augusta Ada', last_name: 'King' } },
  email: { summary: 'Change my email (needs my current password)', value: { email: 'ada.king@example.com', current_password: ADA.password } },
  password: {
    summary: 'Change my password (needs the current one; ends my other sessions)',
    value: { password: 'amber-Lantern-58-orchard', current_password: ADA.password }
  }
})
export type UpdateMeBody = Static<typeof UpdateMeBody>

export const DeleteMeBody = withExamples(Type.Object({
  current_password: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 1024,
    description: 'Required unless this session began less than 5 minutes ago; checked whenever it is sent'
  }))
}, { additionalProperties: false }), {
  withPassword: { summary: 'Delete my account (needs my current password)', value: { current_password: ADA.password } },
  rightAfterLogin: { summary: 'Right after logging in (a session younger than 5 minutes): no body needed', value: {} }
})
export type DeleteMeBody = Static<typeof DeleteMeBody>
