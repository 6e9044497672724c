// The token of a mailed link sits in the URL's fragment (`#token=…`), which the browser never
// sends to a server. It is read once and taken off the address bar, so it is neither left in
// the history nor copied along with the address.

export const BAD_LINK = 'token is invalid or has expired'

/** The token from the fragment, or null; the fragment is removed either way. */
export function takeLinkToken () {
  const token = new URLSearchParams(location.hash.slice(1)).get('token')
  if (location.hash !== '') history.replaceState(null, '', location.pathname)
  return token === null || token === '' ? null : token
}

/** Puts `text` in the page's aria-live status line. */
export function say (text) {
  const status = document.getElementById('status')
  status.textContent = text
  status.hidden = false
}
