// Sign up, log in, log out: the routes that create and end sessions.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { badRequest, unauthorized } from '../http/errors.js'
import { passwordProblem } from '../accounts/passwords.js'
import { checkDob, cleanName } from '../accounts/profile.js'
import { errors, noContent, ok, rateLimited } from '../schemas/responses.js'
import { LoginBody, LogoutBody, SignupBody, TokenResponse, type User } from '../schemas/user.js'
import { PUBLIC, TOKEN_SECURITY } from '../plugins/external/docs.js'
import { tables } from '../db/tables.js'
import { startSession } from '../accounts/changes.js'
import { queueVerification } from '../accounts/mailed-links.js'

const auth: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app

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
      return { created, session: await tables(tx).sessions.start(created.id, config.jwtTtl, config.maxSessionsPerUser) }
    })
    app.mail.kick()
    request.log.info({ userId: created.id }, 'user signed up')
    return await reply.code(201).send(tokenResponse(created, session.id, config.jwtTtl))
  })

  app.post('/login', {
    config: { rateLimit: app.authRateLimit },
    preHandler: app.loginLockout.check,
    schema: {
      operationId: 'login',
      summary: 'Log in',
      description: 'Unknown email and wrong password get the same 401. After LOGIN_MAX_FAILURES (3) consecutive ' +
        'failures for one account from one IP address, that pair is locked for LOGIN_LOCK_SECONDS (900): every ' +
        'attempt gets 429 with Retry-After, even with the right password. A successful login resets the count.',
      tags: ['auth'],
      security: PUBLIC,
      body: LoginBody,
      response: {
        200: ok(TokenResponse, 'Logged in: the token and the account'),
        400: errors[400],
        401: { ...errors[401], description: 'Invalid credentials: the same answer for an unknown email and a wrong password' },
        413: errors[413],
        415: errors[415],
        429: rateLimited,
        503: errors[503]
      }
    }
  }, async (request) => {
    const { email, password, remember_me: rememberMe } = request.body
    const found = await app.data.users.findByEmailWithHash(email)
    const valid = await app.passwords.verify(password, found?.passwordHash)
    if (found === undefined || !valid) {
      app.metrics.login('failure')
      throw unauthorized('invalid credentials')
    }

    app.metrics.login('success')
    await app.loginLockout.reset(request)
    const { user } = found
    const ttl = rememberMe === true ? config.jwtRememberTtl : config.jwtTtl
    const session = await startSession(app.db, user.id, ttl, config.maxSessionsPerUser)
    request.log.info({ userId: user.id }, 'user logged in')
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
