// Follows a verification link: says that the address is verified, or that the link is invalid
// or has expired (a used link is invalid), with a button for a new one.
import { api } from './api.js'
import { storedToken } from './session.js'
import { say, takeLinkToken } from './mailed-link.js'

const again = document.getElementById('again')
const resend = document.getElementById('resend')
const token = takeLinkToken()

function linkUnusable () {
  say('This link is invalid or has expired: a link works once, for 24 hours. ' +
    (storedToken() === null ? 'Log in to ask for a new one.' : 'You can ask for a new one.'))
  again.hidden = false
}

resend.addEventListener('click', async () => {
  if (storedToken() === null) return location.assign('/login.html')
  resend.disabled = true
  try {
    await api('POST', '/api/v1/users/me/email-verification')
    say('A new link is on its way to your email address. It works for 24 hours.')
  } catch (error) {
    if (error.status === 409) say('Your email address is already verified.')
    else if (error.status === 429) say(`A link was sent a short while ago. Try again in ${error.retryAfter ?? 60} seconds.`)
    else say(error.message)
  } finally {
    resend.disabled = false
  }
})

if (token === null) {
  linkUnusable()
} else {
  try {
    const user = await api('POST', '/api/v1/users/email-verification/confirm', { body: { token }, auth: false })
    say(`Thank you: your email address ${user.email} is verified.`)
  } catch (error) {
    if (error.status === 400) linkUnusable()
    else say(`The link could not be checked: ${error.message}`)
  }
}
