// The account page's "Devices" section: every live session of the account, its browser and
// system in words, address and last use, "this device" for the one in use, and a button to end it.
import { api } from './api.js'

const $ = (id) => document.getElementById(id)
const momentFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

const BROWSERS = [[/Edg\//, 'Edge'], [/OPR\//, 'Opera'], [/Firefox\//, 'Firefox'], [/Chrom(e|ium)\//, 'Chrome'], [/Safari\//, 'Safari']]
const SYSTEMS = [[/Windows/, 'Windows'], [/iPhone|iPad/, 'iOS'], [/Android/, 'Android'], [/Mac OS X|Macintosh/, 'macOS'], [/CrOS/, 'ChromeOS'], [/Linux/, 'Linux']]

/** "Firefox on Windows", from a User-Agent; what cannot be told is said so. */
export function describeDevice (userAgent) {
  if (userAgent === null || userAgent === '') return 'An unknown device'
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1]
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1]
  if (browser === undefined && system === undefined) return 'An unknown browser'
  return `${browser ?? 'A browser'}${system === undefined ? '' : ` on ${system}`}`
}

/** Lists the sessions; `onEndedHere` runs when the person ends the session in use. */
export async function showDevices (onError, onEndedHere) {
  const list = $('devices-list')
  const said = $('devices-status')
  let sessions
  try {
    ({ sessions } = await api('GET', '/api/v1/users/me/sessions'))
  } catch (error) {
    onError(error)
    return
  }
  list.replaceChildren(...sessions.map((session) => {
    const item = document.createElement('li')
    item.className = 'device'
    const name = document.createElement('strong')
    name.textContent = describeDevice(session.user_agent)
    const facts = document.createElement('span')
    const factor = session.second_factor === null ? '' : ', with a second factor'
    facts.textContent = ` · ${session.ip ?? 'unknown address'} · last used ${momentFormat.format(new Date(session.last_used_at))}${factor}`
    item.append(name, facts)
    if (session.current) {
      const here = document.createElement('span')
      here.className = 'badge'
      here.textContent = ' (this device)'
      item.append(here)
    }
    const end = document.createElement('button')
    end.type = 'button'
    end.className = 'secondary'
    end.textContent = 'End'
    end.setAttribute('aria-label', `End the session of ${name.textContent}${session.current ? ' (this device)' : ''}`)
    end.addEventListener('click', async () => {
      end.disabled = true
      try {
        await api('DELETE', `/api/v1/users/me/sessions/${session.id}`)
        if (session.current) {
          onEndedHere()
          return
        }
        item.remove()
        said.textContent = `${name.textContent} is logged out.`
      } catch (error) {
        end.disabled = false
        if (error.status === 404) {
          item.remove()
          said.textContent = 'That session had already ended.'
        } else {
          onError(error)
        }
      }
    })
    item.append(' ', end)
    return item
  }))
}
