// A quick, local estimate of how hard a new password is to guess, shown as the person types. It
// is only a hint: the server makes the real check (zxcvbn) and may still refuse a password.

const COMMON = [
  'password', 'passw0rd', 'qwerty', 'azerty', 'letmein', 'welcome', 'admin', 'login', 'dragon',
  'monkey', 'football', 'baseball', 'sunshine', 'princess', 'iloveyou', 'master', 'shadow',
  'superman', 'trustno1', 'secret', 'abc123', 'summer', 'winter', 'spring', 'autumn', 'genetic', 'dna'
]
const SEQUENCES = ['abcdefghijklmnopqrstuvwxyz', '01234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm']
const LABELS = ['Too weak', 'Weak', 'Fair', 'Good', 'Strong']

/** Removes runs of 3+ characters that follow a keyboard row or the alphabet, either way. */
function withoutSequences (text) {
  let result = text
  for (const sequence of SEQUENCES) {
    for (const line of [sequence, [...sequence].reverse().join('')]) {
      for (let length = line.length; length >= 3; length--) {
        for (let start = 0; start + length <= line.length; start++) {
          result = result.split(line.slice(start, start + length)).join('')
        }
      }
    }
  }
  return result
}

/**
 * Score 0–4 with a label and a tip. `personal` holds the person's own words (email, names), which
 * count for nothing, like common words, keyboard runs and repeated characters.
 */
export function estimateStrength (password, personal = []) {
  if (password === '') return { score: 0, label: '', tip: '' }
  let rest = password.toLowerCase()
  let tip // the first reason found is the one shown
  const words = personal.flatMap((word) => word.toLowerCase().split(/[@._+\-\s]/)).filter((word) => word.length > 2)
  for (const word of words) {
    if (rest.includes(word)) tip ??= 'Avoid your name or email in your password.'
    rest = rest.split(word).join('')
  }
  for (const word of COMMON) {
    if (rest.includes(word)) tip ??= 'Avoid common words and passwords.'
    rest = rest.split(word).join('')
  }
  const unsequenced = withoutSequences(rest)
  if (unsequenced.length < rest.length) tip ??= 'Avoid keyboard runs and sequences like abc or 123.'
  rest = unsequenced.replace(/(.)\1+/g, '$1')

  let pool = 0
  if (/[a-z]/.test(password)) pool += 26
  if (/[A-Z]/.test(password)) pool += 26
  if (/\d/.test(password)) pool += 10
  if (/[^a-zA-Z\d]/.test(password)) pool += 33
  const bits = [...rest].length * Math.log2(Math.max(pool, 10))
  const tooShort = [...password].length < 10
  const score = tooShort ? 0 : bits < 30 ? 1 : bits < 45 ? 2 : bits < 65 ? 3 : 4
  if (tooShort) tip = 'Use at least 10 characters.'
  tip ??= 'Longer is stronger: try three or four unrelated words.'
  return { score, label: LABELS[score], tip: score >= 3 ? '' : tip }
}

/** Wires a password input to a <meter> and a text element that show the estimate. */
export function showStrength (input, meter, output, personal = () => []) {
  const update = () => {
    const { score, label, tip } = estimateStrength(input.value, personal())
    meter.value = score
    const text = label === '' ? '' : `Strength: ${label}.${tip === '' ? '' : ` ${tip}`}`
    // Only announced when it changes, not on every key.
    if (output.textContent !== text) output.textContent = text
  }
  input.addEventListener('input', update)
  update()
}
