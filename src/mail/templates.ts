// What each mail says, as a text and an HTML part. No remote images, no tracking, nothing the
// account holder typed (a name could carry a phishing line into someone else's inbox), never a
// genetic result, a policy number or a password.
import type { MailParams } from '../db/outbox.js'

export const SERVICE_NAME = 'dna-api'

export interface RenderedMail {
  subject: string
  text: string
  html: string
}

interface Template {
  subject: string
  /** Paragraphs; `{link}` is where the link goes, on a line of its own. */
  body: string[]
  /** The page the link opens (its token goes in the fragment), and for how long it works. */
  link?: { page: string, validFor: string }
  notYou: string
}

const TEMPLATES: Record<string, Template> = {
  verify_email: {
    subject: `Confirm your email address for ${SERVICE_NAME}`,
    body: [`An account at ${SERVICE_NAME} was created with this email address. Open this link to confirm that the address is yours:`],
    link: { page: 'verify-email.html', validFor: '24 hours' },
    notYou: 'If you did not create this account, ignore this mail: the address stays unconfirmed.'
  },
  reset_password: {
    subject: `Reset your ${SERVICE_NAME} password`,
    body: ['Someone asked to reset the password of the account with this email address. Open this link to choose a new password:'],
    link: { page: 'reset-password.html', validFor: '30 minutes' },
    notYou: 'If this was not you, ignore this mail: your password stays as it is, and nobody can use the link but you.'
  },
  email_change_confirm: {
    subject: `Confirm your new email address for ${SERVICE_NAME}`,
    body: [`Someone asked to change the email address of an account at ${SERVICE_NAME} to this address. Open this link to confirm it:`],
    link: { page: 'confirm-email.html', validFor: '24 hours' },
    notYou: 'If this was not you, ignore this mail: nothing changes unless the link is opened.'
  },
  email_change_notice: {
    subject: `Your ${SERVICE_NAME} email address is being changed`,
    body: ['Someone logged in to your account asked to change its email address. The change happens only once the new address is confirmed; until then your account keeps this one.'],
    notYou: 'If this was not you, log in and change your password now: whoever asked knows it.'
  },
  password_changed: {
    subject: `Your ${SERVICE_NAME} password was changed`,
    body: ['The password of your account was changed, and every other session of the account was logged out.'],
    notYou: 'If this was not you, reset your password at once with "Forgot your password?" on the login page.'
  },
  mfa_enabled: {
    subject: `Two-factor authentication is on for your ${SERVICE_NAME} account`,
    body: ['Two-factor authentication was turned on for your account: logging in now needs a code from your authenticator app (or a recovery code) after the password.'],
    notYou: 'If this was not you, reset your password at once with "Forgot your password?" on the login page: someone else is logged in to your account.'
  },
  mfa_disabled: {
    subject: `Two-factor authentication is off for your ${SERVICE_NAME} account`,
    body: ['Two-factor authentication was turned off for your account: logging in needs the password alone again.'],
    notYou: 'If this was not you, reset your password at once with "Forgot your password?" on the login page, then turn two-factor authentication on again.'
  },
  new_device_login: {
    subject: `A new device logged in to your ${SERVICE_NAME} account`,
    body: ['Your account was just logged in to from a device or a network it had not been used from before. The account page lists every session under "Devices".'],
    notYou: 'If this was not you, log in, end that session under "Devices" and change your password.'
  },
  password_reset_notice: {
    subject: `Your ${SERVICE_NAME} password was reset`,
    body: ['The password of your account was reset through a link mailed to this address, and every other session of the account was logged out.'],
    notYou: 'If this was not you, reset your password at once with "Forgot your password?" on the login page: someone can read your mail.'
  }
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

/** The mail for an outbox row; throws for a template this version does not know. */
export function renderMail (template: string, params: MailParams, publicUrl: string): RenderedMail {
  if (!Object.hasOwn(TEMPLATES, template)) throw new Error(`no mail template named ${template}`)
  const found = TEMPLATES[template]
  const link = found.link === undefined
    ? []
    : [`${publicUrl}/${found.link.page}#token=${params.token}`, `The link works once, for ${found.link.validFor}.`]
  const paragraphs = [...found.body, ...link, found.notYou, `— ${SERVICE_NAME}`]

  const text = paragraphs.join('\n\n') + '\n'
  const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(found.subject)}</title></head>\n<body>\n` +
    paragraphs.map((line, index) => link.length > 0 && index === found.body.length
      ? `<p><a href="${escapeHtml(line)}">${escapeHtml(line)}</a></p>`
      : `<p>${escapeHtml(line)}</p>`).join('\n') +
    '\n</body></html>\n'
  return { subject: found.subject, text, html }
}
