// "Forgot your password?": a reset link by mail, then a new password with its token. The request
// answers the same, after the same work, whether or not an account has the address.
import { foldEmail } from '../db/email-folding.js'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { badRequest, tooManyRequests } from '../http/errors.js'
import { passwordProblem } from '../accounts/passwords.js'
import { errors, ok, rateLimited } from '../schemas/responses.js'
import { Accepted, PasswordResetBody, PasswordResetConfirmBody } from '../schemas/email.js'
import { TokenResponse } from '../schemas/user.js'
import { PUBLIC } from '../plugins/external/docs.js'
import { sessionDevice } from '../http/session-device.js'
import { BAD_TOKEN, completePasswordReset, passwordResetAccount, requestPasswordReset } from '../accounts/mailed-links.js'

/** Reset requests per address an hour, known or not: a flood for one address mails it at most this often. */
export const RESETS_PER_HOUR = 3

const ACCEPTED = 'if an account has this email, a link to reset its password is on its way; it works for 30 minutes'

const passwordReset: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app

  app.post('/', {
    config: { rateLimit: app.authRateLimit },
    schema: {
      operationId: 'requestPasswordReset',
      summary: 'Mail me a password reset link',
      description: 'Mails a link to reset the password (valid 30 minutes) when an account has this email; the answer is the ' +
        `same either way. At most ${RESETS_PER_HOUR} requests an hour for one address, and the per-IP limit. A new link voids the older ones.`,
      tags: ['auth'],
      security: PUBLIC,
      body: PasswordResetBody,
      response: {
        202: ok(Accepted, 'Accepted: a mail goes out if the account exists'),
        400: errors[400],
        413: errors[413],
        415: errors[415],
        429: { ...rateLimited, description: `${rateLimited.description} Also after ${RESETS_PER_HOUR} requests for one address within an hour.` },
        503: errors[503]
      }
    }
  }, async (request, reply) => {
    const { email } = request.body
    // Counted for every address, known or not, so the limit says nothing about which exist.
    const key = app.rateLimitKey(`password-reset:${foldEmail(email)}`)
    const { hits, ttlMs } = await app.data.rateLimits.hitWindow(key, 3_600_000)
    if (hits > RESETS_PER_HOUR) {
      const seconds = Math.max(1, Math.ceil(ttlMs / 1000))
      throw tooManyRequests(`too many password reset requests for this email; try again in ${Math.ceil(seconds / 60)} minutes`, seconds)
    }
    await requestPasswordReset(app.db, email)
    app.mail.kick()
    return await reply.code(202).send({ message: ACCEPTED })
  })

  app.post('/confirm', {
    config: { rateLimit: app.authRateLimit },
    schema: {
      operationId: 'confirmPasswordReset',
      summary: 'Set a new password with a reset link',
      description: 'With the token of a reset link (the part after `#token=`) and the new password, under the usual rules. ' +
        'Logs in (the answer is the login\'s), ends every other session, lifts the login lock of the account and ' +
        'counts its address as verified. A weak password is a 400 and the link still works.',
      tags: ['auth'],
      security: PUBLIC,
      body: PasswordResetConfirmBody,
      response: {
        200: ok(TokenResponse, 'New password set, and logged in'),
        400: { ...errors[400], description: `\`${BAD_TOKEN}\` (unknown, expired, used or meant for another link), or a weak password` },
        413: errors[413],
        415: errors[415],
        429: rateLimited,
        503: errors[503]
      }
    }
  }, async (request) => {
    const { token, password } = request.body
    const account = await passwordResetAccount(app.db, token)
    const problem = await passwordProblem(password, [account.email, account.first_name, account.last_name])
    if (problem !== undefined) throw badRequest(`body/${problem}`)
    const passwordHash = await app.passwords.hash(password)
    const { user, sessionId } = await completePasswordReset(app.db, token, passwordHash, config.jwtTtl, config.maxSessionsPerUser, sessionDevice(request))
    await app.loginLockout.clearAccount(user.email)
    app.mail.kick()
    request.log.info({ userId: user.id }, 'password reset')
    return { jwt_token: app.signToken(user, sessionId, config.jwtTtl), token_type: 'Bearer' as const, expires_in: config.jwtTtl, user }
  })
}

export default passwordReset
