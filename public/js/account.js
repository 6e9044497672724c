// The account page: profile, policy and genetic results, changes to details, email and password,
// logging out (here or everywhere) and deleting the account. Without a live session it sends the
// person to the login page with a message saying why.
import { api } from './api.js'
import { clearErrors, recheckOnInput, setBusy, setFormError, showApiError, today, validate, values } from './forms.js'
import { forgetToken, leaveNotice, storedToken, takeNotice } from './session.js'
import { addShowPasswordToggles } from './show-password.js'
import { showStrength } from './strength.js'
import { showEmailBanner } from './email-banner.js'
import { setUpMfa } from './mfa.js'
import { showDevices } from './devices.js'
import { setUpPasskeys } from './passkeys.js'

const $ = (id) => document.getElementById(id)
const detailsForm = $('details-form')
const emailForm = $('email-form')
const passwordForm = $('password-form')
const dialog = $('delete-dialog')
let account

/** Back to the login page, without the token, with a message for it to show. */
function toLogin (message) {
  forgetToken()
  leaveNotice(message)
  location.replace('/login.html')
}

/**
 * A 401 means the session is over (expired, revoked, account deleted) and nothing here works any
 * more, unless it names a field: a wrong current password is a 401 too.
 */
function sessionEnded (error) {
  if (error.status !== 401 || error.field !== undefined) return false
  toLogin('Your session has ended. Please log in again.')
  return true
}

function say (message) {
  $('status').textContent = message
}

// Dates: a date of birth is a calendar day (no time zone); "member since" is a moment.
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'long', timeZone: 'UTC' })
const momentFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' })
const formatDay = (day) => dayFormat.format(new Date(`${day}T00:00:00Z`))

/** Gene names and the like stay as they are; snake_case keys read as words. */
const readableKey = (key) => key.replaceAll('_', ' ')

/** An object's entries in alphabetical order (the database keeps no meaningful order). */
const sortedEntries = (object) => Object.entries(object).sort(([a], [b]) => a.localeCompare(b))

/** A JSON value as DOM nodes: nested objects as definition lists, arrays as lists, never raw JSON. */
function renderValue (value) {
  if (Array.isArray(value)) {
    const list = document.createElement('ul')
    list.replaceChildren(...value.map((item) => {
      const li = document.createElement('li')
      li.append(renderValue(item))
      return li
    }))
    return list
  }
  if (value !== null && typeof value === 'object') {
    const list = document.createElement('dl')
    list.className = 'nested'
    for (const [key, item] of sortedEntries(value)) {
      const term = document.createElement('dt')
      term.textContent = readableKey(key)
      const description = document.createElement('dd')
      description.append(renderValue(item))
      list.append(term, description)
    }
    return list
  }
  if (value === null) return document.createTextNode('—')
  if (typeof value === 'boolean') return document.createTextNode(value ? 'yes' : 'no')
  return document.createTextNode(String(value))
}

function renderResults (results) {
  const container = $('results')
  const entries = results === null ? [] : sortedEntries(results)
  $('no-results').hidden = entries.length > 0
  container.hidden = entries.length === 0
  if (entries.length === 0) return container.replaceChildren()

  const table = document.createElement('table')
  const head = table.createTHead().insertRow()
  for (const title of ['Marker', 'Result']) {
    const th = document.createElement('th')
    th.scope = 'col'
    th.textContent = title
    head.append(th)
  }
  const body = table.createTBody()
  for (const [key, value] of entries) {
    const row = body.insertRow()
    const th = document.createElement('th')
    th.scope = 'row'
    th.textContent = readableKey(key)
    row.append(th)
    row.insertCell().append(renderValue(value))
  }
  container.replaceChildren(table)
}

function render (user) {
  account = user
  $('profile-name').textContent = `${user.first_name} ${user.last_name}`
  $('profile-email').textContent = user.email
  $('profile-dob').textContent = formatDay(user.dob)
  $('profile-since').textContent = momentFormat.format(new Date(user.created_at))
  $('profile-policy').textContent = user.policy ?? 'None yet'
  renderResults(user.genetic_result)
  showEmailBanner(user)
  $('staff-console').hidden = user.role !== 'admin'

  detailsForm.elements.namedItem('first_name').value = user.first_name
  detailsForm.elements.namedItem('last_name').value = user.last_name
  detailsForm.elements.namedItem('dob').value = user.dob
  $('loading').hidden = true
  $('account').hidden = false
}

