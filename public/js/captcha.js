// The signup captcha: an ALTCHA proof of work, shown only when the server asks for one. The page
// asks GET /api/v1/captcha/status, which answers 200 either way (the challenge URL's 404 when the
// captcha is off would be a console error on every load): with `required: true` (CAPTCHA=on) the
// widget goes into the form and gets its own challenges; otherwise the page stays as it is,
// without loading anything more.
//
// The widget is served from this origin (/vendor/altcha/: the package's `external` build, whose
// styles are a stylesheet and whose workers are files, not inline code or blob: URLs) and runs
// under the pages' CSP with Trusted Types: a policy of ours vouches for the one worker URL it may
// start, and the widget's footer and logo, which it writes with innerHTML, are switched off.
import { api } from './api.js'
import { setFieldError } from './forms.js'

const CHALLENGE_URL = '/api/v1/captcha'
const STATUS_URL = '/api/v1/captcha/status'
/** The form field the widget puts its solution in: the signup body's field of that name. */
const FIELD = 'altcha'
const VENDOR = '/vendor/altcha'
const WORKER_URL = `${VENDOR}/workers/pbkdf2.js`
/** The algorithm of the server's challenges (src/plugins/captcha.ts). */
const ALGORITHM = 'PBKDF2/SHA-256'

/** What the status line says in each of the widget's states. */
const STATUS = {
  unverified: '',
  verifying: 'Checking… this takes a second or two.',
  verified: 'Done: you can create your account.',
  expired: 'The check has expired. Tick the box again.',
  error: 'The check did not work. Tick the box to try again.'
}

/**
 * Sets the captcha up in `group` (a hidden fieldset with a status line) when the server wants
 * one. Resolves to null when it does not, or else to the widget's controls for the form.
 */
export async function setUpCaptcha (group) {
  let required
  try {
    ({ required } = await api('GET', STATUS_URL, { auth: false }))
  } catch {
    // The page cannot tell, and leaves the server to say (a signup it refuses for want of a
    // captcha shows that message).
    return null
  }
  if (required !== true) return null
  await Promise.all([stylesheet(`${VENDOR}/external/altcha.css`), import(`${VENDOR}/external/altcha.js`)])

  // Before any widget exists: the worker it starts, through the policy, and no innerHTML footer.
  const policy = globalThis.trustedTypes?.createPolicy('altcha-worker', {
    createScriptURL (url) {
      if (url !== WORKER_URL) throw new TypeError(`unexpected worker URL: ${url}`)
      return url
    }
  })
  const { $altcha } = globalThis
  $altcha.algorithms.set(ALGORITHM, () => new Worker(policy?.createScriptURL(WORKER_URL) ?? WORKER_URL))
  $altcha.defaults.set({ hideFooter: true, hideLogo: true })

  const widget = document.createElement('altcha-widget')
  widget.setAttribute('challenge', CHALLENGE_URL)
  widget.setAttribute('name', FIELD)
  const loaded = new Promise((resolve) => widget.addEventListener('load', resolve, { once: true }))
  const status = group.querySelector('[role="status"]')
  status.before(widget)
  group.hidden = false
  await loaded

  const checkbox = widget.querySelector('input[type="checkbox"]')
  const error = group.querySelector(`[data-error-for="${FIELD}"]`)
  checkbox.setAttribute('aria-describedby', `${group.getAttribute('aria-describedby')} ${error.id}`)
  // Ticking the box answers whatever the message said about the previous check.
  checkbox.addEventListener('change', () => setFieldError(group.form, FIELD, ''))
  widget.addEventListener('statechange', (event) => {
    const text = STATUS[event.detail.state] ?? ''
    if (status.textContent !== text) status.textContent = text
  })

  /** Resolves once the check under way (if any) has ended, one way or the other. */
  const settled = () => new Promise((resolve) => {
    if (widget.getState() !== 'verifying') return resolve()
    widget.addEventListener('statechange', function done (event) {
      if (event.detail.state === 'verifying') return
      widget.removeEventListener('statechange', done)
      resolve()
    })
  })

  return {
    /** The solved challenge for the signup's `altcha` field, once a check under way ends; null when unsolved. */
    async solution () {
      await settled()
      return widget.getState() === 'verified' ? widget.querySelector(`input[name="${FIELD}"]`).value : null
    },
    /** Each solution serves one signup attempt: after a refused one, solve a new challenge. */
    renew () {
      widget.reset()
      widget.verify()
    },
    focus () {
      checkbox.focus()
    }
  }
}

/** Adds a stylesheet to the page; resolves once it applies. */
function stylesheet (href) {
  return new Promise((resolve, reject) => {
    const link = document.createElement('link')
    link.rel = 'stylesheet'
    link.href = href
    link.addEventListener('load', resolve, { once: true })
    link.addEventListener('error', () => reject(new Error(`${href} did not load`)), { once: true })
    document.head.append(link)
  })
}
