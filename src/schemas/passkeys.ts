import { Type, type Static } from '@sinclair/typebox'
import { Nullable, ref, withExamples } from './common.js'

// Passkeys (WebAuthn): the options a browser's ceremony starts from, the credential it answers
// with (the JSON of @simplewebauthn/browser), and the passkeys an account has.

const Base64Url = Type.String({ minLength: 1, maxLength: 16384, pattern: '^[A-Za-z0-9_-]+$', description: 'base64url, without padding' })

/** What both ceremonies' answers share; the authenticator's own fields are checked by WebAuthn, not here. */
const credentialFields = {
  id: Base64Url,
  rawId: Base64Url,
  type: Type.Literal('public-key'),
  authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
  clientExtensionResults: Type.Object({}, { additionalProperties: true })
}

export const RegistrationCredential = Type.Object({
  ...credentialFields,
  response: Type.Object({
    clientDataJSON: Base64Url,
    attestationObject: Base64Url,
    transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 8 }))
  }, { additionalProperties: true })
}, { additionalProperties: false, description: 'What `startRegistration()` of @simplewebauthn/browser resolves to' })

export const AuthenticationCredential = Type.Object({
  ...credentialFields,
  response: Type.Object({
    clientDataJSON: Base64Url,
    authenticatorData: Base64Url,
    signature: Base64Url,
    userHandle: Type.Optional(Base64Url)
  }, { additionalProperties: true })
}, { additionalProperties: false, description: 'What `startAuthentication()` of @simplewebauthn/browser resolves to' })

const EXAMPLE_ID = 'q2FsaWNlLXBhc3NrZXktMQ'
const EXAMPLE_CLIENT_DATA = 'eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiZXhhbXBsZSIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6MzAwMCJ9'

/** 1 to 64 printable characters: no control characters, not only spaces. */
export const PasskeyName = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^(?=.*\\S)[^\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]+$',
  description: 'What the owner calls this passkey, 1 to 64 printable characters',
  examples: ['Laptop']
})

export const AddPasskeyBody = withExamples(Type.Object({
  response: RegistrationCredential,
  name: PasskeyName
}, { additionalProperties: false }), {
  add: {
    summary: 'The browser\'s answer to the registration options',
    value: {
      name: 'Laptop',
      response: {
        id: EXAMPLE_ID,
        rawId: EXAMPLE_ID,
        type: 'public-key',
        clientExtensionResults: {},
        response: { clientDataJSON: EXAMPLE_CLIENT_DATA, attestationObject: 'o2NmbXRkbm9uZQ', transports: ['internal'] }
      }
    }
  }
})
export type AddPasskeyBody = Static<typeof AddPasskeyBody>

export const PasskeyLoginBody = withExamples(Type.Object({
  response: AuthenticationCredential
}, { additionalProperties: false }), {
  login: {
    summary: 'The browser\'s answer to the login options',
    value: {
      response: {
        id: EXAMPLE_ID,
        rawId: EXAMPLE_ID,
        type: 'public-key',
        clientExtensionResults: {},
        response: { clientDataJSON: EXAMPLE_CLIENT_DATA, authenticatorData: 'SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ', signature: 'MEUCIQ' }
      }
    }
  }
})
export type PasskeyLoginBody = Static<typeof PasskeyLoginBody>

export const PasskeyRegistrationOptions = Type.Object({
  challenge: Type.String({ description: 'Single-use; it expires after 5 minutes' })
}, {
  $id: 'PasskeyRegistrationOptions',
  title: 'PasskeyRegistrationOptions',
  additionalProperties: true,
  description: 'WebAuthn `PublicKeyCredentialCreationOptionsJSON`: hand it to `startRegistration({ optionsJSON })` of @simplewebauthn/browser'
})

export const PasskeyLoginOptions = Type.Object({
  challenge: Type.String({ description: 'Single-use; it expires after 5 minutes' })
}, {
  $id: 'PasskeyLoginOptions',
  title: 'PasskeyLoginOptions',
  additionalProperties: true,
  description: 'WebAuthn `PublicKeyCredentialRequestOptionsJSON` (no `allowCredentials`: any passkey of this site will do): ' +
    'hand it to `startAuthentication({ optionsJSON })` of @simplewebauthn/browser'
})

export const Passkey = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String({ description: 'What the owner called it', examples: ['Laptop'] }),
  created_at: Type.String({ format: 'date-time', description: 'When it was added' }),
  last_used_at: Nullable(Type.String({ format: 'date-time', description: 'Its last login, or null if none yet' }))
}, { $id: 'Passkey', title: 'Passkey', additionalProperties: false })
export type Passkey = Static<typeof Passkey>

export const PasskeyList = Type.Object({
  passkeys: Type.Array(ref(Passkey))
}, { $id: 'PasskeyList', title: 'PasskeyList', additionalProperties: false })

export const PasskeyIdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'A passkey id from GET /api/v1/users/me/passkeys' })
}, { additionalProperties: false })
export type PasskeyIdParams = Static<typeof PasskeyIdParams>
