// The audit log in words: "Grace Hopper read Ada Lovelace's genetic profile, 3 minutes ago".
// The API gives ids, names (null for an account deleted since) and the names of the fields
// changed, never their values.

const FIELD_WORDS = {
  first_name: 'first name',
  last_name: 'last name',
  dob: 'date of birth',
  email: 'email',
  pending_email: 'new email (waiting for its link)',
  password: 'password',
  role: 'role',
  genetic_result: 'genetic result',
  policy: 'policy number'
}

/** "a", "a and b", "a, b and c". */
export function listInWords (words) {
  if (words.length <= 1) return words.join('')
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`
}

const fieldsInWords = (fields) => listInWords(fields.map((field) => FIELD_WORDS[field] ?? field.replaceAll('_', ' ')))

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'always' })
const UNITS = [['year', 365 * 86400], ['month', 30 * 86400], ['week', 7 * 86400], ['day', 86400], ['hour', 3600], ['minute', 60]]

/** How long ago `iso` was, in words: "just now", "3 minutes ago", "2 days ago". */
export function ago (iso, now = Date.now()) {
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000)
  if (seconds < 45) return 'just now'
  for (const [unit, size] of UNITS) {
    if (seconds >= size || unit === 'minute') return relative.format(-Math.max(1, Math.round(seconds / size)), unit)
  }
}

/** Who acted: their name, the command line, or an account deleted since. */
function actorWords (entry) {
  if (entry.actor_id === null) return 'The command line (make admin)'
  return entry.actor_name ?? `A deleted account (#${entry.actor_id})`
}

/** Whose record, as a possessive: "Ada Lovelace's", "their own" when the actor is the target. */
function targetPossessive (entry) {
  if (entry.target_id !== null && entry.target_id === entry.actor_id) return 'their own'
  return `${entry.target_name ?? `the deleted account #${entry.target_id}`}'s`
}

/** Who was deleted: their name while it is known, which it is not once the deletion is done. */
function deletedWords (entry) {
  if (entry.target_id === entry.actor_id) return 'their own account'
  return entry.target_name === null ? `account #${entry.target_id}` : `${entry.target_name}'s account`
}

/** One entry as a sentence without its time. */
export function entryInWords (entry) {
  const who = actorWords(entry)
  const whose = targetPossessive(entry)
  switch (entry.action) {
    case 'user.read': return `${who} read ${whose} genetic profile`
    case 'users.list': return `${who} searched the customer list`
    case 'user.update': return `${who} changed ${whose} ${fieldsInWords(entry.fields)}`
    case 'user.delete': return `${who} deleted ${deletedWords(entry)}`
    case 'genetics.update': return `${who} set ${whose} ${fieldsInWords(entry.fields)}`
    default: return `${who}: ${entry.action}${entry.target_id === null ? '' : ` on ${whose} account`}`
  }
}
