// Profile rules that a schema cannot say: trimmed names and a date of birth in the past.
import { badRequest } from '../http/errors.js'

export const EARLIEST_DOB = '1900-01-01'

/** The name as stored: the schema already checked it is 1–128 characters once trimmed. */
export function cleanName (name: string): string {
  return name.trim()
}

export function checkDob (dob: string, field = 'body/dob'): string {
  const problem = dobProblem(dob, field)
  if (problem !== undefined) throw badRequest(problem)
  return dob
}

/** The profile fields of a request body, as a change: names trimmed, the date of birth checked, absent ones absent. */
export function profileChanges (body: { first_name?: string, last_name?: string, dob?: string }): { firstName?: string, lastName?: string, dob?: string } {
  return {
    firstName: body.first_name === undefined ? undefined : cleanName(body.first_name),
    lastName: body.last_name === undefined ? undefined : cleanName(body.last_name),
    dob: body.dob === undefined ? undefined : checkDob(body.dob)
  }
}

/**
 * Why a date of birth (YYYY-MM-DD) is refused, naming `field`; undefined when it is acceptable.
 * `today` (YYYY-MM-DD, UTC) is given by a caller checking many dates at once.
 */
export function dobProblem (dob: string, field: string, today = new Date().toISOString().slice(0, 10)): string | undefined {
  if (dob > today) return `${field} must not be in the future`
  if (dob < EARLIEST_DOB) return `${field} must be on or after ${EARLIEST_DOB}`
  return undefined
}
