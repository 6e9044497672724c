// The signup captcha: an ALTCHA proof of work, self-hosted and private (no third party, no
// cookie, nothing learnt about the person). With CAPTCHA=on, GET /api/v1/captcha hands out a
// challenge signed by this server, and a signup must carry its solution, which is good for one
// signup attempt on any instance. With CAPTCHA=off the solution is neither asked for nor checked.
import { createHmac } from 'node:crypto'
import fp from 'fastify-plugin'
import { createChallenge, randomInt, verifySolution } from 'altcha-lib'
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { badRequest } from '../../http/errors.js'
import { CaptchaPayload, type CaptchaChallenge } from '../../schemas/captcha.js'

export const CAPTCHA_ALGORITHM = 'PBKDF2/SHA-256'
/** PBKDF2 iterations per key tried: CAPTCHA_DIFFICULTY counts keys, this sets what one costs. */
export const CAPTCHA_COST = 1000
export const CAPTCHA_TTL_SECONDS = 10 * 60
/**
 * A used challenge is remembered this long after it expires: the expiry is checked on the
 * instance's clock and forgotten on the database's, and the two may disagree a little.
 */
const CLOCK_MARGIN_MS = 10 * 60 * 1000

const GET_ONE = 'get one from GET /api/v1/captcha'
export const CAPTCHA_MESSAGES = {
  missing: `body/altcha is required: solve a challenge (${GET_ONE}) and send its payload`,
  invalid: `body/altcha is not the solution of a challenge issued by this server; ${GET_ONE}`,
  expired: `body/altcha solves a challenge that has expired (they last ${CAPTCHA_TTL_SECONDS / 60} minutes); ${GET_ONE}`,
  wrong: 'body/altcha does not solve its challenge; solve it again',
  reused: `body/altcha has already been used; each solution is good for one signup attempt: ${GET_ONE}`
}

declare module 'fastify' {
  interface FastifyInstance {
    captcha: {
      /** A new challenge signed by this server. */
      challenge: () => Promise<CaptchaChallenge>
      /** preHandler for signup when CAPTCHA=on: 400 unless `body.altcha` solves a live challenge of ours, used for the first time. */
      verify: (request: FastifyRequest) => Promise<void>
    }
  }
}

const payloadShape = TypeCompiler.Compile(CaptchaPayload)

/** The decoded `altcha` field, or undefined when it is not a payload of the expected shape. */
function decode (altcha: string): CaptchaPayload | undefined {
  let payload: unknown
  try {
    payload = JSON.parse(Buffer.from(altcha, 'base64').toString())
  } catch {
    return undefined
  }
  return payloadShape.Check(payload) ? payload : undefined
}

/**
 * The HMAC keys come from JWT_SECRET, which is already required, checked for length and refused
 * in production when it is the sample value: one secret for the operator to manage. They are
 * derived under a label of their own, so a captcha signature can never pass for a token's.
 */
const deriveSecret = (jwtSecret: string, purpose: string): string =>
  createHmac('sha256', jwtSecret).update(`dna-api captcha ${purpose}`).digest('hex')

async function captcha (app: FastifyInstance): Promise<void> {
  const { config } = app
  const hmacSignatureSecret = deriveSecret(config.jwtSecret, 'challenge signature')
  const hmacKeySignatureSecret = deriveSecret(config.jwtSecret, 'key signature')

  app.decorate('captcha', {
    async challenge () {
      // A counter drawn in advance makes the work predictable (three quarters of the difficulty
      // on average) and lets the solution be checked with one HMAC instead of a PBKDF2 run.
      return await createChallenge({
        algorithm: CAPTCHA_ALGORITHM,
        cost: CAPTCHA_COST,
        counter: randomInt(config.captchaDifficulty, Math.ceil(config.captchaDifficulty / 2)),
        deriveKey,
        expiresAt: new Date(Date.now() + CAPTCHA_TTL_SECONDS * 1000),
        hmacSignatureSecret,
        hmacKeySignatureSecret
      }) as CaptchaChallenge
    },

    async verify (request) {
      if (!config.captcha) return
      const { altcha } = request.body as { altcha?: string }
      if (altcha === undefined) throw badRequest(CAPTCHA_MESSAGES.missing)
      const payload = decode(altcha)
      if (payload === undefined) throw badRequest(CAPTCHA_MESSAGES.invalid)
      const { challenge, solution } = payload
      const result = await verifySolution({ challenge, solution, deriveKey, hmacSignatureSecret, hmacKeySignatureSecret })
      if (result.expired) throw badRequest(CAPTCHA_MESSAGES.expired)
      if (result.invalidSignature === true) throw badRequest(CAPTCHA_MESSAGES.invalid)
      if (!result.verified) throw badRequest(CAPTCHA_MESSAGES.wrong)
      const forgetAfter = new Date(challenge.parameters.expiresAt * 1000 + CLOCK_MARGIN_MS)
      if (!await app.data.usedCaptchas.spend(challenge.signature, forgetAfter)) throw badRequest(CAPTCHA_MESSAGES.reused)
    }
  })
}

export default fp(captcha, { name: 'captcha', dependencies: ['database'] })
