// The signup captcha's challenge: 200 with a challenge when the captcha is on, 404 when it is off
// (a documented answer that API clients rely on). /status tells the same with a 200 either way,
// for the signup page, in whose browser console a 404 would show as an error on every load.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { notFound } from '../http/errors.js'
import { CAPTCHA_TTL_SECONDS } from '../plugins/app/captcha.js'
import { CaptchaChallenge, CaptchaStatus } from '../schemas/captcha.js'
import { ref } from '../schemas/common.js'
import { errors, overloaded } from '../schemas/responses.js'

export const CAPTCHA_OFF = 'the captcha is off on this server (CAPTCHA=off): sign up without an altcha field'

const captcha: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/', {
    schema: {
      operationId: 'getCaptcha',
      summary: 'Get a captcha challenge for signup',
      description: 'When the server runs with CAPTCHA=on, signup needs a solved ALTCHA proof-of-work challenge: get one here, ' +
        'solve it (the ALTCHA widget or altcha-lib\'s `solveChallenge` do; it takes a second or so), and send the result in ' +
        `the \`altcha\` field of POST /api/v1/users within ${CAPTCHA_TTL_SECONDS / 60} minutes. Each challenge serves one signup ` +
        'attempt; after a refused signup, get a new one. With CAPTCHA=off (the default) this answers 404 and signup needs nothing ' +
        '(GET /api/v1/captcha/status tells which, with a 200 either way).',
      tags: ['auth'],
      security: [],
      response: {
        200: {
          ...ref(CaptchaChallenge),
          description: 'A new challenge',
          headers: { 'cache-control': { type: 'string', description: '`no-store`: every challenge is new and good once' } }
        },
        400: errors[400],
        404: { ...errors[404], description: 'The captcha is off on this server: signup needs no `altcha` field' },
        503: overloaded
      }
    }
  }, async (_request, reply) => {
    if (!app.config.captcha) throw notFound(CAPTCHA_OFF)
    return await reply.header('cache-control', 'no-store').send(await app.captcha.challenge())
  })

  app.get('/status', {
    schema: {
      operationId: 'getCaptchaStatus',
      summary: 'Does signup need a captcha?',
      description: 'Answers 200 whether the captcha is on or off, so a page can ask without a failed request: with ' +
        '`required: true` (CAPTCHA=on), get a challenge from GET /api/v1/captcha and send its solution with the signup; ' +
        'with `required: false`, signup needs no `altcha` field. It costs nothing: no challenge is made.',
      tags: ['auth'],
      security: [],
      response: {
        200: { ...CaptchaStatus, description: 'Whether signup needs a solved captcha on this server' },
        400: errors[400],
        503: overloaded
      }
    }
  }, async () => ({ required: app.config.captcha }))
}

export default captcha
