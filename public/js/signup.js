// The signup page: the browser checks what it can (the same rules as the server), shows a
// strength hint, has the password typed twice (the second copy stays in the browser), and puts
// the server's messages next to the field they name. When the server
// has the captcha on, the person also ticks its box, and its solution goes with the signup.
import { api } from './api.js'
import { setUpCaptcha } from './captcha.js'
import { clearErrors, recheckOnInput, setBusy, setFieldError, setFormError, showApiError, today, validate, values } from './forms.js'
import { keepToken } from './session.js'
import { addShowPasswordToggles } from './show-password.js'
import { showStrength } from './strength.js'

const form = document.getElementById('signup-form')
const field = (name) => form.elements.namedItem(name)

field('dob').max = today()
showStrength(field('password'), document.getElementById('signup-password-meter'),
  document.getElementById('signup-password-strength'),
  () => [field('email').value, field('first_name').value, field('last_name').value])
addShowPasswordToggles(form)
recheckOnInput(form)

// null when the server has no captcha (CAPTCHA=off): then nothing changes on this page.
const captcha = setUpCaptcha(document.getElementById('signup-captcha')).catch(() => {
  setFormError(form, 'The human check could not be loaded. Reload the page to try again.')
  return null
})

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearErrors(form)
  if (!validate(form)) return
  // confirm_password is only checked here (it must match): the signup body has no such field.
  const { email, password, first_name: firstName, last_name: lastName, dob } = values(form)
  setBusy(form, true)
  const check = await captcha
  // A check still running is waited for; one not started is asked for.
  const altcha = check === null ? undefined : await check.solution()
  if (altcha === null) {
    setBusy(form, false)
    setFieldError(form, 'altcha', 'Tick “I\'m not a robot” first: the check takes a second or two.')
    check.focus()
    return
  }
  try {
    const session = await api('POST', '/api/v1/users', {
      body: { email, password, first_name: firstName, last_name: lastName, dob, altcha },
      auth: false
    })
    keepToken(session.jwt_token, false)
    location.assign('/account.html')
  } catch (error) {
    setBusy(form, false)
    // Whatever the refusal, the solution is used up: a new challenge is solved for the next try.
    check?.renew()
    if (error.status === 409) {
      setFieldError(form, 'email', 'An account with this email already exists. Log in instead, or use another email.')
      field('email').focus()
    } else if (check !== null && error.field === 'altcha') {
      setFieldError(form, 'altcha', `The human check ${error.problem}`)
      check.focus()
    } else {
      showApiError(form, error)
    }
  }
})
