// The account page's "Two-factor authentication" section: turn TOTP on (a QR code to scan, drawn
// here as SVG, or a key to type, then a first code), see the recovery codes once (copy or download them), turn it off.
import { api } from './api.js'
import { clearErrors, setBusy, setFieldError, showApiError, validate, values } from './forms.js'

const $ = (id) => document.getElementById(id)

const SVG = 'http://www.w3.org/2000/svg'

/** The QR code as an SVG drawn here from its modules (one path, a quiet zone of 4 around it). */
export function qrSvg ({ size, modules }) {
  const svg = document.createElementNS(SVG, 'svg')
  const side = size + 8
  svg.setAttribute('viewBox', `0 0 ${side} ${side}`)
  svg.setAttribute('width', String(side * 5))
  svg.setAttribute('height', String(side * 5))
  svg.setAttribute('role', 'img')
  svg.setAttribute('aria-label', 'QR code of the key, for an authenticator app to scan')
  const background = document.createElementNS(SVG, 'rect')
  background.setAttribute('width', String(side))
  background.setAttribute('height', String(side))
  background.setAttribute('fill', '#fff')
  let d = ''
  for (let index = 0; index < modules.length; index++) {
    if (modules[index] === '1') d += `M${(index % size) + 4} ${Math.floor(index / size) + 4}h1v1h-1z`
  }
  const path = document.createElementNS(SVG, 'path')
  path.setAttribute('d', d)
  path.setAttribute('fill', '#000')
  svg.append(background, path)
  return svg
}

/** Sets the section up for the account as loaded; `onChange` gets the account after a change. */
export function setUpMfa (account, onChange) {
  const status = $('mfa-status')
  const enrolForm = $('mfa-enrol-form')
  const confirmForm = $('mfa-confirm-form')
  const disableForm = $('mfa-disable-form')
  const codesBox = $('mfa-recovery')

  const show = (enabled) => {
    status.textContent = enabled
      ? 'On: logging in asks for a code from your authenticator app after your password.'
      : 'Off: logging in needs your password alone.'
    enrolForm.hidden = enabled
    disableForm.hidden = !enabled
    confirmForm.hidden = true
  }
  show(account.mfa_enabled)

  enrolForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    clearErrors(enrolForm)
    if (!validate(enrolForm)) return
    setBusy(enrolForm, true)
    try {
      const { secret, otpauth_url: url, qr_code: qr } = await api('POST', '/api/v1/users/me/mfa/totp', { body: { current_password: values(enrolForm).current_password } })
      enrolForm.reset()
      enrolForm.hidden = true
      $('mfa-secret').textContent = secret.replace(/(.{4})/g, '$1 ').trim()
      $('mfa-link').href = url
      $('mfa-qr').replaceChildren(qrSvg(qr))
      confirmForm.hidden = false
      confirmForm.elements.namedItem('code').focus()
    } catch (error) {
      showApiError(enrolForm, error)
    } finally {
      setBusy(enrolForm, false)
    }
  })

  confirmForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    clearErrors(confirmForm)
    if (!validate(confirmForm)) return
    setBusy(confirmForm, true)
    try {
      const { recovery_codes: codes } = await api('POST', '/api/v1/users/me/mfa/totp/confirm', { body: { code: values(confirmForm).code } })
      confirmForm.reset()
      showRecoveryCodes(codes)
      show(true)
      onChange({ ...account, mfa_enabled: true })
    } catch (error) {
      if (error.status === 400 && error.field === 'code') setFieldError(confirmForm, 'code', 'Code is not right. Enter the code your app shows now.')
      else showApiError(confirmForm, error)
    } finally {
      setBusy(confirmForm, false)
    }
  })

  disableForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    clearErrors(disableForm)
    if (!validate(disableForm)) return
    setBusy(disableForm, true)
    try {
      const { current_password: password, code } = values(disableForm)
      await api('DELETE', '/api/v1/users/me/mfa/totp', { body: { current_password: password, code } })
      disableForm.reset()
      codesBox.hidden = true
      show(false)
      onChange({ ...account, mfa_enabled: false })
    } catch (error) {
      showApiError(disableForm, error)
    } finally {
      setBusy(disableForm, false)
    }
  })

  function showRecoveryCodes (codes) {
    const list = $('mfa-recovery-list')
    list.replaceChildren(...codes.map((code) => {
      const item = document.createElement('li')
      item.textContent = code
      return item
    }))
    const text = codes.join('\n') + '\n'
    const download = $('mfa-recovery-download')
    URL.revokeObjectURL(download.href)
    download.href = URL.createObjectURL(new Blob([text], { type: 'text/plain' }))
    $('mfa-recovery-copy').onclick = async () => {
      try {
        await navigator.clipboard.writeText(text)
        $('mfa-recovery-said').textContent = 'Copied.'
      } catch {
        $('mfa-recovery-said').textContent = 'Copying is not allowed here: select the codes, or download them.'
      }
    }
    codesBox.hidden = false
    codesBox.focus()
  }
}