/** Sends a change of the account from `form`; true when it was saved. */
async function update (form, changes, done) {
  setBusy(form, true)
  try {
    render(await api('PATCH', '/api/v1/users/me', { body: changes }))
    say(done)
    return true
  } catch (error) {
    if (!sessionEnded(error)) {
      if (error.status === 409) error.field = 'email'
      showApiError(form, error)
    }
    return false
  } finally {
    setBusy(form, false)
  }
}

detailsForm.elements.namedItem('dob').max = today()
for (const form of [detailsForm, emailForm, passwordForm]) recheckOnInput(form)
for (const form of [emailForm, passwordForm]) addShowPasswordToggles(form)
showStrength(passwordForm.elements.namedItem('password'), $('password-new-meter'), $('password-new-strength'),
  () => [account?.email ?? '', account?.first_name ?? '', account?.last_name ?? ''])

detailsForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearErrors(detailsForm)
  say('')
  if (!validate(detailsForm)) return
  const fields = values(detailsForm)
  const changes = {}
  for (const name of ['first_name', 'last_name', 'dob']) if (fields[name] !== account[name]) changes[name] = fields[name]
  if (Object.keys(changes).length === 0) return setFormError(detailsForm, 'Nothing has changed: edit a field first.')
  await update(detailsForm, changes, 'Your details are saved.')
})

emailForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearErrors(emailForm)
  say('')
  if (!validate(emailForm)) return
  const { email, current_password: currentPassword } = values(emailForm)
  if (await update(emailForm, { email, current_password: currentPassword }, 'Almost done: follow the link we mailed to your new address to finish the change.')) emailForm.reset()
})

passwordForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearErrors(passwordForm)
  say('')
  if (!validate(passwordForm)) return
  const { password, current_password: currentPassword } = values(passwordForm)
  if (await update(passwordForm, { password, current_password: currentPassword },
    'Your password is changed. Your other devices have been logged out.')) {
    passwordForm.reset()
    passwordForm.elements.namedItem('password').dispatchEvent(new Event('input'))
  }
})

async function logout (all) {
  for (const button of document.querySelectorAll('#logout, #logout-all')) button.disabled = true
  try {
    await api('POST', '/api/v1/users/logout', all ? { body: { all: true } } : {})
    toLogin(all ? 'You have logged out of all your devices.' : 'You have logged out.')
  } catch (error) {
    // Already over server-side (401), or the server cannot be reached: the token is dropped here anyway.
    toLogin(error.status === 401 ? 'You have logged out.' : 'You are logged out on this browser, but the server could not be told: ' + error.message)
  }
}

$('logout').addEventListener('click', () => logout(false))
$('logout-all').addEventListener('click', () => logout(true))

$('delete-open').addEventListener('click', () => {
  $('delete-error').textContent = ''
  dialog.showModal()
})
$('delete-cancel').addEventListener('click', () => dialog.close())
$('delete-confirm').addEventListener('click', async () => {
  $('delete-confirm').disabled = true
  try {
    await api('DELETE', '/api/v1/users/me')
    toLogin('Your account has been deleted.')
  } catch (error) {
    if (!sessionEnded(error)) $('delete-error').textContent = error.message
    $('delete-confirm').disabled = false
  }
})

if (storedToken() === null) {
  toLogin('Please log in to see your account.')
} else {
  // Why the person is here, when another page sent them (the staff console, to a non-admin).
  const notice = takeNotice()
  if (notice !== null) say(notice)
  try {
    const user = await api('GET', '/api/v1/users/me')
    render(user)
    setUpMfa(user, render)
    await setUpPasskeys((error) => { if (!sessionEnded(error)) say(error.message) })
    await showDevices((error) => { if (!sessionEnded(error)) say(error.message) }, () => toLogin('You have logged out.'))
  } catch (error) {
    if (!sessionEnded(error)) {
      $('loading').hidden = true
      $('page-error').textContent = `Your account could not be loaded: ${error.message}`
    }
  }
}
