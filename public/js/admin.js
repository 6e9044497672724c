// The staff console: find a customer by email, open one (profile, verified state, role, live
// sessions, genetic profile), set their genetic result and policy number each on its own, change
// their role, delete their account, and read the audit log in words. Anyone but an admin is sent
// to their account page; a session that loses its admin rights meanwhile is sent there too.
import { api, apiResponse } from './api.js'
import { ago, entryInWords } from './audit-words.js'
import { setBusy } from './forms.js'
import { forgetToken, leaveNotice, storedToken, takeNotice } from './session.js'

const $ = (id) => document.getElementById(id)
const PAGE_SIZE = 10
const CHANGED_MEANWHILE = 'Someone else changed this customer\'s genetic profile after you opened it, so your change was not saved. ' +
  'Reload to see their change, then make yours again.'
const GONE = 'This account no longer exists.'

/** The admin using the console. */
let me
/** The open customer: the user as the API answered, and the ETag of their genetic profile. */
let open = null

function toLogin (message) {
  forgetToken()
  leaveNotice(message)
  location.replace('/login.html')
}

function toAccount (message) {
  leaveNotice(message)
  location.replace('/account.html')
}

/**
 * A 401 means the session is over; a 403 that this account is no longer an admin (demoted
 * meanwhile). Either way nothing here works any more: true when the page is leaving.
 */
function sessionProblem (error) {
  if (error.status === 401) {
    toLogin('Your session has ended. Please log in again.')
    return true
  }
  if (error.status === 403) {
    toAccount('Your account no longer has staff rights, so the staff console has closed.')
    return true
  }
  return false
}

const say = (text) => { $('status').textContent = text }

/** A message of the API as a sentence: capital first, full stop last. */
const sentence = (message) => `${message.charAt(0).toUpperCase()}${message.slice(1)}${/[.!?]$/.test(message) ? '' : '.'}`

const dayFormat = new Intl.DateTimeFormat('en', { dateStyle: 'long', timeZone: 'UTC' })
const momentFormat = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' })
const formatDay = (day) => dayFormat.format(new Date(`${day}T00:00:00Z`))
const fullName = (user) => `${user.first_name} ${user.last_name}`
const roleWords = (role) => role === 'admin' ? 'Staff (admin)' : 'Customer'

function element (tag, text, className) {
  const node = document.createElement(tag)
  if (text !== undefined) node.textContent = text
  if (className !== undefined) node.className = className
  return node
}

/** A moment as "3 minutes ago", with the date and time for whoever hovers or reads it out. */
function timeAgo (iso) {
  const time = element('time', ago(iso))
  time.dateTime = iso
  time.title = momentFormat.format(new Date(iso))
  return time
}

// Find a customer ------------------------------------------------------------------------------

const search = { email: '', cursors: [undefined], next: null, users: [] }

function searchCell (row, label, content) {
  const cell = row.insertCell()
  cell.dataset.label = label
  cell.append(content)
  return cell
}

function renderSearch () {
  const { users, email } = search
  const pageNumber = search.cursors.length
  const about = email === '' ? '' : ` whose email contains “${email}”`
  if (users.length === 0) {
    $('search-summary').textContent = pageNumber > 1
      ? 'No more customers.'
      : email === '' ? 'There are no accounts yet.' : `No customer's email contains “${email}”.`
    $('search-table').replaceChildren()
  } else {
    const first = (pageNumber - 1) * PAGE_SIZE + 1
    $('search-summary').textContent = `Customers ${first} to ${first + users.length - 1}${about}, page ${pageNumber}.`
    const table = element('table', undefined, 'responsive')
    const caption = element('caption', 'Search results', 'visually-hidden')
    table.append(caption)
    const head = table.createTHead().insertRow()
    for (const title of ['Name', 'Email', 'Verified', 'Role', 'Result', 'Policy', 'Created', 'Action']) {
      const th = element('th', title)
      th.scope = 'col'
      head.append(th)
    }
    const body = table.createTBody()
    for (const user of users) {
      const row = body.insertRow()
      const isOpen = open?.user.id === user.id
      if (isOpen) {
        row.className = 'is-open'
        row.setAttribute('aria-current', 'true')
      }
      searchCell(row, 'Name', fullName(user))
      searchCell(row, 'Email', user.email)
      searchCell(row, 'Verified', user.email_verified ? 'Yes' : 'No')
      searchCell(row, 'Role', roleWords(user.role))
      searchCell(row, 'Result', user.has_genetic_result ? 'Has result' : 'No result')
      searchCell(row, 'Policy', user.has_policy ? 'Has policy' : 'No policy')
      searchCell(row, 'Created', momentFormat.format(new Date(user.created_at)))
      const button = element('button', isOpen ? 'Open now' : 'Open', 'secondary')
      button.type = 'button'
      button.setAttribute('aria-label', `${isOpen ? 'Open now:' : 'Open'} ${fullName(user)}, ${user.email}`)
      button.addEventListener('click', () => openCustomer(user.id))
      searchCell(row, 'Action', button)
    }
    $('search-table').replaceChildren(table)
  }
  $('search-previous').hidden = pageNumber === 1
  $('search-next').hidden = search.next === null
}

