// On the account page: a banner while the address is not verified (with a button for a new
// link), and the address waiting to be confirmed while a change is under way.
import { api } from './api.js'

let banner

function ensureBanner () {
  if (banner !== undefined) return banner
  banner = document.createElement('section')
  banner.className = 'notice'
  banner.setAttribute('aria-live', 'polite')
  banner.setAttribute('aria-label', 'Your email address')
  const account = document.getElementById('account')
  account.prepend(banner)
  return banner
}

function paragraph (text) {
  const p = document.createElement('p')
  p.textContent = text
  return p
}

/** Shows or hides the banner for `user` (the User the API answered). */
export function showEmailBanner (user) {
  const parts = []
  if (!user.email_verified) {
    parts.push(paragraph(`Your email address ${user.email} is not verified yet: follow the link we mailed to it. ` +
      'Genetic results can only be added to a verified account.'))
    const status = paragraph('')
    const resend = document.createElement('button')
    resend.type = 'button'
    resend.className = 'secondary'
    resend.textContent = 'Mail me a new link'
    resend.addEventListener('click', async () => {
      resend.disabled = true
      try {
        await api('POST', '/api/v1/users/me/email-verification')
        status.textContent = 'A new link is on its way. It works for 24 hours.'
      } catch (error) {
        status.textContent = error.status === 429
          ? `A link was sent a short while ago. Try again in ${error.retryAfter ?? 60} seconds.`
          : error.message
      } finally {
        resend.disabled = false
      }
    })
    parts.push(resend, status)
  }
  if (user.pending_email !== null) {
    parts.push(paragraph(`Waiting for you to confirm ${user.pending_email}: follow the link we mailed there. ` +
      `Until then your address stays ${user.email}.`))
  }
  if (parts.length === 0) {
    banner?.remove()
    banner = undefined
    return
  }
  ensureBanner().replaceChildren(...parts)
}
