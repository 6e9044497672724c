// The account page's "Passkeys" section: add one (named, created by the browser and its
// authenticator), see them, delete one. The WebAuthn calls go through @simplewebauthn/browser,
// served from this origin.
import { browserSupportsWebAuthn, startRegistration } from '/vendor/simplewebauthn/index.js'
import { api } from './api.js'
import { clearErrors, setBusy, setFormError, showApiError, validate, values } from './forms.js'

const $ = (id) => document.getElementById(id)
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })

/** What a browser's refusal means to the person: they cancelled, or this device cannot. */
function ceremonyProblem (error) {
  if (error.name === 'NotAllowedError') return 'No passkey was created: the request was cancelled or timed out.'
  if (error.name === 'InvalidStateError') return 'This device already holds a passkey for your account.'
  return `No passkey was created: ${error.message}`
}

/** Sets the section up; `onError` gets an API error that is not the form's (e.g. the session ended). */
export async function setUpPasskeys (onError) {
  const form = $('passkey-add-form')
  const list = $('passkeys-list')
  const said = $('passkeys-status')

  if (!browserSupportsWebAuthn()) {
    form.hidden = true
    said.textContent = 'This browser cannot use passkeys.'
  }

  const item = (passkey) => {
    const entry = document.createElement('li')
    entry.className = 'device'
    const name = document.createElement('strong')
    name.textContent = passkey.name
    const facts = document.createElement('span')
    const used = passkey.last_used_at === null ? 'not used yet' : `last used ${dayFormat.format(new Date(passkey.last_used_at))}`
    facts.textContent = ` · added ${dayFormat.format(new Date(passkey.created_at))} · ${used}`
    const remove = document.createElement('button')
    remove.type = 'button'
    remove.className = 'secondary'
    remove.textContent = 'Delete'
    remove.setAttribute('aria-label', `Delete the passkey ${passkey.name}`)
    remove.addEventListener('click', async () => {
      remove.disabled = true
      try {
        await api('DELETE', `/api/v1/users/me/passkeys/${passkey.id}`)
        said.textContent = `The passkey ${passkey.name} is deleted.`
      } catch (error) {
        remove.disabled = false
        if (error.status !== 404) {
          onError(error)
          return
        }
        said.textContent = `The passkey ${passkey.name} was already deleted.`
      }
      entry.remove()
      showEmpty()
    })
    entry.append(name, facts, ' ', remove)
    return entry
  }

  const showEmpty = () => {
    if (list.children.length === 0 && form.hidden === false) said.textContent ||= 'You have no passkeys yet.'
  }

  try {
    const { passkeys } = await api('GET', '/api/v1/users/me/passkeys')
    list.replaceChildren(...passkeys.map(item))
    showEmpty()
  } catch (error) {
    onError(error)
    return
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    clearErrors(form)
    if (!validate(form)) return
    const { name } = values(form)
    setBusy(form, true)
    try {
      const optionsJSON = await api('POST', '/api/v1/users/me/passkeys/options')
      let response
      try {
        response = await startRegistration({ optionsJSON })
      } catch (error) {
        setFormError(form, ceremonyProblem(error))
        return
      }
      const passkey = await api('POST', '/api/v1/users/me/passkeys', { body: { response, name } })
      list.append(item(passkey))
      form.reset()
      said.textContent = `The passkey ${passkey.name} is added: you can log in with it.`
    } catch (error) {
      if (error.status === 400 || error.status === 409) showApiError(form, error)
      else onError(error)
    } finally {
      setBusy(form, false)
    }
  })
}