async function loadSearchPage () {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) })
  if (search.email !== '') params.set('email', search.email)
  const cursor = search.cursors[search.cursors.length - 1]
  if (cursor !== undefined) params.set('cursor', cursor)
  $('search-summary').textContent = 'Searching…'
  try {
    const page = await api('GET', `/api/v1/users?${params}`)
    search.users = page.users
    search.next = page.next_cursor
    renderSearch()
  } catch (error) {
    if (sessionProblem(error)) return
    search.users = []
    search.next = null
    $('search-summary').textContent = `The search failed: ${sentence(error.message)}`
    $('search-table').replaceChildren()
    $('search-previous').hidden = true
    $('search-next').hidden = true
  }
}

$('search-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  // As typed: the API matches a substring whatever the case, so only the surrounding spaces go.
  search.email = $('search-email').value.trim()
  search.cursors = [undefined]
  await loadSearchPage()
})
$('search-next').addEventListener('click', async () => {
  search.cursors.push(search.next)
  await loadSearchPage()
})
$('search-previous').addEventListener('click', async () => {
  search.cursors.pop()
  await loadSearchPage()
})

/** Keeps the search results in step with a change made here, without searching again. */
function updateSearchRow (user) {
  const index = search.users.findIndex((row) => row.id === user.id)
  if (index !== -1) {
    search.users[index] = {
      ...search.users[index],
      first_name: user.first_name,
      last_name: user.last_name,
      email: user.email,
      email_verified: user.email_verified,
      role: user.role,
      has_genetic_result: user.genetic_result !== null,
      has_policy: user.policy !== null
    }
  }
  if (search.users.length > 0) renderSearch()
}

// The audit log --------------------------------------------------------------------------------

/** A paged list of audit entries, newest first, in `container`, with its newer/older buttons. */
function auditView (container, newer, older) {
  const state = { filter: {}, empty: '', cursors: [undefined], next: null }
  async function load () {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE), ...state.filter })
    const cursor = state.cursors[state.cursors.length - 1]
    if (cursor !== undefined) params.set('cursor', cursor)
    try {
      const page = await api('GET', `/api/v1/audit?${params}`)
      state.next = page.next_cursor
      if (page.entries.length === 0) {
        container.replaceChildren(element('p', state.cursors.length > 1 ? 'No older entries.' : state.empty))
      } else {
        const list = element('ol', undefined, 'audit-list')
        for (const entry of page.entries) {
          const item = element('li', `${entryInWords(entry)}, `)
          item.append(timeAgo(entry.at))
          list.append(item)
        }
        container.replaceChildren(list)
      }
      newer.hidden = state.cursors.length === 1
      older.hidden = state.next === null
    } catch (error) {
      if (sessionProblem(error)) return
      container.replaceChildren(element('p', `The audit log could not be read: ${sentence(error.message)}`, 'form-error'))
    }
  }
  older.addEventListener('click', async () => {
    state.cursors.push(state.next)
    await load()
  })
  newer.addEventListener('click', async () => {
    state.cursors.pop()
    await load()
  })
  return {
    async show (filter, empty) {
      Object.assign(state, { filter, empty, cursors: [undefined], next: null })
      await load()
    },
    reload: load
  }
}

