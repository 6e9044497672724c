// Passwordless login with a passkey: options, then the browser's signed answer. A passkey is
// something the person has, unlocked by something they are or know: the session counts as two factors.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { AuthenticationResponseJSON } from '@simplewebauthn/server'
import { errors, ok, rateLimited } from '../schemas/responses.js'
import { TokenResponse, type User } from '../schemas/user.js'
import { PasskeyLoginBody, PasskeyLoginOptions } from '../schemas/passkeys.js'
import { PUBLIC } from '../plugins/external/docs.js'
import { tables } from '../db/tables.js'
import { startSessionIn } from '../accounts/changes.js'
import { findPasskey, loginOptions, relyingParty, spendChallenge, verifyLogin } from '../accounts/passkeys.js'
import { sessionDevice } from '../http/session-device.js'

const passkeyLogin: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app
  const rp = relyingParty(config.publicUrl)

  app.post('/options', {
    config: { rateLimit: app.authRateLimit },
    schema: {
      operationId: 'passkeyLoginOptions',
      summary: 'Log in with a passkey: the options',
      description: 'The WebAuthn options for `navigator.credentials.get()` (through `startAuthentication()` of ' +
        '@simplewebauthn/browser), with no `allowCredentials`: the authenticator offers the passkeys it holds for ' +
        'this site. Its challenge works once, within 5 minutes.',
      tags: ['auth'],
      security: PUBLIC,
      response: { 200: ok(PasskeyLoginOptions, 'The options to hand to the browser'), 400: errors[400], 429: rateLimited, 503: errors[503] }
    }
  }, async () => await loginOptions(app.data, rp))

  app.post('/', {
    config: { rateLimit: app.authRateLimit },
    schema: {
      operationId: 'loginPasskey',
      summary: 'Log in with a passkey',
      description: 'Completes a login begun at POST /api/v1/users/login/passkey/options with the browser\'s answer. ' +
        'The session counts as two factors (it passes ADMIN_MFA=required). An answer that does not verify counts as ' +
        'a failed login of the passkey\'s account, in the same count as wrong passwords (LOGIN_MAX_FAILURES, then ' +
        '429 with Retry-After).',
      tags: ['auth'],
      security: PUBLIC,
      body: PasskeyLoginBody,
      response: {
        200: ok(TokenResponse, 'Logged in: the token and the account'),
        400: { ...errors[400], description: 'Invalid input, an unknown passkey, or an answer that does not verify: the message names the problem (challenge, origin, RP id, signature, counter, ...)' },
        413: errors[413],
        415: errors[415],
        429: rateLimited,
        503: errors[503]
      }
    }
  }, async (request) => {
    const response = request.body.response as AuthenticationResponseJSON
    const challenge = await spendChallenge(app.data, response.response.clientDataJSON, 'login', null)
    const stored = await findPasskey(app.data, response.id)
    await app.loginLockout.check(request, stored.email)
    const ttl = config.jwtTtl
    const { user, session } = await app.db.transaction(async (tx) => {
      const t = tables(tx)
      await verifyLogin(t, rp, stored, response, challenge)
      const session = await startSessionIn(t, stored.userId, ttl, config.maxSessionsPerUser, sessionDevice(request, 'passkey'))
      return { user: await t.users.findById(stored.userId) as User, session }
    })
    await app.loginLockout.reset(request, stored.email)
    app.mail.kick()
    request.log.info({ userId: user.id, secondFactor: 'passkey' }, 'user logged in with a passkey')
    return { jwt_token: app.signToken(user, session.id, ttl), token_type: 'Bearer' as const, expires_in: ttl, user }
  })
}

export default passkeyLogin
