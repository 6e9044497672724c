import { Type, type Static } from '@sinclair/typebox'

const hex = (length: number, description: string, example: string) =>
  Type.String({ pattern: `^[0-9a-f]{${length}}$`, description, examples: [example] })

/** The signed part of a challenge, as altcha-lib creates it (keys sorted, as they are signed). */
const CaptchaParameters = Type.Object({
  algorithm: Type.Literal('PBKDF2/SHA-256', { description: 'How a key is derived from `nonce` + counter and `salt`' }),
  cost: Type.Integer({ minimum: 1, description: 'PBKDF2 iterations per key', examples: [1000] }),
  expiresAt: Type.Integer({ description: 'Unix time (seconds) after which a solution is refused', examples: [1767225600] }),
  keyLength: Type.Integer({ minimum: 1, maximum: 64, description: 'Bytes per derived key', examples: [32] }),
  keyPrefix: hex(32, 'The start of the key to find', 'dd7fae4741760160b5dad7b028697cc6'),
  keySignature: hex(64, 'HMAC of the full key, checked on signup', 'db877172cd943bdd8862ee68dfb94a92787fcd9d01592187cad83287954d2dc1'),
  nonce: hex(32, 'Random, prefixed to each counter value tried', '06597c99208fa69773be14c56cfca616'),
  salt: hex(32, 'Random PBKDF2 salt', '46064b1d3f7a5baa77b1584536992c61')
}, { additionalProperties: false })

/** GET /api/v1/captcha: an ALTCHA proof-of-work challenge signed by this server. */
export const CaptchaChallenge = Type.Object({
  parameters: CaptchaParameters,
  signature: hex(64, 'HMAC of the parameters: the server recognises its own challenges without storing them',
    'e548f6c58ed2c6e2aea57502655df8d58b280ef1846e0f343a66b7b6a0b84d24')
}, {
  $id: 'CaptchaChallenge',
  title: 'CaptchaChallenge',
  additionalProperties: false,
  description: 'Give it to the ALTCHA widget (or altcha-lib\'s `solveChallenge`): it finds the counter whose PBKDF2 key starts ' +
    'with `keyPrefix`, then base64-encodes `{"challenge": {"parameters", "signature"}, "solution": {"counter", "derivedKey"}}` ' +
    'as the `altcha` field of the signup body.'
})
export type CaptchaChallenge = Static<typeof CaptchaChallenge>

/** GET /api/v1/captcha/status: whether signup needs a captcha, answered 200 either way. */
export const CaptchaStatus = Type.Object({
  required: Type.Boolean({
    description: '`true` when the server runs with CAPTCHA=on: signup then needs a solved challenge from GET /api/v1/captcha ' +
      'in its `altcha` field; `false` (the default, CAPTCHA=off) when it needs none',
    examples: [false]
  })
}, { additionalProperties: false })
export type CaptchaStatus = Static<typeof CaptchaStatus>

/** What the `altcha` field of a signup holds, once base64-decoded: the challenge as received and its solution. */
export const CaptchaPayload = Type.Object({
  challenge: Type.Object({ parameters: CaptchaParameters, signature: CaptchaChallenge.properties.signature }),
  solution: Type.Object({
    counter: Type.Integer({ minimum: 0, maximum: 0xffffffff }),
    derivedKey: Type.String({ pattern: '^[0-9a-f]{2,128}$' }),
    time: Type.Optional(Type.Number())
  })
})
export type CaptchaPayload = Static<typeof CaptchaPayload>

/** The `altcha` field of the signup body. */
export const Altcha = Type.String({
  minLength: 1,
  maxLength: 4096,
  description: 'Required when the server runs with CAPTCHA=on (then GET /api/v1/captcha answers 200): the solved challenge, ' +
    'base64-encoded, as the ALTCHA widget puts it in its `altcha` form field. Each one is good for one signup attempt. ' +
    'When the captcha is off (GET /api/v1/captcha answers 404), it is optional and ignored.',
  examples: ['eyJjaGFsbGVuZ2UiOnsicGFyYW1ldGVycyI6ey4uLn0sInNpZ25hdHVyZSI6Ii4uLiJ9LCJzb2x1dGlvbiI6eyJjb3VudGVyIjo0MjEyLCJkZXJpdmVkS2V5IjoiLi4uIn19']
})
