// The rules of passkeys (WebAuthn, with @simplewebauthn/server): the relying party is the host of
// PUBLIC_URL; each ceremony's challenge is random, single-use and lives 5 minutes in PostgreSQL
// (any instance can finish what another began); a login needs the signature of a known passkey
// and a signature counter that has grown (for authenticators that keep one).
import { createHmac } from 'node:crypto'
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON
} from '@simplewebauthn/server'
import { decodeClientDataJSON, isoBase64URL } from '@simplewebauthn/server/helpers'
import { badRequest, conflict } from '../http/errors.js'
import type { Tables } from '../db/tables.js'
import type { ChallengePurpose } from '../db/webauthn-challenges.js'
import type { PasskeyListing, StoredCredential } from '../db/passkeys.js'
import { SERVICE_NAME } from '../mail/templates.js'

export const PASSKEY_CHALLENGE_TTL_SECONDS = 5 * 60
export const CHALLENGE_INVALID = 'body/response challenge is unknown, already used or expired: ask for new options'
export const CLIENT_DATA_INVALID = 'body/response/response/clientDataJSON is not WebAuthn client data'
export const UNKNOWN_PASSKEY = 'body/response is from a passkey no account here has'
export const PASSKEY_TAKEN = 'this passkey is already registered'
export const BAD_ATTESTATION = 'body/response attestation could not be verified'
export const BAD_SIGNATURE = 'body/response signature could not be verified'

export interface RelyingParty {
  /** The host of PUBLIC_URL: the domain passkeys are bound to. */
  id: string
  /** The origin of PUBLIC_URL: where the browser must have run the ceremony. */
  origin: string
}

export function relyingParty (publicUrl: string): RelyingParty {
  const url = new URL(publicUrl)
  return { id: url.hostname, origin: url.origin }
}

/**
 * The WebAuthn user handle of an account: derived, not stored, and no personal data (the
 * authenticator keeps it). Always the same for one account, so a new passkey on an authenticator
 * replaces the account's old one there rather than sitting beside it.
 */
export function userHandle (secret: string, userId: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHmac('sha256', secret).update(`webauthn user handle ${userId}`).digest())
}

/** The options of a new passkey for the account, its challenge stored for that account. */
export async function registrationOptions (t: Tables, rp: RelyingParty, secret: string, user: { id: number, email: string }): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await t.passkeys.credentialIds(user.id)
  const options = await generateRegistrationOptions({
    rpName: SERVICE_NAME,
    rpID: rp.id,
    userName: user.email,
    userID: userHandle(secret, user.id),
    timeout: PASSKEY_CHALLENGE_TTL_SECONDS * 1000,
    attestationType: 'none',
    excludeCredentials: existing.map(({ credentialId, transports }) => ({ id: credentialId, transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' }
  })
  await t.webauthnChallenges.issue(options.challenge, 'registration', user.id, PASSKEY_CHALLENGE_TTL_SECONDS)
  return options
}

/** The options of a passwordless login: no credentials listed, the authenticator offers its own. */
export async function loginOptions (t: Tables, rp: RelyingParty): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    timeout: PASSKEY_CHALLENGE_TTL_SECONDS * 1000,
    userVerification: 'preferred'
  })
  await t.webauthnChallenges.issue(options.challenge, 'login', null, PASSKEY_CHALLENGE_TTL_SECONDS)
  return options
}

/**
 * Spends the challenge the browser signed, whatever comes next: an answer is checked once, right
 * or wrong. A registration's challenge must be the caller's own.
 */
export async function spendChallenge (t: Tables, clientDataJSON: string, purpose: ChallengePurpose, userId: number | null): Promise<string> {
  let challenge: unknown
  try {
    challenge = decodeClientDataJSON(clientDataJSON).challenge
  } catch {
    throw badRequest(CLIENT_DATA_INVALID)
  }
  if (typeof challenge !== 'string' || !await t.webauthnChallenges.consume(challenge, purpose, userId)) throw badRequest(CHALLENGE_INVALID)
  return challenge
}

/** @simplewebauthn/server throws an Error whose message names what is wrong (origin, RP id, counter, ...). */
async function checked<T> (check: () => Promise<T>): Promise<T> {
  try {
    return await check()
  } catch (error) {
    throw badRequest(`body/response: ${(error as Error).message}`)
  }
}

/** Verifies a new passkey of the account against its spent challenge, and stores it under `name`. */
export async function addPasskey (t: Tables, rp: RelyingParty, userId: number, response: RegistrationResponseJSON, name: string): Promise<PasskeyListing> {
  const challenge = await spendChallenge(t, response.response.clientDataJSON, 'registration', userId)
  const verification = await checked(async () => await verifyRegistrationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    requireUserVerification: false
  }))
  if (!verification.verified) throw badRequest(BAD_ATTESTATION)
  const { credential } = verification.registrationInfo
  const added = await t.passkeys.add(userId, {
    credentialId: credential.id,
    publicKey: isoBase64URL.fromBuffer(credential.publicKey),
    counter: credential.counter,
    transports: credential.transports ?? [],
    name
  })
  if (added === undefined) throw conflict(PASSKEY_TAKEN)
  return added
}

/** The passkey a login answer names; 400 when no account has it. */
export async function findPasskey (t: Tables, credentialId: string): Promise<StoredCredential> {
  const stored = await t.passkeys.findByCredentialId(credentialId)
  if (stored === undefined) throw badRequest(UNKNOWN_PASSKEY)
  return stored
}

/** Verifies a login answer of `stored` against its spent challenge, and records the new counter. */
export async function verifyLogin (t: Tables, rp: RelyingParty, stored: StoredCredential, response: AuthenticationResponseJSON, challenge: string): Promise<void> {
  const verification = await checked(async () => await verifyAuthenticationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    credential: { id: stored.credentialId, publicKey: isoBase64URL.toBuffer(stored.publicKey), counter: stored.counter, transports: stored.transports },
    requireUserVerification: false
  }))
  if (!verification.verified) throw badRequest(BAD_SIGNATURE)
  await t.passkeys.recordUse(stored.id, verification.authenticationInfo.newCounter)
}
