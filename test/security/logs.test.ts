import { Writable } from 'node:stream'
import t from 'tap'
import { loggerOptions } from '../../src/app.js'
import { auth, buildTestApp, PASSWORD, signUpAdmin, TEST_SECRET, testConfig, testDatabase } from '../helper.js'

// The most talkative log level, with the serializers the server uses, through the journeys that
// handle secrets: nothing secret may reach the log.
const db = await testDatabase(t)
const lines: string[] = []
const stream = new Writable({ write (chunk, _encoding, callback) { lines.push(...String(chunk).split('\n').filter(Boolean)); callback() } })
const app = await buildTestApp(t, db, {}, { logger: { ...loggerOptions(testConfig()) as object, level: 'trace', stream } })

const NEW_PASSWORD = 'new-Harbor-71-lantern'
const GENETICS = {
  genetic_result: { BRCA1: 'pathogenic-c.68_69delAG', APOE: 'e4/e4', markers: [{ rsid: 'rs429358', genotype: 'CT' }] },
  policy: 'POL-SECRET-2024-998877'
}

t.test('signup, login, password change and a genetics update leave no secret in the log', async (t) => {
  const admin = await signUpAdmin(app, db, { email: 'admin@example.com' })
  lines.length = 0
  const secrets: string[] = [PASSWORD, NEW_PASSWORD, TEST_SECRET, admin.token, 'pathogenic', 'e4/e4', 'rs429358', GENETICS.policy]

  const signup = await app.inject({
    method: 'POST',
    url: '/api/v1/users?source=newsletter',
    payload: { email: 'ada@example.com', password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' }
  })
  t.equal(signup.statusCode, 201)
  const { user } = signup.json()
  secrets.push(signup.json().jwt_token)

  const failed = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: `${PASSWORD}-wrong` } })
  t.equal(failed.statusCode, 401)
  const login = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: PASSWORD } })
  t.equal(login.statusCode, 200)
  const token = login.json().jwt_token as string
  secrets.push(token, `${PASSWORD}-wrong`)

  const weak = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(token), payload: { password: 'password123', current_password: PASSWORD } })
  t.equal(weak.statusCode, 400)
  const change = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(token), payload: { password: NEW_PASSWORD, current_password: PASSWORD } })
  t.equal(change.statusCode, 200)

  // Genetic results need a verified address (the link mailed at signup, followed).
  await db.query('UPDATE users SET email_verified = true WHERE id = $1', [user.id])
  const genetics = await app.inject({ method: 'PUT', url: `/api/v1/users/${user.id as number}/genetics`, headers: auth(admin.token), payload: GENETICS })
  t.equal(genetics.statusCode, 200)
  const read = await app.inject({ url: '/api/v1/users/me', headers: { 'api-token': token } })
  t.equal(read.json().policy, GENETICS.policy)
  const logout = await app.inject({ method: 'POST', url: '/api/v1/users/logout', headers: auth(token) })
  t.equal(logout.statusCode, 204)

  const { rows } = await db.query<{ password_hash: string }>('SELECT password_hash FROM users')
  secrets.push(...rows.map((row) => row.password_hash))
  for (const jwt of secrets.filter((secret) => secret.startsWith('eyJ'))) secrets.push(...jwt.split('.'))

  t.equal(lines.filter((line) => JSON.parse(line).msg === 'request completed').length, 8, 'every request was logged')
  const log = lines.join('\n')
  for (const secret of secrets) t.notOk(log.includes(secret), `the log does not contain ${secret.slice(0, 12)}…`)
  t.notMatch(log, /\$2[aby]\$/, 'no bcrypt hash of any kind')
  t.notMatch(log, /newsletter/, 'no query string')
  t.notMatch(log, /ada@example\.com/, 'no email address either')
})
