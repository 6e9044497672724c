// The users table: credentials and profile. Every read that returns a User joins the genetic
// profile, so the one query also answers GET /me.
import { EmailTaken, isUniqueViolation } from './errors.js'
import type { UserSummary } from '../schemas/users.js'
import type { User } from '../schemas/user.js'
import type { Queryable } from './database.js'
import { foldEmail } from './email-folding.js'
import { openUser, type StoredUser } from './health-data.js'

/** What a User is read from, after `FROM users u` (or a `WITH u AS (… RETURNING *)`): the account and its genetic profile. */
export const PROFILE_JOIN = 'LEFT JOIN genetic_profiles g ON g.user_id = u.id'

/**
 * The columns of a User response, for a query over `u` and `PROFILE_JOIN`; openUser (health-data.ts) opens the health data.
 * The column `updated_at` is the User's `modified_at`, the name the old service's clients know.
 */
export const USER_COLUMNS = `u.id, u.email, u.email_verified, u.pending_email, u.first_name, u.last_name, u.dob, u.role,
  u.mfa_enabled, g.policy, g.policy_key_id, g.genetic_result, g.genetic_result_key_id, u.created_at, u.updated_at AS modified_at`

export interface NewUser {
  email: string
  passwordHash: string
  firstName: string
  lastName: string
  dob: string
}

/** Fields to change; those left undefined keep their value. */
export interface UserChanges {
  email?: string
  passwordHash?: string
  firstName?: string
  lastName?: string
  dob?: string
  role?: User['role']
  /** An address waiting for its owner to confirm it; the email stays as it is until then. */
  pendingEmail?: string
}

export interface UserWithHash {
  user: User
  passwordHash: string
}

/** A user brought over from the old service, as it is written: same id, hash and timestamps. */
export interface ImportedUser {
  id: number
  email: string
  /** foldEmail(email) */
  emailFolded: string
  passwordHash: string
  firstName: string
  lastName: string
  dob: string
  /** ISO 8601 with a zone. */
  createdAt: string
  modifiedAt: string
}

/** What the import needs to know of an account already here with one of its ids or emails. */
export interface ImportTarget {
  id: number
  email_folded: string
  /** Changed in this service since the import wrote it (or never written by the import). */
  changed_here: boolean
}

/**
 * ImportedUsers, the one parameter $1 being their JSON array (JSON.stringify), as rows named as the
 * columns of users. One parameter, not one array per column: node-postgres builds an array's
 * text in JavaScript, element by element, where JSON.stringify is one native call.
 */
const IMPORTED_ROWS = `(SELECT id, email, "emailFolded" AS email_folded, "passwordHash" AS password_hash, "firstName" AS first_name,
         "lastName" AS last_name, dob, "createdAt" AS created_at, "modifiedAt" AS modified_at
    FROM json_to_recordset($1::json) AS j (id integer, email text, "emailFolded" text, "passwordHash" text, "firstName" text,
         "lastName" text, dob date, "createdAt" timestamptz, "modifiedAt" timestamptz))`

