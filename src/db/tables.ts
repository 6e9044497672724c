import { auditLogTable } from './audit-log.js'
import type { Queryable } from './database.js'
import { emailTokensTable } from './email-tokens.js'
import { geneticProfilesTable } from './genetic-profiles.js'
import { knownDevicesTable } from './known-devices.js'
import { mfaChallengesTable } from './mfa-challenges.js'
import { legacyImportConflictsTable } from './legacy-import-conflicts.js'
import { legacyImportStateTable } from './legacy-import-state.js'
import { outboxTable } from './outbox.js'
import { passkeysTable } from './passkeys.js'
import { rateLimitsTable } from './rate-limits.js'
import { recoveryCodesTable } from './recovery-codes.js'
import { sessionsTable } from './sessions.js'
import { totpFactorsTable } from './totp-factors.js'
import { usedCaptchasTable } from './used-captchas.js'
import { usersTable } from './users.js'
import { webauthnChallengesTable } from './webauthn-challenges.js'

/** Every table's data access, bound to a connection or to a transaction. */
export function tables (db: Queryable) {
  return {
    users: usersTable(db),
    sessions: sessionsTable(db),
    rateLimits: rateLimitsTable(db),
    geneticProfiles: geneticProfilesTable(db),
    auditLog: auditLogTable(db),
    usedCaptchas: usedCaptchasTable(db),
    emailTokens: emailTokensTable(db),
    outbox: outboxTable(db),
    totpFactors: totpFactorsTable(db),
    recoveryCodes: recoveryCodesTable(db),
    mfaChallenges: mfaChallengesTable(db),
    knownDevices: knownDevicesTable(db),
    legacyImportState: legacyImportStateTable(db),
    legacyImportConflicts: legacyImportConflictsTable(db),
    passkeys: passkeysTable(db),
    webauthnChallenges: webauthnChallengesTable(db)
  }
}

export type Tables = ReturnType<typeof tables>
