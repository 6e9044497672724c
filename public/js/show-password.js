// A "Show" toggle after each password field, so a person can check what they typed. It is a real
// button (Tab reaches it, Space and Enter press it) whose name stays "Show <field>" while
// aria-pressed says whether the password is shown, as a toggle button should.

/** "Current password" → "current password", for a name read after "Show". */
const lowerFirst = (text) => text.charAt(0).toLowerCase() + text.slice(1)

function setShown (input, button, shown) {
  input.type = shown ? 'text' : 'password'
  button.setAttribute('aria-pressed', String(shown))
}

/** Adds the toggle to every password field of `form`; the form's reset hides them all again. */
export function addShowPasswordToggles (form) {
  const toggles = []
  for (const input of form.querySelectorAll('input[type="password"]')) {
    const button = document.createElement('button')
    button.type = 'button'
    button.id = `${input.id}-show`
    button.className = 'secondary show-password'
    button.textContent = 'Show'
    button.setAttribute('aria-label', `Show ${lowerFirst(input.labels[0].textContent.trim())}`)
    button.setAttribute('aria-controls', input.id)
    setShown(input, button, false)
    button.addEventListener('click', () => setShown(input, button, input.type === 'password'))

    // The input and its button side by side; the hints and errors stay below both.
    const row = document.createElement('div')
    row.className = 'password-row'
    input.replaceWith(row)
    row.append(input, button)
    toggles.push([input, button])
  }
  form.addEventListener('reset', () => {
    for (const [input, button] of toggles) setShown(input, button, false)
  })
}
