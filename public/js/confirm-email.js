// Follows the link mailed to a new address: the account takes that address. Other sessions of
// the account are logged out; the one that asked for the change stays.
import { api } from './api.js'
import { say, takeLinkToken } from './mailed-link.js'

const token = takeLinkToken()
const unusable = 'This link is invalid or has expired: a link works once, for 24 hours. ' +
  'Ask for the change again on your account page.'

if (token === null) {
  say(unusable)
} else {
  try {
    const user = await api('POST', '/api/v1/users/email-change/confirm', { body: { token }, auth: false })
    say(`Done: your account's email address is now ${user.email}. Use it to log in from now on.`)
  } catch (error) {
    if (error.status === 400) say(unusable)
    else if (error.status === 409) say('Another account took this address in the meantime, so your address stays as it was.')
    else say(`The link could not be checked: ${error.message}`)
  }
}