const customerAudit = auditView($('customer-audit'), $('customer-audit-newer'), $('customer-audit-older'))
const auditLog = auditView($('audit-results'), $('audit-newer'), $('audit-older'))

/** The account with exactly this email (the list matches substrings), or undefined. */
async function findByEmail (email) {
  const page = await api('GET', `/api/v1/users?${new URLSearchParams({ email, limit: '100' })}`)
  return page.users.find((user) => user.email.toLowerCase() === email.toLowerCase())
}

$('audit-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const filter = $('audit-filter').value
  const input = $('audit-email')
  const problem = $('audit-email-error')
  problem.textContent = ''
  input.removeAttribute('aria-invalid')
  if (filter === 'all') return await auditLog.show({}, 'Nothing has been recorded yet.')
  const email = input.value.trim()
  const refuse = (text) => {
    problem.textContent = text
    input.setAttribute('aria-invalid', 'true')
    input.focus()
  }
  if (email === '') return refuse('Their email is required to show what one person did or what was done to them')
  try {
    const user = await findByEmail(email)
    if (user === undefined) return refuse(`No account has the email ${email}`)
    if (filter === 'actor') await auditLog.show({ actor_id: String(user.id) }, `${fullName(user)} has done nothing recorded yet.`)
    else await auditLog.show({ user_id: String(user.id) }, `Nothing has been recorded about ${fullName(user)} yet.`)
  } catch (error) {
    if (!sessionProblem(error)) refuse(sentence(error.message))
  }
})

// The open customer ----------------------------------------------------------------------------

const resultForm = $('result-form')
const policyForm = $('policy-form')
const roleForm = $('role-form')
const editor = $('result-editor')

const pretty = (result) => result === null ? '' : JSON.stringify(result, null, 2)

function formError (form, text) {
  form.querySelector('.form-error').textContent = text
}

function fieldError (form, input, output, text) {
  output.textContent = text
  if (text === '') input.removeAttribute('aria-invalid')
  else input.setAttribute('aria-invalid', 'true')
}

function clearFormErrors () {
  fieldError(resultForm, editor, $('result-error'), '')
  fieldError(policyForm, $('policy-input'), $('policy-error'), '')
  $('role-error').textContent = ''
  formError(resultForm, '')
  formError(policyForm, '')
}

function changedInWords (user) {
  if (user.genetic_profile_updated_at === null) return 'No genetic result or policy number yet.'
  const by = user.genetic_profile_updated_by
  const who = by === null ? 'an account deleted since' : by.id === me.id ? `you (${by.name})` : by.name
  return `Genetic profile last changed by ${who}, ${ago(user.genetic_profile_updated_at)} (${momentFormat.format(new Date(user.genetic_profile_updated_at))}).`
}

/**
 * Shows `user` as the open customer. `editors: false` keeps what the person typed in the result
 * editor and the policy field (after a change elsewhere on the customer).
 */
function showCustomer (user, etag, { editors = true } = {}) {
  open = { user, etag }
  $('customer').hidden = false
  $('customer-body').hidden = false
  $('customer-error').textContent = ''
  $('customer-heading').textContent = fullName(user)
  $('customer-email').textContent = `${user.email} · account #${user.id}`
  $('customer-name').textContent = fullName(user)
  $('customer-email-fact').textContent = user.pending_email === null ? user.email : `${user.email} (moving to ${user.pending_email}, waiting for its link)`
  $('customer-verified').textContent = user.email_verified
    ? 'Yes'
    : 'No: genetic results can be attached once they follow the link mailed to them'
  $('customer-dob').textContent = formatDay(user.dob)
  $('customer-role').textContent = roleWords(user.role)
  $('customer-sessions').textContent = user.live_sessions === 1 ? '1 live session' : `${user.live_sessions} live sessions`
  $('customer-since').textContent = momentFormat.format(new Date(user.created_at))
  $('genetics-changed').textContent = changedInWords(user)
  if (editors) {
    editor.value = pretty(user.genetic_result)
    $('policy-input').value = user.policy ?? ''
    $('role-select').value = user.role
  }
  document.title = `${fullName(user)} · Staff console · DNA Account`
  updateSearchRow(user)
}

