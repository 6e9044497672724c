// "My passkeys": adding one (registration options, then the browser's answer), listing, deleting.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { RegistrationResponseJSON } from '@simplewebauthn/server'
import { notFound } from '../http/errors.js'
import { errors, noContent, ok } from '../schemas/responses.js'
import { AddPasskeyBody, Passkey, PasskeyIdParams, PasskeyList, PasskeyRegistrationOptions } from '../schemas/passkeys.js'
import { TOKEN_SECURITY } from '../plugins/external/docs.js'
import { addPasskey, registrationOptions, relyingParty } from '../accounts/passkeys.js'

const passkeys: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)
  const rp = relyingParty(app.config.publicUrl)

  app.post('/options', {
    schema: {
      operationId: 'passkeyRegistrationOptions',
      summary: 'Start adding a passkey',
      description: 'The WebAuthn options for `navigator.credentials.create()` (through `startRegistration()` of ' +
        '@simplewebauthn/browser): a discoverable credential for the host of PUBLIC_URL, none of the account\'s ' +
        'passkeys again. Its challenge works once, within 5 minutes, for this account only.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      response: { 200: ok(PasskeyRegistrationOptions, 'The options to hand to the browser'), 400: errors[400], 401: errors[401], 503: errors[503] }
    }
  }, async (request) => await registrationOptions(app.data, rp, app.config.jwtSecret, request.account))

  app.post('/', {
    schema: {
      operationId: 'addPasskey',
      summary: 'Add a passkey',
      description: 'Stores the passkey the browser created from POST /api/v1/users/me/passkeys/options, under a name ' +
        'of the owner\'s choosing. Its origin must be PUBLIC_URL\'s and its challenge a live one of this account; ' +
        'the challenge is spent, right or wrong.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      body: AddPasskeyBody,
      response: {
        201: ok(Passkey, 'Added: from now on it logs in to this account'),
        400: { ...errors[400], description: 'Invalid input, or an answer that does not verify: the message names the problem (challenge, origin, RP id, ...)' },
        401: errors[401],
        409: { ...errors[409], description: 'This passkey is already registered' },
        413: errors[413],
        415: errors[415],
        503: errors[503]
      }
    }
  }, async (request, reply) => {
    const { response, name } = request.body
    const added = await addPasskey(app.data, rp, request.account.id, response as RegistrationResponseJSON, name)
    request.log.info({ userId: request.account.id }, 'passkey added')
    return await reply.code(201).send(added)
  })

  app.get('/', {
    schema: {
      operationId: 'listMyPasskeys',
      summary: 'My passkeys',
      description: 'The account\'s passkeys, the oldest first.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      response: { 200: ok(PasskeyList, 'My passkeys'), 400: errors[400], 401: errors[401], 503: errors[503] }
    }
  }, async (request) => ({ passkeys: await app.data.passkeys.list(request.account.id) }))

  app.delete('/:id', {
    schema: {
      operationId: 'deleteMyPasskey',
      summary: 'Delete one of my passkeys',
      description: 'It no longer logs in. Another account\'s passkey id is a 404, as is an unknown one.',
      tags: ['me'],
      security: TOKEN_SECURITY,
      params: PasskeyIdParams,
      response: {
        204: noContent('Deleted'),
        400: errors[400],
        401: errors[401],
        404: { ...errors[404], description: 'This account has no passkey with this id' },
        503: errors[503]
      }
    }
  }, async (request, reply) => {
    if (!await app.data.passkeys.remove(request.account.id, request.params.id)) throw notFound(`no passkey of yours with id ${request.params.id}`)
    request.log.info({ userId: request.account.id }, 'passkey deleted')
    return await reply.code(204).send()
  })
}

export default passkeys
