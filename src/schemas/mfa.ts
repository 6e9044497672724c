import { Type, type Static } from '@sinclair/typebox'
import { Nullable, ref, withExamples } from './common.js'
import { TokenResponse } from './user.js'

// Two factors and sessions: TOTP enrolment, the second step of a login, the sessions list.

const PASSWORD = 'violet-Harbor-93-kettle'

const CurrentPassword = Type.String({ minLength: 1, maxLength: 1024, description: 'The account\'s password; a wrong one counts as a failed login' })
export const TotpCode = Type.String({ pattern: '^[0-9]{6}$', description: 'The 6-digit code the authenticator app shows now', examples: ['123456'] })
export const RecoveryCode = Type.String({
  pattern: '^[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$',
  description: 'One of the recovery codes given when two-factor authentication was turned on (dashes optional); each works once',
  examples: ['7k2m-9qxa-4r8t-wn3e']
})
/** Any string: a malformed token is refused as any unknown one is (401), not as bad input. */
export const MfaToken = Type.String({
  minLength: 1,
  maxLength: 1024,
  description: 'The `mfa_token` of the login answer; it works for 5 minutes and is no session token',
  examples: ['Xb3n0kqR1v8mJc5b2r9kVYQyq4bq1s8Zx2Eq1dP3zQ0']
})

export const TotpEnrolBody = withExamples(Type.Object({ current_password: CurrentPassword }, { additionalProperties: false }), {
  enrol: { summary: 'Start turning on two-factor authentication', value: { current_password: PASSWORD } }
})
export type TotpEnrolBody = Static<typeof TotpEnrolBody>

export const TotpEnrolment = Type.Object({
  secret: Type.String({ description: 'The Base32 secret, for typing into an authenticator app by hand', examples: ['JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'] }),
  otpauth_url: Type.String({ description: 'The same as an `otpauth://` URL, for a QR code', examples: ['otpauth://totp/dna-api:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=dna-api'] }),
  qr_code: Type.Object({
    size: Type.Integer({ description: 'Modules per side', examples: [33] }),
    modules: Type.String({ pattern: '^[01]+$', description: '`size` × `size` characters, row by row: 1 for a dark module, 0 for a light one' })
  }, { additionalProperties: false, description: 'The QR code of `otpauth_url`, for a page to draw without any image service' })
}, { $id: 'TotpEnrolment', title: 'TotpEnrolment', additionalProperties: false })
export type TotpEnrolment = Static<typeof TotpEnrolment>

export const TotpConfirmBody = withExamples(Type.Object({ code: TotpCode }, { additionalProperties: false }), {
  confirm: { summary: 'The first code from the authenticator app', value: { code: '123456' } }
})
export type TotpConfirmBody = Static<typeof TotpConfirmBody>

export const RecoveryCodes = Type.Object({
  recovery_codes: Type.Array(Type.String(), { minItems: 10, maxItems: 10, description: 'Shown this once: keep them somewhere safe. Each works once, in place of a code.' })
}, { $id: 'RecoveryCodes', title: 'RecoveryCodes', additionalProperties: false })
export type RecoveryCodes = Static<typeof RecoveryCodes>

export const TotpDisableBody = withExamples(Type.Object({ current_password: CurrentPassword, code: TotpCode }, { additionalProperties: false }), {
  disable: { summary: 'Turn two-factor authentication off', value: { current_password: PASSWORD, code: '123456' } }
})
export type TotpDisableBody = Static<typeof TotpDisableBody>

export const MfaChallenge = Type.Object({
  mfa_required: Type.Literal(true, { description: 'Always true: this account needs a second factor; send it to POST /api/v1/users/login/mfa' }),
  mfa_token: Type.String({ description: 'Send it with the code to POST /api/v1/users/login/mfa; it is no session token', examples: ['Xb3n0kqR1v8mJc5b2r9kVYQyq4bq1s8Zx2Eq1dP3zQ0'] }),
  expires_in: Type.Integer({ description: 'Seconds until `mfa_token` expires', examples: [300] })
}, { $id: 'MfaChallenge', title: 'MfaChallenge', additionalProperties: false })
export type MfaChallenge = Static<typeof MfaChallenge>

/** What a right password answers: a session, or (with a second factor on) the challenge for it. */
export const LoginResponse = Type.Union([ref(TokenResponse), ref(MfaChallenge)], {
  description: 'A `Token` when the account has no second factor; an `MfaChallenge` (`mfa_required: true`, no `jwt_token`) when it has'
})
export type LoginResponse = Static<typeof LoginResponse>

export const LoginMfaBody = withExamples(Type.Object({
  mfa_token: MfaToken,
  code: Type.Optional(TotpCode),
  recovery_code: Type.Optional(RecoveryCode)
}, { additionalProperties: false }), {
  code: { summary: 'With the code of the authenticator app', value: { mfa_token: 'Xb3n0kqR1v8mJc5b2r9kVYQyq4bq1s8Zx2Eq1dP3zQ0', code: '123456' } },
  recoveryCode: { summary: 'With a recovery code', value: { mfa_token: 'Xb3n0kqR1v8mJc5b2r9kVYQyq4bq1s8Zx2Eq1dP3zQ0', recovery_code: '7k2m-9qxa-4r8t-wn3e' } }
})
export type LoginMfaBody = Static<typeof LoginMfaBody>

const SecondFactorOrNull = Type.Unsafe<'totp' | 'recovery_code' | 'passkey' | null>({
  type: ['string', 'null'],
  enum: ['totp', 'recovery_code', 'passkey', null],
  description: 'The second factor the login gave, or null for a password alone'
})

export const Session = Type.Object({
  id: Type.String({ format: 'uuid' }),
  created_at: Type.String({ format: 'date-time', description: 'When the session began (the login)' }),
  last_used_at: Type.String({ format: 'date-time', description: 'When it was last used, to within 5 minutes' }),
  expires_at: Type.String({ format: 'date-time' }),
  user_agent: Nullable(Type.String({ description: 'The User-Agent of the login', examples: ['Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36'] })),
  ip: Nullable(Type.String({ description: 'The client address of the login', examples: ['203.0.113.7'] })),
  second_factor: SecondFactorOrNull,
  current: Type.Boolean({ description: 'Whether this is the session making the request' })
}, { $id: 'Session', title: 'Session', additionalProperties: false })
export type Session = Static<typeof Session>

export const SessionList = Type.Object({
  sessions: Type.Array(ref(Session))
}, { $id: 'SessionList', title: 'SessionList', additionalProperties: false })
export type SessionList = Static<typeof SessionList>

export const SessionIdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'A session id from GET /api/v1/users/me/sessions' })
}, { additionalProperties: false })
export type SessionIdParams = Static<typeof SessionIdParams>
