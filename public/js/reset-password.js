// Sets a new password with the token of a reset link, then continues to the account page,
// logged in. A weak password can be corrected: the link stays usable until a password is set.
import { api } from './api.js'
import { clearErrors, recheckOnInput, setBusy, showApiError, validate, values } from './forms.js'
import { keepToken } from './session.js'
import { BAD_LINK, say, takeLinkToken } from './mailed-link.js'

const form = document.getElementById('reset-form')
const again = document.getElementById('again')
const token = takeLinkToken()

function linkUnusable () {
  form.hidden = true
  again.hidden = false
  say('This link is invalid or has expired (a link works once, for 30 minutes). Ask for a new one.')
  document.getElementById('new-link').focus()
}

document.getElementById('new-link').addEventListener('click', () => location.assign('/forgot-password.html'))
if (token === null) linkUnusable()
recheckOnInput(form)

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearErrors(form)
  if (!validate(form)) return
  const { password } = values(form)
  setBusy(form, true)
  try {
    const session = await api('POST', '/api/v1/users/password-reset/confirm', { body: { token, password }, auth: false })
    keepToken(session.jwt_token, false)
    location.assign('/account.html')
  } catch (error) {
    setBusy(form, false)
    if (error.status === 400 && error.message === BAD_LINK) linkUnusable()
    else showApiError(form, error)
  }
})
