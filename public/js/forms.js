// Form helpers shared by the pages: checks in the browser that mirror the server's rules, and
// errors shown next to the field they are about, announced by the field's aria-live region.

export const EARLIEST_DOB = '1900-01-01'
export const MIN_PASSWORD_CHARS = 10
export const MAX_PASSWORD_BYTES = 72

/** Today in the person's time zone, as YYYY-MM-DD (what a date input holds). */
export function today () {
  const now = new Date()
  const pad = (n) => String(n).padStart(2, '0')
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`
}

/** What is wrong with a new password, by the rules the server applies before its strength check. */
export function passwordProblem (password) {
  // Counted in characters as the server does (code points), not UTF-16 units.
  if ([...password].length < MIN_PASSWORD_CHARS) return `must be at least ${MIN_PASSWORD_CHARS} characters`
  // bcrypt reads at most 72 bytes; the server refuses longer passwords rather than cut them.
  const bytes = new TextEncoder().encode(password).length
  if (bytes > MAX_PASSWORD_BYTES) {
    return `must be at most ${MAX_PASSWORD_BYTES} bytes (it has ${bytes}: accented letters and symbols take 2 to 4 bytes each)`
  }
  return ''
}

function label (input) {
  return input.dataset.label ?? input.labels?.[0]?.textContent.trim() ?? input.name
}

/** The problem with one field, as a sentence starting with its label, or '' when it is fine. */
export function fieldProblem (input) {
  if (input.type === 'checkbox') return ''
  const name = label(input)
  const value = input.value
  if (input.required && value.trim() === '') {
    return input.validity.badInput ? `${name} must be a real date` : `${name} is required`
  }
  if (value === '') return ''
  if (input.validity.typeMismatch && input.type === 'email') return `${name} must be an email address like name@example.com`
  if (input.validity.badInput) return `${name} must be a real date`
  if (input.validity.rangeUnderflow) return `${name} must be on or after ${input.min}`
  if (input.validity.rangeOverflow) return `${name} must not be in the future`
  if (input.validity.tooLong) return `${name} must be at most ${input.maxLength} characters`
  if (input.dataset.rule === 'new-password') {
    const problem = passwordProblem(value)
    if (problem !== '') return `${name} ${problem}`
  }
  if (input.dataset.sameAs !== undefined && value !== input.form.elements.namedItem(input.dataset.sameAs).value) {
    return `${name} does not match`
  }
  return ''
}

export function setFieldError (form, field, message) {
  const input = form.elements.namedItem(field)
  const output = form.querySelector(`[data-error-for="${field}"]`)
  if (output !== null) output.textContent = message
  if (input !== null) {
    if (message === '') input.removeAttribute('aria-invalid')
    else input.setAttribute('aria-invalid', 'true')
  }
}

export function setFormError (form, message) {
  form.querySelector('.form-error').textContent = message
}

export function clearErrors (form) {
  for (const output of form.querySelectorAll('[data-error-for]')) setFieldError(form, output.dataset.errorFor, '')
  setFormError(form, '')
}

/** Checks every field, shows each problem next to its field, focuses the first; true when all are fine. */
export function validate (form) {
  let first = null
  for (const input of form.querySelectorAll('input[name]')) {
    const problem = fieldProblem(input)
    setFieldError(form, input.name, problem)
    if (problem !== '' && first === null) first = input
  }
  first?.focus()
  return first === null
}

/**
 * Once a field shows an error, re-check it as the person types, so the error goes when fixed; a
 * repeated password is re-checked too when the one it repeats changes.
 */
export function recheckOnInput (form) {
  form.addEventListener('input', (event) => {
    const changed = event.target
    const repeats = form.querySelectorAll(`input[data-same-as="${changed.name}"]`)
    for (const input of [changed, ...repeats]) {
      if (input.getAttribute?.('aria-invalid') === 'true') setFieldError(form, input.name, fieldProblem(input))
    }
  })
}

/** Shows an API error next to the field it names, or for the whole form. */
export function showApiError (form, error) {
  const input = error.field === undefined ? null : form.elements.namedItem(error.field)
  if (input !== null && input instanceof HTMLInputElement) {
    setFieldError(form, error.field, `${label(input)} ${error.problem}`)
    input.focus()
  } else {
    setFormError(form, error.message)
  }
}

/** Disables the form's submit button while a request is in flight. */
export function setBusy (form, busy) {
  form.setAttribute('aria-busy', String(busy))
  for (const button of form.querySelectorAll('button[type="submit"]')) button.disabled = busy
}

/**
 * A password field, hidden or shown (a shown one is type="text"): told by its autocomplete
 * (current-password, new-password), which every password field of the pages has.
 */
const isPassword = (input) => input.type === 'password' || input.autocomplete.endsWith('-password')

/** The form's named inputs as an object of trimmed strings (passwords untouched). */
export function values (form) {
  const result = {}
  for (const input of form.querySelectorAll('input[name]')) {
    if (input.type === 'checkbox') result[input.name] = input.checked
    else result[input.name] = isPassword(input) ? input.value : input.value.trim()
  }
  return result
}
