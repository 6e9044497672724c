// The signup captcha's challenge. Served whether or not the captcha is on, so that a page or a
// client can ask: 200 with a challenge when it is on, 404 when it is off.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { notFound } from '../errors.js'
import { CAPTCHA_TTL_SECONDS } from '../plugins/captcha.js'
import { CaptchaChallenge } from '../schemas/captcha.js'
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
        'attempt; after a refused signup, get a new one. With CAPTCHA=off (the default) this answers 404 and signup needs nothing.',
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
}

export default captcha
