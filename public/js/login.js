// The login page: email, password, "Remember me", then the code of an account with a second
// factor; or a passkey instead of all that. Wrong credentials never say which part was wrong; a locked account (429) shows a countdown and the button stays disabled until it ends.
import { browserSupportsWebAuthn, startAuthentication } from '/vendor/simplewebauthn/index.js'
import { api } from './api.js'
import { clearErrors, recheckOnInput, setBusy, setFieldError, setFormError, showApiError, validate, values } from './forms.js'
import { keepToken, storedToken, takeNotice } from './session.js'
import { addShowPasswordToggles } from './show-password.js'

const form = document.getElementById('login-form')
const codeForm = document.getElementById('code-form')
const submit = form.querySelector('button[type="submit"]')
const lock = document.getElementById('lock')
const countdown = document.getElementById('lock-countdown')
const notice = document.getElementById('notice')
let lockTimer

// Someone already logged in (e.g. remembered on this device) goes straight to their account.
if (storedToken() !== null) location.replace('/account.html')

// Why the person is here (logged out, session ended…), until the page has something new to say.
const reason = takeNotice()
if (reason !== null) {
  notice.textContent = reason
  notice.hidden = false
}

/** One message at a time: each attempt's outcome replaces whatever the page said before. */
function clearMessages () {
  notice.textContent = ''
  notice.hidden = true
  clearErrors(form)
}

addShowPasswordToggles(form)
recheckOnInput(form)

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearMessages()
  if (!validate(form)) return
  const { email, password, remember_me: remember } = values(form)
  setBusy(form, true)
  try {
    const body = { email, password }
    if (remember) body.remember_me = true
    const session = await api('POST', '/api/v1/users/login', { body, auth: false })
    if (session.mfa_required === true) {
      askForCode(session.mfa_token, remember)
      return
    }
    keepToken(session.jwt_token, remember)
    location.assign('/account.html')
  } catch (error) {
    setBusy(form, false)
    if (error.status === 401) {
      setFormError(form, 'The email or password is not right. Check both and try again.')
      form.elements.namedItem('password').select()
    } else if (error.status === 429) {
      lockFor(error.retryAfter ?? 60)
    } else {
      showApiError(form, error)
    }
  }
})

const passkeyBox = document.getElementById('passkey-login')
const passkeyButton = document.getElementById('passkey-login-button')
const passkeyError = document.getElementById('passkey-login-error')
const passkeysWork = browserSupportsWebAuthn()
passkeyBox.hidden = !passkeysWork

/** A passwordless login: the browser offers the passkeys it holds for this site. */
passkeyButton.addEventListener('click', async () => {
  clearMessages()
  passkeyError.textContent = ''
  passkeyButton.disabled = true
  try {
    const optionsJSON = await api('POST', '/api/v1/users/login/passkey/options', { auth: false })
    let response
    try {
      response = await startAuthentication({ optionsJSON })
    } catch (error) {
      passkeyError.textContent = error.name === 'NotAllowedError'
        ? 'No passkey was used: the request was cancelled or timed out.'
        : `No passkey was used: ${error.message}`
      return
    }
    const session = await api('POST', '/api/v1/users/login/passkey', { body: { response }, auth: false })
    keepToken(session.jwt_token, false)
    location.assign('/account.html')
  } catch (error) {
    if (error.status === 429) {
      lockFor(error.retryAfter ?? 60)
    } else if (error.status === 400) {
      passkeyError.textContent = `That passkey could not sign you in (${error.message}). If you deleted it from your account, use your password.`
    } else {
      passkeyError.textContent = error.message
    }
  } finally {
    passkeyButton.disabled = false
  }
})

/**
 * The password was right and the account has a second factor: the code form takes over. Six
 * digits are a code from the authenticator app; anything else is tried as a recovery code.
 */
function askForCode (mfaToken, remember) {
  setBusy(form, false)
  form.hidden = true
  passkeyBox.hidden = true
  codeForm.hidden = false
  codeForm.elements.namedItem('code').focus()
  codeForm.onsubmit = async (event) => {
    event.preventDefault()
    clearErrors(codeForm)
    if (!validate(codeForm)) return
    const entered = codeForm.elements.namedItem('code').value.replace(/\s/g, '')
    const body = /^\d{6}$/.test(entered) ? { mfa_token: mfaToken, code: entered } : { mfa_token: mfaToken, recovery_code: entered }
    setBusy(codeForm, true)
    try {
      const session = await api('POST', '/api/v1/users/login/mfa', { body, auth: false })
      keepToken(session.jwt_token, remember)
      location.assign('/account.html')
    } catch (error) {
      setBusy(codeForm, false)
      if (error.status === 400) {
        setFieldError(codeForm, 'code', 'Code must be the 6 digits of your authenticator app, or a recovery code like 7k2m-9qxa-4r8t-wn3e')
      } else if (error.status === 401 && error.field === undefined) {
        // The mfa_token expired (5 minutes) or was used: start again from the password.
        codeForm.hidden = true
        form.hidden = false
        passkeyBox.hidden = !passkeysWork
        setFormError(form, 'That took too long. Please log in again.')
        form.elements.namedItem('password').select()
      } else if (error.status === 401) {
        setFieldError(codeForm, 'code', 'Code is not right, or was already used. Check your app and try again.')
        codeForm.elements.namedItem('code').select()
      } else if (error.status === 429) {
        codeForm.hidden = true
        form.hidden = false
        passkeyBox.hidden = !passkeysWork
        lockFor(error.retryAfter ?? 60)
      } else {
        showApiError(codeForm, error)
      }
    }
  }
}

/** Shows the lock and counts down to its end, with the button disabled until then. */
function lockFor (seconds) {
  const end = Date.now() + seconds * 1000
  clearInterval(lockTimer)
  submit.disabled = true
  lock.hidden = false
  const tick = () => {
    const left = Math.max(0, Math.ceil((end - Date.now()) / 1000))
    countdown.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`
    if (left === 0) {
      clearInterval(lockTimer)
      lock.hidden = true
      submit.disabled = false
    }
  }
  tick()
  lockTimer = setInterval(tick, 250)
}
