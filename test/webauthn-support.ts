// A software authenticator: honest WebAuthn registration and login answers, built with node:crypto
// (a P-256 key, ES256) and CBOR, as a browser would send them, with every part the tests need to
// get wrong (origin, RP id, challenge, counter, signature) open to change.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { isoCBOR } from '@simplewebauthn/server/helpers'

const b64url = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url')
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest()

const FLAG_UP = 0x01
const FLAG_UV = 0x04
const FLAG_AT = 0x40

export interface CeremonyOptions {
  challenge: string
  origin: string
  /** The RP id the authenticator signs for; the service's unless a test says otherwise. */
  rpId: string
}

export interface RegistrationAnswer {
  id: string
  rawId: string
  type: 'public-key'
  clientExtensionResults: Record<string, never>
  response: { clientDataJSON: string, attestationObject: string, transports: string[] }
}

export interface AuthenticationAnswer {
  id: string
  rawId: string
  type: 'public-key'
  clientExtensionResults: Record<string, never>
  response: { clientDataJSON: string, authenticatorData: string, signature: string }
}

export class SoftAuthenticator {
  readonly credentialId: Buffer
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** The signature counter the next login sends. */
  counter = 1

  constructor () {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    this.privateKey = privateKey
    this.publicKey = publicKey
    this.credentialId = sha256(publicKey.export({ format: 'der', type: 'spki' })).subarray(0, 16)
  }

  get id (): string {
    return b64url(this.credentialId)
  }

  /** The public key as COSE (EC2, ES256, P-256). */
  private coseKey (): Uint8Array {
    const jwk = this.publicKey.export({ format: 'jwk' })
    return isoCBOR.encode(new Map<number, number | Uint8Array>([
      [1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x as string, 'base64url')], [-3, Buffer.from(jwk.y as string, 'base64url')]
    ]))
  }

  /**
   * The answer to registration options: `none` attestation, or `packed` self attestation signed
   * by `attestationKey` (a key other than the credential's makes an attestation that does not verify).
   */
  register ({ challenge, origin, rpId }: CeremonyOptions, attestationKey?: KeyObject): RegistrationAnswer {
    const clientDataJSON = JSON.stringify({ type: 'webauthn.create', challenge, origin, crossOrigin: false })
    const idLength = Buffer.alloc(2)
    idLength.writeUInt16BE(this.credentialId.length)
    const authData = Buffer.concat([
      sha256(rpId), Buffer.from([FLAG_UP | FLAG_UV | FLAG_AT]), Buffer.alloc(4), Buffer.alloc(16), idLength, this.credentialId, this.coseKey()
    ])
    const attStmt = attestationKey === undefined
      ? new Map()
      : new Map<string, number | Uint8Array>([['alg', -7], ['sig', sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), attestationKey)]])
    const attestationObject = isoCBOR.encode(new Map<string, unknown>([
      ['fmt', attestationKey === undefined ? 'none' : 'packed'], ['attStmt', attStmt], ['authData', authData]
    ]) as never)
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ['internal'] }
    }
  }

  /** The answer to login options, with the counter as it stands (then counted up), signed by `signingKey` (the credential's own). */
  authenticate ({ challenge, origin, rpId }: CeremonyOptions, signingKey: KeyObject = this.privateKey): AuthenticationAnswer {
    const clientDataJSON = JSON.stringify({ type: 'webauthn.get', challenge, origin, crossOrigin: false })
    const counter = Buffer.alloc(4)
    counter.writeUInt32BE(this.counter)
    this.counter += 1
    const authenticatorData = Buffer.concat([sha256(rpId), Buffer.from([FLAG_UP | FLAG_UV]), counter])
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), signingKey)
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(authenticatorData), signature: b64url(signature) }
    }
  }
}

/** A client data JSON of any content, base64url. */
export const clientData = (value: unknown): string => b64url(JSON.stringify(value))
