// Where the browser keeps the token: sessionStorage (gone when the tab closes) by default, or
// localStorage when "Remember me" asked for the long-lived token. Never in a URL or a cookie, so
// it is neither logged by servers and proxies nor sent along with requests the page did not make.

const TOKEN_KEY = 'dna-api.token'
const NOTICE_KEY = 'dna-api.notice'

export function storedToken () {
  return sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY)
}

export function keepToken (token, remember) {
  forgetToken()
  const storage = remember ? localStorage : sessionStorage
  storage.setItem(TOKEN_KEY, token)
}

export function forgetToken () {
  sessionStorage.removeItem(TOKEN_KEY)
  localStorage.removeItem(TOKEN_KEY)
}

/** A message for the next page of this tab (e.g. why the person is back at the login page). */
export function leaveNotice (text) {
  sessionStorage.setItem(NOTICE_KEY, text)
}

export function takeNotice () {
  const text = sessionStorage.getItem(NOTICE_KEY)
  sessionStorage.removeItem(NOTICE_KEY)
  return text
}
