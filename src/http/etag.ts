// Entity tags of a user's genetic profile, for optimistic concurrency: GET /api/v1/users/{id}
// sends one, and a write that sends it back in If-Match is refused (412) once the profile has
// changed. A tag is the profile's version as the database counts it (sql/011), never a digest of
// the values, and names the user, so that one user's tag never passes for another's.

/** The strong entity tag of the genetic profile of `userId` at `version` (null: no profile yet). */
export function geneticProfileTag (userId: number, version: number | null): string {
  return `"genetics-${userId}-${version ?? 0}"`
}

/**
 * Whether an If-Match header lets a write go ahead on a resource whose current tag is `tag`:
 * no header, `*`, or a list naming that tag (RFC 9110, section 13.1.1: strong comparison, so a
 * weak `W/` tag never matches).
 */
export function ifMatchAllows (header: string | undefined, tag: string): boolean {
  if (header === undefined) return true
  return header.split(',').some((candidate) => ['*', tag].includes(candidate.trim()))
}

export const CHANGED_MEANWHILE = 'changed by someone else meanwhile; reload'
