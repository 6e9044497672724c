// The links mailed to an address: asking for a new verification link, and following a
// verification or a change-of-address link. The change itself is asked for with PATCH /me.
import { createHash } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { conflict, tooManyRequests } from '../http/errors.js'
import { errors, ok } from '../schemas/responses.js'
import { Accepted, EmailChangeConfirmBody, VerificationConfirmBody } from '../schemas/email.js'
import { User } from '../schemas/user.js'
import { PUBLIC, TOKEN_SECURITY } from '../plugins/external/docs.js'
import { BAD_TOKEN, confirmEmailChange, confirmVerification, resendVerification } from '../accounts/mailed-links.js'

/** Verification mails a user may ask for: one a minute, five an hour. */
const RESEND_LIMITS = [
  { windowMs: 60_000, max: 1, what: 'a minute' },
  { windowMs: 3_600_000, max: 5, what: 'an hour' }
]

const badToken = { ...errors[400], description: `\`${BAD_TOKEN}\`: unknown, expired, already used or meant for another link; or an invalid body` }

const email: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/me/email-verification', {
    onRequest: app.authenticate,
    schema: {
      operationId: 'requestEmailVerification',
      summary: 'Mail me a new verification link',
      description: 'Mails a new link to confirm the account\'s address (valid 24 hours), at most one a minute and five an hour.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      response: {
        202: ok(Accepted, 'The link is on its way'),
        400: errors[400],
        401: errors[401],
        409: { ...errors[409], description: 'The address is already verified' },
        429: {
          ...errors[409],
          description: 'Too many verification mails asked for; retry after the number of seconds in Retry-After',
          headers: { 'retry-after': { type: 'integer', description: 'Seconds to wait before trying again' } }
        },
        503: errors[503]
      }
    }
  }, async (request, reply) => {
    const { account } = request
    if (account.email_verified) throw conflict('email is already verified')
    for (const limit of RESEND_LIMITS) {
      const key = createHash('sha256').update(`email-verification:${limit.windowMs}:${account.id}`).digest('base64url')
      const { hits, ttlMs } = await app.data.rateLimits.hitWindow(key, limit.windowMs)
      if (hits > limit.max) {
        const seconds = Math.max(1, Math.ceil(ttlMs / 1000))
        throw tooManyRequests(`at most ${limit.max} verification mail${limit.max > 1 ? 's' : ''} ${limit.what}; try again in ${seconds} seconds`, seconds)
      }
    }
    await resendVerification(app.db, account.id)
    app.mail.kick()
    return await reply.code(202).send({ message: 'a new verification link is on its way to your email address' })
  })

  app.post('/email-verification/confirm', {
    schema: {
      operationId: 'confirmEmailVerification',
      summary: 'Verify my email address',
      description: 'With the token of a verification link (the part after `#token=`). A link works once.',
      tags: ['auth'],
      security: PUBLIC,
      body: VerificationConfirmBody,
      response: {
        200: ok(User, 'The account, its address verified'),
        400: badToken,
        413: errors[413],
        415: errors[415],
        503: errors[503]
      }
    }
  }, async (request) => await confirmVerification(app.db, request.body.token))

  app.post('/email-change/confirm', {
    schema: {
      operationId: 'confirmEmailChange',
      summary: 'Confirm my new email address',
      description: 'With the token of the link mailed to the new address: the account takes that address, verified, ' +
        'and every session ends but the one that asked for the change.',
      tags: ['auth'],
      security: PUBLIC,
      body: EmailChangeConfirmBody,
      response: {
        200: ok(User, 'The account with its new address'),
        400: badToken,
        409: { ...errors[409], description: 'Another account took this address meanwhile' },
        413: errors[413],
        415: errors[415],
        503: errors[503]
      }
    }
  }, async (request) => await confirmEmailChange(app.db, request.body.token))
}

export default email
