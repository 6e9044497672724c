// "Forgot your password?": asks for a reset link. The answer is the same whether or not an
// account has the address, so the page says what happens next in either case.
import { api } from './api.js'
import { clearErrors, recheckOnInput, setBusy, showApiError, validate, values } from './forms.js'
import { say } from './mailed-link.js'

const form = document.getElementById('forgot-form')
recheckOnInput(form)

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearErrors(form)
  if (!validate(form)) return
  const { email } = values(form)
  setBusy(form, true)
  try {
    await api('POST', '/api/v1/users/password-reset', { body: { email }, auth: false })
    say(`If an account has the address ${email}, a link to choose a new password is on its way. ` +
      'It works for 30 minutes. Check your spam folder if nothing arrives within a few minutes.')
    form.reset()
  } catch (error) {
    if (error.status === 429) {
      const minutes = Math.max(1, Math.ceil((error.retryAfter ?? 60) / 60))
      say(`Too many links were asked for. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, or use the last link you received.`)
    } else {
      showApiError(form, error)
    }
  } finally {
    setBusy(form, false)
  }
})
