// The signup page: the browser checks what it can (the same rules as the server), shows a
// strength hint, and puts the server's messages next to the field they name.
import { api } from './api.js'
import { clearErrors, recheckOnInput, setBusy, setFieldError, showApiError, today, validate, values } from './forms.js'
import { keepToken } from './session.js'
import { showStrength } from './strength.js'

const form = document.getElementById('signup-form')
const field = (name) => form.elements.namedItem(name)

field('dob').max = today()
showStrength(field('password'), document.getElementById('signup-password-meter'),
  document.getElementById('signup-password-strength'),
  () => [field('email').value, field('first_name').value, field('last_name').value])
recheckOnInput(form)

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearErrors(form)
  if (!validate(form)) return
  const { email, password, first_name: firstName, last_name: lastName, dob } = values(form)
  setBusy(form, true)
  try {
    const session = await api('POST', '/api/v1/users', {
      body: { email, password, first_name: firstName, last_name: lastName, dob },
      auth: false
    })
    keepToken(session.jwt_token, false)
    location.assign('/stats.html')
  } catch (error) {
    setBusy(form, false)
    if (error.status === 409) {
      setFieldError(form, 'email', 'An account with this email already exists. Log in instead, or use another email.')
      field('email').focus()
    } else {
      showApiError(form, error)
    }
  }
})
