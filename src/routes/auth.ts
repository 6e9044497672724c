// Sign up, log in, log out: the routes that create and end sessions.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { badRequest, unauthorized } from '../http/errors.js'
import { passwordProblem } from '../accounts/passwords.js'
import { checkDob, cleanName } from '../accounts/profile.js'
import { errors, noContent, ok, rateLimited } from '../schemas/responses.js'
import { LoginBody, LogoutBody, SignupBody, TokenResponse, type User } from '../schemas/user.js'
import { PUBLIC, TOKEN_SECURITY } from '../plugins/external/docs.js'
import { tables } from '../db/tables.js'
import { startSession, startSessionIn } from '../accounts/changes.js'
import { queueVerification } from '../accounts/mailed-links.js'
import { MFA_TOKEN_TTL_SECONDS, hashMfaToken, newMfaToken, useSecondFactor } from '../accounts/mfa.js'
import { totpSecrets } from '../accounts/jwt-derived-totp-secrets.js'
import { sessionDevice } from '../http/session-device.js'
import { LoginMfaBody, LoginResponse, type MfaChallenge } from '../schemas/mfa.js'

export const MFA_TOKEN_INVALID = 'mfa_token is invalid or has expired: log in again with your password'

const auth: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app
  const box = totpSecrets(app.dataCipher, config.jwtSecret)

  const tokenResponse = (user: User, sessionId: string, ttl: number): TokenResponse =>
    ({ jwt_token: app.signToken(user, sessionId, ttl), token_type: 'Bearer', expires_in: ttl, user })

  app.post('/', {
    config: { rateLimit: app.authRateLimit },
    // After validation, so that a malformed body does not use up the captcha solution.
    preHandler: app.captcha.verify,
    schema: {
      operationId: 'createUser',
      summary: 'Sign up',
      description: 'Creates an account and logs it in. Genetic results, policy and role are set by admins only. ' +
        'When the server runs with CAPTCHA=on, the body must carry a solved challenge from GET /api/v1/captcha in `altcha` ' +
        '(400 when it is missing, forged, expired or already used).',
      tags: ['auth'],
      security: PUBLIC,
      body: SignupBody,
      response: {
        201: ok(TokenResponse, 'Signed up and logged in: the token and the new account'),
        400: errors[400],
        409: { ...errors[409], description: 'An account with this email already exists' },
        413: errors[413],
        415: errors[415],
        429: rateLimited,
        503: errors[503]
      }
    }
  }, async (request, reply) => {
    const body = request.body
    const user = {
      email: body.email,
      firstName: cleanName(body.first_name),
      lastName: cleanName(body.last_name),
      dob: checkDob(body.dob)
    }
    const problem = await passwordProblem(body.password, [user.email, user.firstName, user.lastName])
    if (problem !== undefined) throw badRequest(`body/${problem}`)
    const passwordHash = await app.passwords.hash(body.password)

    const { created, session } = await app.db.transaction(async (tx) => {
      const created = await tables(tx).users.create({ ...user, passwordHash })
      await queueVerification(tables(tx), created.id)
      // The device of the signup is known from then on: no new-device notice for it.
      return { created, session: await startSessionIn(tables(tx), created.id, config.jwtTtl, config.maxSessionsPerUser, sessionDevice(request), false) }
    })
    app.mail.kick()
    request.log.info({ userId: created.id }, 'user signed up')
    return await reply.code(201).send(tokenResponse(created, session.id, config.jwtTtl))
  })

  app.post('/login', {
    config: { rateLimit: app.authRateLimit },
    preHandler: async (request) => { await app.loginLockout.check(request) },
    schema: {
      operationId: 'login',
      summary: 'Log in',
      description: 'Unknown email and wrong password get the same 401. After LOGIN_MAX_FAILURES (3) consecutive ' +
        'failures for one account from one IP address, that pair is locked for LOGIN_LOCK_SECONDS (900): every ' +
        'attempt gets 429 with Retry-After, even with the right password. A successful login resets the count, and ' +
        'makes the password hash again at BCRYPT_COST when it was made at a lower cost. ' +
        'An account with two-factor authentication on answers the right password with an `MfaChallenge` ' +
        '(`mfa_required: true`, an `mfa_token`, no `jwt_token`): the login completes at POST /api/v1/users/login/mfa, ' +
        'and until then the failure count stands.',
      tags: ['auth'],
      security: PUBLIC,
      body: LoginBody,
      response: {
        200: { ...LoginResponse, description: 'Logged in (a `Token`), or the password was right and a second factor is needed (an `MfaChallenge`)' },
        400: errors[400],
        401: { ...errors[401], description: 'Invalid credentials: the same answer for an unknown email and a wrong password' },
        413: errors[413],
        415: errors[415],
        429: rateLimited,
        503: errors[503]
      }
    }
  }, async (request): Promise<TokenResponse | MfaChallenge> => {
    const { email, password, remember_me: rememberMe } = request.body
    const found = await app.data.users.findByEmailWithHash(email)
    const valid = await app.passwords.verify(password, found?.passwordHash)
    if (found === undefined || !valid) {
      app.metrics.login('failure')
      throw unauthorized('invalid credentials')
    }

    const { user } = found
    // A hash made at a lower cost (an imported account, or BCRYPT_COST raised) is made again now,
    // the one moment the password is known.
    if (app.passwords.needsRehash(found.passwordHash)) {
      await app.data.users.replaceHash(user.id, found.passwordHash, await app.passwords.hash(password))
    }
    if (user.mfa_enabled) {
      // Half a login: this attempt is not a failure, but the streak before it stands until the code.
      await app.loginLockout.forgive(request)
      const { token, tokenHash } = newMfaToken()
      await app.data.mfaChallenges.issue(tokenHash, user.id, rememberMe === true, MFA_TOKEN_TTL_SECONDS)
      request.log.info({ userId: user.id }, 'password right; second factor awaited')
      return { mfa_required: true, mfa_token: token, expires_in: MFA_TOKEN_TTL_SECONDS }
    }
    app.metrics.login('success')
    await app.loginLockout.reset(request)
    const ttl = rememberMe === true ? config.jwtRememberTtl : config.jwtTtl
    const session = await startSession(app.db, user.id, ttl, config.maxSessionsPerUser, sessionDevice(request))
    app.mail.kick()
    request.log.info({ userId: user.id }, 'user logged in')
    return tokenResponse(user, session.id, ttl)
  })

  app.post('/login/mfa', {
    config: { rateLimit: app.authRateLimit },
    schema: {
      operationId: 'loginMfa',
      summary: 'Log in: the second factor',
      description: 'Completes a login whose password answered `mfa_required: true`: the `mfa_token` with either `code` ' +
        '(from the authenticator app; each code works once) or `recovery_code` (each works once). A wrong code counts as ' +
        'a failed login of the account, in the same count as wrong passwords (LOGIN_MAX_FAILURES, then 429 with ' +
        'Retry-After); the `mfa_token` stays usable until it expires (5 minutes) or the login completes.',
      tags: ['auth'],
      security: PUBLIC,
      body: LoginMfaBody,
      response: {
        200: ok(TokenResponse, 'Logged in: the token and the account'),
        400: errors[400],
        401: { ...errors[401], description: 'The `mfa_token` is malformed, expired, already used or unknown, or the code is wrong' },
        409: { ...errors[409], description: 'The account\'s stored TOTP secret failed its integrity check (logged): no session; a recovery code still works' },
        413: errors[413],
        415: errors[415],
        429: rateLimited,
        503: errors[503]
      }
    }
  }, async (request) => {
    const { mfa_token: mfaToken, code, recovery_code: recoveryCode } = request.body
    if ((code === undefined) === (recoveryCode === undefined)) throw badRequest('body must have either code or recovery_code')
    const tokenHash = hashMfaToken(mfaToken)
    const challenge = await app.data.mfaChallenges.find(tokenHash)
    if (challenge === undefined) throw unauthorized(MFA_TOKEN_INVALID)
    const { userId, email } = challenge
    await app.loginLockout.check(request, email)
    const factor = await useSecondFactor(app.db, box, userId, { code, recoveryCode }, app.clock())
    if (factor === undefined) {
      app.metrics.login('failure')
      throw unauthorized(code === undefined ? 'body/recovery_code is incorrect or was already used' : 'body/code is incorrect or was already used')
    }

    const ttl = challenge.rememberMe ? config.jwtRememberTtl : config.jwtTtl
    const { user, session } = await app.db.transaction(async (tx) => {
      const t = tables(tx)
      // Spent here, once: two requests with one token cannot both log in. Its user exists: a challenge goes with its user.
      if (!await t.mfaChallenges.consume(tokenHash)) throw unauthorized(MFA_TOKEN_INVALID)
      const session = await startSessionIn(t, userId, ttl, config.maxSessionsPerUser, sessionDevice(request, factor))
      return { user: await t.users.findById(userId) as User, session }
    })
    app.metrics.login('success')
    await app.loginLockout.reset(request, email)
    app.mail.kick()
    request.log.info({ userId: user.id, secondFactor: factor }, 'user logged in with a second factor')
    return tokenResponse(user, session.id, ttl)
  })

  app.post('/logout', {
    onRequest: app.authenticate,
    // The body is optional: no body means "this session only".
    preValidation: async (request) => { request.body ??= {} },
    schema: {
      operationId: 'logout',
      summary: 'Log out',
      description: 'Revokes this token, or with `{"all": true}` every session of the user. The body is optional.',
      tags: ['auth'],
      security: TOKEN_SECURITY,
      body: LogoutBody,
      'x-optional-body': true,
      response: {
        204: noContent('Logged out: the token (or every token of the account) no longer works'),
        400: errors[400],
        401: errors[401],
        413: errors[413],
        415: errors[415],
        503: errors[503]
      }
    }
  }, async (request, reply) => {
    if (request.body?.all === true) {
      await app.data.sessions.revokeAll(request.account.id)
    } else {
      await app.data.sessions.revoke(request.sessionId)
    }
    return await reply.code(204).send()
  })
}

export default auth