export function usersTable (db: Queryable) {
  return {
    /** Creates a user; EmailTaken when the email is taken in any spelling that folds to the same. */
    async create (user: NewUser): Promise<User> {
      try {
        const { rows } = await db.query<StoredUser>(
          `WITH u AS (
             INSERT INTO users (email, email_folded, password_hash, first_name, last_name, dob)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING *
           )
           SELECT ${USER_COLUMNS} FROM u ${PROFILE_JOIN}`,
          [user.email, foldEmail(user.email), user.passwordHash, user.firstName, user.lastName, user.dob])
        return openUser(db, rows[0])
      } catch (error) {
        throw isUniqueViolation(error) ? new EmailTaken() : error
      }
    },

    /** For login: the user and their hash, in one query. */
    async findByEmailWithHash (email: string): Promise<UserWithHash | undefined> {
      const { rows } = await db.query<StoredUser & { password_hash: string }>(
        `SELECT ${USER_COLUMNS}, u.password_hash
           FROM users u ${PROFILE_JOIN}
          WHERE u.email_folded = $1`, [foldEmail(email)])
      if (rows.length === 0) return undefined
      return { user: openUser(db, rows[0]), passwordHash: rows[0].password_hash }
    },

    async findPasswordHash (id: number): Promise<string | undefined> {
      const { rows } = await db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [id])
      return rows[0]?.password_hash
    },

    async findById (id: number): Promise<User | undefined> {
      const { rows } = await db.query<StoredUser>(
        `SELECT ${USER_COLUMNS} FROM users u ${PROFILE_JOIN} WHERE u.id = $1`, [id])
      return rows.length === 0 ? undefined : openUser(db, rows[0])
    },

    /** Applies `changes` and returns the user as it now is; undefined when there is no such user. */
    async update (id: number, changes: UserChanges): Promise<User | undefined> {
      try {
        const { rows } = await db.query<StoredUser>(
          `WITH u AS (
             UPDATE users SET
               email = coalesce($2, email),
               email_folded = coalesce($8, email_folded),
               -- A new address is not verified, whoever set it.
               email_verified = email_verified AND ($8::text IS NULL OR $8 = email_folded),
               pending_email = coalesce($9, pending_email),
               password_hash = coalesce($3, password_hash),
               first_name = coalesce($4, first_name),
               last_name = coalesce($5, last_name),
               dob = coalesce($6::date, dob),
               role = coalesce($7, role),
               updated_at = now()
             WHERE id = $1
             RETURNING *
           )
           SELECT ${USER_COLUMNS} FROM u ${PROFILE_JOIN}`,
          [id, changes.email, changes.passwordHash, changes.firstName, changes.lastName, changes.dob, changes.role,
            changes.email === undefined ? undefined : foldEmail(changes.email), changes.pendingEmail])
        return rows.length === 0 ? undefined : openUser(db, rows[0])
      } catch (error) {
        throw isUniqueViolation(error) ? new EmailTaken() : error
      }
    },

    /** The id of the account with this email, both folded. */
    async findIdByEmail (email: string): Promise<number | undefined> {
      const { rows } = await db.query<{ id: number }>('SELECT id FROM users WHERE email_folded = $1', [foldEmail(email)])
      return rows[0]?.id
    },

    /** The address a link was mailed to is verified, if it is still the account's address. */
    async markVerified (id: number, email: string): Promise<boolean> {
      const { rowCount } = await db.query(
        'UPDATE users SET email_verified = true, updated_at = now() WHERE id = $1 AND email_folded = $2', [id, foldEmail(email)])
      return rowCount > 0
    },

    /** The confirmed new address replaces the old one, verified; 409 when another account took it meanwhile. */
    async confirmEmail (id: number, email: string): Promise<void> {
      try {
        await db.query(
          `UPDATE users SET email = $2, email_folded = $3, email_verified = true, pending_email = NULL, updated_at = now()
            WHERE id = $1`, [id, email, foldEmail(email)])
      } catch (error) {
        throw isUniqueViolation(error) ? new EmailTaken() : error
      }
    },

    /** A password set through a reset link, which also proves the address. */
    async resetPassword (id: number, passwordHash: string): Promise<void> {
      await db.query(
        'UPDATE users SET password_hash = $2, email_verified = true, updated_at = now() WHERE id = $1', [id, passwordHash])
    },

    /**
     * A keyset page: up to `limit` users after `afterId`, in id order, which new signups cannot
     * disturb and which costs the same on page 5 000 as on page 1 (no OFFSET).
     * `email` keeps the users whose email contains it, both folded. Whether there is health
     * data, not the data: a list must not hand out what a read of that one user would audit.
     */
    async page (options: { afterId: number, email?: string, limit: number }): Promise<UserSummary[]> {
      const { rows } = await db.query<UserSummary>(
        `SELECT u.id, u.email, u.email_verified, u.pending_email, u.first_name, u.last_name, u.dob, u.role,
                g.genetic_result IS NOT NULL AS has_genetic_result, g.policy IS NOT NULL AS has_policy,
                u.created_at, u.updated_at AS modified_at
           FROM users u ${PROFILE_JOIN}
          WHERE u.id > $1 AND ($2::text IS NULL OR strpos(u.email_folded, $2) > 0)
          ORDER BY u.id
          LIMIT $3`,
        [options.afterId, options.email === undefined ? undefined : foldEmail(options.email), options.limit])
      return rows
    },

    /**
     * Whether the user is an admin and how many other admins there are. Inside a transaction it
     * first takes a lock that every such check shares, so two admins demoting themselves at the
     * same moment cannot both see the other one and leave no admin at all.
     */
    async adminStanding (id: number): Promise<{ isAdmin: boolean, otherAdmins: number } | undefined> {
      await db.query("SELECT pg_advisory_xact_lock(hashtext('dna-api:admins'))")
      const { rows } = await db.query<{ isAdmin: boolean, otherAdmins: number }>(
        `SELECT role = 'admin' AS "isAdmin",
                (SELECT count(*)::integer FROM users WHERE role = 'admin' AND id <> $1) AS "otherAdmins"
           FROM users WHERE id = $1`, [id])
      return rows[0]
    },

    /** Deletes the user; their sessions and genetic profile go with them (ON DELETE CASCADE). */
    async remove (id: number): Promise<boolean> {
      const { rowCount } = await db.query('DELETE FROM users WHERE id = $1', [id])
      return rowCount > 0
    },

    /**
     * A hash made again at today's cost, unless the password changed meanwhile (the hash is then
     * no longer `oldHash`). Not a change of the account: updated_at stays.
     */
    async replaceHash (id: number, oldHash: string, newHash: string): Promise<void> {
      await db.query('UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2', [id, oldHash, newHash])
    },

    /** The accounts that hold one of these ids or folded emails, and whether they changed since the import wrote them. */
    async findForImport (ids: number[], foldedEmails: string[]): Promise<ImportTarget[]> {
      const { rows } = await db.query<ImportTarget>(
        `SELECT u.id, u.email_folded,
                s.old_id IS NULL OR s.outcome <> 'imported' OR u.updated_at IS DISTINCT FROM s.written_at
                  OR coalesce(g.updated_at <> s.written_at, false) AS changed_here
           FROM users u
           ${PROFILE_JOIN}
           LEFT JOIN legacy_import_state s ON s.old_id = u.id
          -- Two index lookups: with OR, PostgreSQL would read the whole table.
          WHERE u.id IN (SELECT id FROM users WHERE id = ANY($1::integer[])
                         UNION SELECT id FROM users WHERE email_folded = ANY($2::text[]))`, [ids, foldedEmails])
      return rows
    },

    /** Inserts imported users in one statement, keeping their ids; unverified. */
    async importMany (users: ImportedUser[]): Promise<void> {
      if (users.length === 0) return
      await db.query(
        `INSERT INTO users (id, email, email_folded, password_hash, first_name, last_name, dob, created_at, updated_at, email_verified)
         OVERRIDING SYSTEM VALUE
         SELECT id, email, email_folded, password_hash, first_name, last_name, dob, created_at, modified_at, false
           FROM ${IMPORTED_ROWS} AS i`,
        [JSON.stringify(users)])
    },

    /** Overwrites earlier imports with their old rows' new content; a new address is not verified. */
    async updateImported (users: ImportedUser[]): Promise<void> {
      if (users.length === 0) return
      await db.query(
        `UPDATE users u SET
           email = i.email,
           email_verified = u.email_verified AND u.email_folded = i.email_folded,
           email_folded = i.email_folded,
           password_hash = i.password_hash, first_name = i.first_name, last_name = i.last_name, dob = i.dob,
           created_at = i.created_at, updated_at = i.modified_at
           FROM ${IMPORTED_ROWS} AS i
          WHERE u.id = i.id`,
        [JSON.stringify(users)])
    },

    /** New accounts get ids after the largest there is (imported ids were given, not drawn). */
    async continueIdsAfterLargest (): Promise<void> {
      await db.query(
        `SELECT setval(seq, greatest((SELECT max(id) FROM users), coalesce(pg_sequence_last_value(seq), 1)))
           FROM CAST(pg_get_serial_sequence('users', 'id') AS regclass) AS seq`)
    }
  }
}
