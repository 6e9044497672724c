import { Type, type Static } from '@sinclair/typebox'
import { withExamples } from './common.js'
import { Email, NewPassword } from './user.js'

// Bodies and answers of the mailed-link flows: verification, password reset, change of address.

/** What a link carries after `#token=`: 32 random bytes, base64url. */
export const MailedToken = Type.String({
  minLength: 1,
  maxLength: 128,
  description: 'The token from the mailed link, the part after `#token=`',
  examples: ['q1dP3zQ0m8xwqJb6v0m3Jc5b2r9kVYQyq4bq1s8Zx2E']
})

const tokenBody = (summary: string) => withExamples(Type.Object({ token: MailedToken }, { additionalProperties: false }), {
  link: { summary, value: { token: 'q1dP3zQ0m8xwqJb6v0m3Jc5b2r9kVYQyq4bq1s8Zx2E' } }
})

export const VerificationConfirmBody = tokenBody('The token of a verification link')
export type VerificationConfirmBody = Static<typeof VerificationConfirmBody>

export const EmailChangeConfirmBody = tokenBody('The token of the link mailed to the new address')
export type EmailChangeConfirmBody = Static<typeof EmailChangeConfirmBody>

export const PasswordResetBody = withExamples(Type.Object({ email: Email }, { additionalProperties: false }), {
  reset: { summary: 'Mail me a reset link', value: { email: 'ada@example.com' } }
})
export type PasswordResetBody = Static<typeof PasswordResetBody>

export const PasswordResetConfirmBody = withExamples(Type.Object({ token: MailedToken, password: NewPassword }, { additionalProperties: false }), {
  reset: { summary: 'Set a new password with the token of a reset link', value: { token: 'q1dP3zQ0m8xwqJb6v0m3Jc5b2r9kVYQyq4bq1s8Zx2E', password: 'amber-Lantern-58-orchard' } }
})
export type PasswordResetConfirmBody = Static<typeof PasswordResetConfirmBody>

export const Accepted = Type.Object({
  message: Type.String({ examples: ['if an account has this email, a link to reset its password is on its way'] })
}, { $id: 'Accepted', title: 'Accepted', additionalProperties: false })
export type Accepted = Static<typeof Accepted>
