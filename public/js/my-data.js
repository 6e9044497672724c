// "Your data" on the account page: the download of everything held about the customer
// (GET /api/v1/users/me/export) and, from the same export, who has seen their results, in words.
// The account page itself (account.js) deals with a missing or ended session.
import { api } from './api.js'
import { storedToken } from './session.js'

const $ = (id) => document.getElementById(id)
const SHOWN = 20

const when = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' })

const ROLES = { admin: 'laboratory', user: 'customer' }
const DEEDS = { 'user.read': 'viewed your genetic results', 'genetics.update': 'updated your genetic results' }

/** Who acted, as a person reads it: a name and what they are, or what is known of them. */
function who (actor, me) {
  if (actor === null) return 'An operator of the service'
  if (actor.id === me) return 'You'
  if (actor.name === null) return 'A person whose account has since been deleted'
  return `${actor.name} (${ROLES[actor.role] ?? actor.role})`
}

/** The last accesses to the results, newest first, e.g. "Grace Hopper (laboratory) viewed your genetic results on 3 December 2026 at 14:02". */
export function describeAccesses (exported) {
  return exported.audit
    .filter((entry) => entry.action in DEEDS)
    .slice(-SHOWN)
    .reverse()
    .map((entry) => `${who(entry.actor, exported.user.id)} ${DEEDS[entry.action]} on ${when.format(new Date(entry.at))}`)
}

function showAccesses (exported) {
  const lines = describeAccesses(exported)
  $('accesses').replaceChildren(...lines.map((line) => {
    const item = document.createElement('li')
    item.textContent = line
    return item
  }))
  $('accesses').hidden = lines.length === 0
  $('accesses-empty').hidden = lines.length > 0
}

/** Saves the export as the file the server names. */
function save (exported) {
  const link = document.createElement('a')
  link.href = URL.createObjectURL(new Blob([JSON.stringify(exported, null, 2)], { type: 'application/json' }))
  link.download = `dna-api-export-${exported.user.id}-${exported.exported_at.slice(0, 10)}.json`
  document.body.append(link)
  link.click()
  link.remove()
  URL.revokeObjectURL(link.href)
}

async function load () {
  try {
    showAccesses(await api('GET', '/api/v1/users/me/export'))
  } catch (error) {
    $('accesses-status').textContent = `Who has seen your results could not be loaded: ${error.message}`
  }
}

$('export-download').addEventListener('click', async () => {
  const button = $('export-download')
  button.disabled = true
  $('export-status').textContent = 'Preparing your data…'
  try {
    const exported = await api('GET', '/api/v1/users/me/export')
    save(exported)
    showAccesses(exported)
    $('export-status').textContent = 'Your data has been downloaded.'
  } catch (error) {
    $('export-status').textContent = `Your data could not be downloaded: ${error.message}`
  } finally {
    button.disabled = false
  }
})

if (storedToken() !== null) load()