/** The open customer was deleted (by someone else, or here). */
function customerGone (id) {
  open = null
  $('customer').hidden = false
  $('customer-body').hidden = true
  $('customer-heading').textContent = `Account #${id}`
  $('customer-email').textContent = ''
  $('customer-error').textContent = GONE
  search.users = search.users.filter((user) => user.id !== id)
  if (search.users.length > 0) renderSearch()
}

async function openCustomer (id, { focus = true } = {}) {
  clearFormErrors()
  say('')
  try {
    const { data, headers } = await apiResponse('GET', `/api/v1/users/${id}`)
    showCustomer(data, headers.get('etag'))
    if (focus) $('customer-heading').focus()
    await Promise.all([customerAudit.show({ user_id: String(id) }, 'Nothing has been recorded about this customer yet.'), auditLog.reload()])
  } catch (error) {
    if (sessionProblem(error)) return
    if (error.status !== 404) {
      $('page-error').textContent = `The customer could not be opened: ${sentence(error.message)}`
      return
    }
    customerGone(id)
    if (focus) $('customer-heading').focus()
  }
}

$('customer-reload').addEventListener('click', async () => {
  if (open !== null) await openCustomer(open.user.id)
})
$('customer-close').addEventListener('click', () => {
  open = null
  $('customer').hidden = true
  document.title = 'Staff console · DNA Account'
  if (search.users.length > 0) renderSearch()
  $('search-email').focus()
})

/** Sends a PATCH of the genetic profile from `form` with the ETag it was shown, and says how it went. */
async function saveGenetics (form, body, { input, output, label, done }) {
  const { id } = open.user
  setBusy(form, true)
  try {
    const headers = open.etag === null ? {} : { 'if-match': open.etag }
    const answer = await apiResponse('PATCH', `/api/v1/users/${id}/genetics`, { body, headers })
    // Only the field saved is refreshed: an unsaved edit of the other one stays as typed.
    const { genetic_result: result, policy } = answer.data
    showCustomer(answer.data, answer.headers.get('etag'), { editors: false })
    if ('genetic_result' in body) editor.value = pretty(result)
    else $('policy-input').value = policy ?? ''
    say(`${done} ${changedInWords(answer.data)}`)
    await Promise.all([customerAudit.reload(), auditLog.reload()])
  } catch (error) {
    if (sessionProblem(error)) return
    if (error.status === 404) customerGone(id)
    else if (error.status === 412) formError(form, CHANGED_MEANWHILE)
    else if (error.status === 409) formError(form, 'This customer\'s email address is not verified yet: genetic results can be attached once they follow the link mailed to them.')
    else if (error.field !== undefined && error.field === input.name) {
      fieldError(form, input, output, `${label} ${error.problem}`)
      input.focus()
    } else formError(form, sentence(error.message))
  } finally {
    setBusy(form, false)
  }
}

resultForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearFormErrors()
  say('')
  let result
  try {
    result = JSON.parse(editor.value)
  } catch (error) {
    fieldError(resultForm, editor, $('result-error'), `Genetic result is not valid JSON: ${error.message}`)
    editor.focus()
    return
  }
  // Anything that parses goes to the server, which says what a genetic result must be.
  await saveGenetics(resultForm, { genetic_result: result }, {
    input: editor, output: $('result-error'), label: 'Genetic result', done: 'The genetic result is saved.'
  })
})

$('result-undo').addEventListener('click', () => {
  editor.value = pretty(open.user.genetic_result)
  fieldError(resultForm, editor, $('result-error'), '')
  formError(resultForm, '')
  say('The genetic result editor shows the saved result again.')
  editor.focus()
})

policyForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearFormErrors()
  say('')
  const input = $('policy-input')
  if (input.value === '') {
    fieldError(policyForm, input, $('policy-error'), 'Policy number is required')
    input.focus()
    return
  }
  // Sent as typed: spaces at either end are refused by the server rather than trimmed in silence.
  await saveGenetics(policyForm, { policy: input.value }, {
    input, output: $('policy-error'), label: 'Policy number', done: 'The policy number is saved.'
  })
})

roleForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearFormErrors()
  say('')
  const role = $('role-select').value
  const { id } = open.user
  if (role === open.user.role) {
    $('role-error').textContent = `${fullName(open.user)} already has the role ${roleWords(role)}.`
    return
  }
  setBusy(roleForm, true)
  try {
    const user = await api('PATCH', `/api/v1/users/${id}`, { body: { role } })
    showCustomer({ ...open.user, ...user }, open.etag, { editors: false })
    if (id === me.id && role !== 'admin') return toAccount('You are no longer staff: you changed your own role to Customer.')
    say(`${fullName(user)}'s role is now ${roleWords(role)}, changed by you just now.`)
    await Promise.all([customerAudit.reload(), auditLog.reload()])
  } catch (error) {
    if (sessionProblem(error)) return
    if (error.status === 404) customerGone(id)
    else $('role-error').textContent = sentence(error.message)
  } finally {
    setBusy(roleForm, false)
  }
})

// Deleting the account: the dialog asks for the email, typed.
const dialog = $('delete-dialog')
const deleteEmail = $('delete-email')
const emailTyped = () => open !== null && deleteEmail.value.trim().toLowerCase() === open.user.email.toLowerCase()

$('delete-open').addEventListener('click', () => {
  $('delete-dialog-title').textContent = `Delete ${fullName(open.user)}'s account?`
  $('delete-dialog-text').textContent = `The profile, genetic results and policy number of ${fullName(open.user)} will be deleted ` +
    `permanently, and they will be logged out everywhere. This cannot be undone. Type ${open.user.email} to confirm.`
  $('delete-error').textContent = ''
  deleteEmail.value = ''
  $('delete-confirm').disabled = true
  dialog.showModal()
  deleteEmail.focus()
})
deleteEmail.addEventListener('input', () => { $('delete-confirm').disabled = !emailTyped() })
$('delete-cancel').addEventListener('click', () => dialog.close())
$('delete-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  if (!emailTyped()) return
  const { id } = open.user
  const name = fullName(open.user)
  $('delete-confirm').disabled = true
  try {
    await api('DELETE', `/api/v1/users/${id}`)
    dialog.close()
    if (id === me.id) return toLogin('Your account has been deleted.')
    customerGone(id)
    $('customer').hidden = true
    open = null
    say(`${name}'s account has been deleted.`)
    await auditLog.reload()
    $('search-email').focus()
  } catch (error) {
    if (sessionProblem(error)) return
    if (error.status === 404) {
      dialog.close()
      customerGone(id)
    } else {
      $('delete-error').textContent = sentence(error.message)
      $('delete-confirm').disabled = false
    }
  }
})

$('logout').addEventListener('click', async () => {
  $('logout').disabled = true
  try {
    await api('POST', '/api/v1/users/logout')
    toLogin('You have logged out.')
  } catch (error) {
    toLogin(error.status === 401 ? 'You have logged out.' : 'You are logged out on this browser, but the server could not be told: ' + error.message)
  }
})

// Start: only an admin's session gets the console.
if (storedToken() === null) {
  toLogin('Please log in to use the staff console.')
} else {
  try {
    me = await api('GET', '/api/v1/users/me')
    if (me.role !== 'admin') {
      toAccount('The staff console is for staff only, and your account is not a staff account.')
    } else {
      $('loading').hidden = true
      $('console').hidden = false
      const notice = takeNotice()
      if (notice !== null) say(notice)
      await auditLog.show({}, 'Nothing has been recorded yet.')
    }
  } catch (error) {
    if (!sessionProblem(error)) {
      $('loading').hidden = true
      $('page-error').textContent = `The staff console could not be loaded: ${sentence(error.message)}`
    }
  }
}
