// "My second factor": turning TOTP on (enrol, then confirm with a first code) and off.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { conflict, unauthorized } from '../http/errors.js'
import { errors, noContent, ok, rateLimited } from '../schemas/responses.js'
import { RecoveryCodes, TotpConfirmBody, TotpDisableBody, TotpEnrolBody, TotpEnrolment } from '../schemas/mfa.js'
import { TOKEN_SECURITY } from '../plugins/external/docs.js'
import { MFA_NOT_ON, WRONG_CODE, confirmTotp, disableTotp, enrolTotp, hasTotp, useSecondFactor } from '../accounts/mfa.js'
import { totpSecrets } from '../accounts/jwt-derived-totp-secrets.js'

const reauthenticationLimited = {
  ...rateLimited,
  description: 'Too many requests from this IP address, or this account is locked for this IP address after repeated ' +
    'failed logins, wrong `current_password`s or wrong codes. Retry after the number of seconds in Retry-After.'
}

const mfa: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)
  const box = totpSecrets(app.dataCipher, app.config.jwtSecret)

  /** `current_password` checked as a login of the caller's account: same lockout count, same 429. */
  const checkPassword = async (request: FastifyRequest, password: string): Promise<void> => {
    await app.loginLockout.check(request)
    const hash = await app.data.users.findPasswordHash(request.account.id)
    if (!await app.passwords.verify(password, hash)) throw unauthorized('body/current_password is incorrect')
  }

  app.post('/totp', {
    config: { rateLimit: app.authRateLimit },
    schema: {
      operationId: 'enrolTotp',
      summary: 'Start turning on two-factor authentication',
      description: 'Gives a new TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s) as Base32 and as an `otpauth://` URL for a ' +
        'QR code. Nothing changes at login until POST /api/v1/users/me/mfa/totp/confirm receives a first code; enrolling ' +
        'again before that replaces the secret. A wrong `current_password` counts as a failed login.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      body: TotpEnrolBody,
      response: {
        200: ok(TotpEnrolment, 'The secret, waiting for its first code'),
        400: errors[400],
        401: { ...errors[401], description: 'Missing, invalid, expired or revoked token, or a wrong `current_password`' },
        409: { ...errors[409], description: 'Two-factor authentication is already on' },
        413: errors[413],
        415: errors[415],
        429: reauthenticationLimited,
        503: errors[503]
      }
    }
  }, async (request) => {
    await checkPassword(request, request.body.current_password)
    await app.loginLockout.reset(request)
    return await enrolTotp(app.db, box, request.account)
  })

  app.post('/totp/confirm', {
    schema: {
      operationId: 'confirmTotp',
      summary: 'Turn on two-factor authentication',
      description: 'The first code from the authenticator app turns the second factor on. The answer holds 10 recovery ' +
        'codes, shown this once (only their hashes are kept); each can stand in for a code once. From the next login ' +
        'on, the password answers `mfa_required: true`. The account\'s address is told by mail.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      body: TotpConfirmBody,
      response: {
        200: ok(RecoveryCodes, 'On: the recovery codes'),
        400: { ...errors[400], description: 'Invalid input, or a code that is not the authenticator\'s current one' },
        401: errors[401],
        409: { ...errors[409], description: 'No enrolment is waiting, two-factor authentication is already on, or the stored secret failed its integrity check (logged)' },
        413: errors[413],
        415: errors[415],
        503: errors[503]
      }
    }
  }, async (request) => {
    const codes = await confirmTotp(app.db, box, request.account.id, request.body.code, app.clock())
    app.mail.kick()
    request.log.info({ userId: request.account.id }, 'two-factor authentication turned on')
    return { recovery_codes: codes }
  })

  app.delete('/totp', {
    config: { rateLimit: app.authRateLimit },
    schema: {
      operationId: 'disableTotp',
      summary: 'Turn off two-factor authentication',
      description: 'Needs `current_password` and a current code; a wrong one of either counts as a failed login. The ' +
        'secret and the recovery codes are deleted, and the account\'s address is told by mail.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      body: TotpDisableBody,
      response: {
        204: noContent('Off: logging in needs the password alone'),
        400: errors[400],
        401: { ...errors[401], description: 'Missing, invalid, expired or revoked token, or a wrong `current_password` or code' },
        409: { ...errors[409], description: 'Two-factor authentication is not on, or its stored secret failed its integrity check (logged)' },
        413: errors[413],
        415: errors[415],
        429: reauthenticationLimited,
        503: errors[503]
      }
    }
  }, async (request, reply) => {
    const userId = request.account.id
    if (!await hasTotp(app.data, userId)) throw conflict(MFA_NOT_ON)
    await checkPassword(request, request.body.current_password)
    if (await useSecondFactor(app.db, box, userId, { code: request.body.code }, app.clock()) === undefined) throw unauthorized(WRONG_CODE)
    await app.loginLockout.reset(request)
    await disableTotp(app.db, userId)
    app.mail.kick()
    request.log.info({ userId }, 'two-factor authentication turned off')
    return await reply.code(204).send()
  })
}

export default mfa
