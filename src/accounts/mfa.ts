// The rules of the second factor: TOTP (RFC 6238: SHA-1, 6 digits, 30 s, one step either side),
// each code accepted once; ten single-use recovery codes, stored hashed; the short-lived token
// that links the two steps of a login.
import { createHash, randomBytes, randomInt } from 'node:crypto'
import { generateSecret, generateURI, verifySync } from 'otplib'
import QRCode from 'qrcode'
import { badRequest, conflict } from '../http/errors.js'
import type { Database } from '../db/database.js'
import { tables, type Tables } from '../db/tables.js'
import type { SecondFactor } from '../db/sessions.js'
import { SERVICE_NAME } from '../mail/templates.js'
import type { TotpSecretCipher } from './jwt-derived-totp-secrets.js'

const PERIOD_SECONDS = 30
/** One step either side: what a phone's clock a little off still gets accepted. */
const TOLERANCE_SECONDS = PERIOD_SECONDS
export const MFA_TOKEN_TTL_SECONDS = 5 * 60
export const RECOVERY_CODE_COUNT = 10

export const MFA_ALREADY_ON = 'two-factor authentication is already on: turn it off first to enrol again'
export const MFA_NOT_PENDING = 'no two-factor enrolment is waiting for its first code: POST /api/v1/users/me/mfa/totp first'
export const MFA_NOT_ON = 'two-factor authentication is not on for this account'
export const WRONG_CODE = 'body/code is incorrect or was already used'

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')

/**
 * The time step of `code` if it is right at `nowMs` and of a later step than the last code
 * accepted (`lastTimeStep`); undefined otherwise.
 */
export function totpTimeStep (secret: string, code: string, nowMs: number, lastTimeStep: number | null): number | undefined {
  const epoch = Math.floor(nowMs / 1000)
  const latestStep = Math.floor((epoch + TOLERANCE_SECONDS) / PERIOD_SECONDS)
  // otplib refuses (throws) a last step beyond its window, which only a clock set back can give: nothing can match then.
  if (lastTimeStep !== null && lastTimeStep >= latestStep) return undefined
  const result = verifySync({ secret, token: code, epoch, period: PERIOD_SECONDS, epochTolerance: TOLERANCE_SECONDS, afterTimeStep: lastTimeStep ?? undefined })
  // A TOTP result carries its time step (otplib's type is shared with HOTP, whose result has none).
  return result.valid ? (result as { timeStep: number }).timeStep : undefined
}

/** 16 characters from 32 (80 bits), in groups of four; compared without case or dashes. */
const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
function newRecoveryCode (): string {
  const chars = Array.from({ length: 16 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)])
  return [0, 4, 8, 12].map((start) => chars.slice(start, start + 4).join('')).join('-')
}
export const hashRecoveryCode = (code: string): string => sha256(code.toLowerCase().replaceAll('-', ''))

/** The token of a login's second step: 256 random bits for the client, its SHA-256 for the table. */
export function newMfaToken (): { token: string, tokenHash: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, tokenHash: hashMfaToken(token) }
}
export const hashMfaToken = (token: string): string => sha256(token)

/** A new pending secret for the account (replacing a pending one); 409 once a factor is on. */
export async function enrolTotp (db: Database, box: TotpSecretCipher, user: { id: number, email: string }): Promise<{ secret: string, otpauth_url: string, qr_code: QrCode }> {
  const secret = generateSecret()
  if (!await tables(db).totpFactors.enrol(user.id, box.encrypt(secret, user.id))) throw conflict(MFA_ALREADY_ON)
  const url = generateURI({ issuer: SERVICE_NAME, label: user.email, secret })
  return { secret, otpauth_url: url, qr_code: qrCode(url) }
}

export interface QrCode {
  size: number
  modules: string
}

/**
 * The QR code of `text` as its modules, row by row ('1' dark): the page draws it as SVG, so no
 * image of the secret is ever fetched from anywhere.
 */
export function qrCode (text: string): QrCode {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' })
  return { size: modules.size, modules: Array.from(modules.data, (bit) => bit === 0 ? '0' : '1').join('') }
}

/** The first right code turns the factor on and gives the recovery codes, in clear this once. */
export async function confirmTotp (db: Database, box: TotpSecretCipher, userId: number, code: string, nowMs: number): Promise<string[]> {
  return await db.transaction(async (tx) => {
    const t = tables(tx)
    const factor = await t.totpFactors.find(userId)
    if (factor === undefined) throw conflict(MFA_NOT_PENDING)
    if (factor.confirmed) throw conflict(MFA_ALREADY_ON)
    const step = totpTimeStep(box.decrypt(factor.secret, userId), code, nowMs, factor.lastTimeStep)
    if (step === undefined || !await t.totpFactors.useTimeStep(userId, step, true)) throw badRequest(WRONG_CODE)
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode)
    await t.recoveryCodes.replace(userId, codes.map(hashRecoveryCode))
    await t.outbox.queueForUser(userId, 'mfa_enabled')
    return codes
  })
}

/** Whether the account has a confirmed factor. */
export async function hasTotp (t: Tables, userId: number): Promise<boolean> {
  return (await t.totpFactors.find(userId))?.confirmed === true
}

/**
 * Checks a second factor of the account and spends it: a TOTP code (its time step recorded, so
 * it works once) or a recovery code (deleted). The factor it was, or undefined when wrong.
 */
export async function useSecondFactor (db: Database, box: TotpSecretCipher, userId: number, given: { code?: string, recoveryCode?: string }, nowMs: number): Promise<SecondFactor | undefined> {
  const t = tables(db)
  if (given.recoveryCode !== undefined) {
    return await t.recoveryCodes.consume(userId, hashRecoveryCode(given.recoveryCode)) ? 'recovery_code' : undefined
  }
  const factor = await t.totpFactors.find(userId)
  // Turned off (or never on) since the password step; `code` is there when `recoveryCode` is not.
  if (factor?.confirmed !== true) return undefined
  const step = totpTimeStep(box.decrypt(factor.secret, userId), given.code as string, nowMs, factor.lastTimeStep)
  return step !== undefined && await t.totpFactors.useTimeStep(userId, step) ? 'totp' : undefined
}

/** Turns the factor off: the secret and the recovery codes are gone, and the owner is told. */
export async function disableTotp (db: Database, userId: number): Promise<void> {
  await db.transaction(async (tx) => {
    const t = tables(tx)
    await t.totpFactors.remove(userId)
    await t.recoveryCodes.removeAll(userId)
    await t.outbox.queueForUser(userId, 'mfa_disabled')
  })
}
