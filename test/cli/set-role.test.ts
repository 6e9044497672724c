// What `make admin` tells the operator of the new admin's second factor: a passkey is one.
import t from 'tap'
import { NO_SECOND_FACTOR, setRole } from '../../src/cli/set-role.js'
import { auth, buildTestApp, resetData, signUp, testDatabase } from '../helper.js'
import { SoftAuthenticator } from '../webauthn-support.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db, { PUBLIC_URL: 'https://dna.example.com' })
t.beforeEach(async () => await resetData(db))

t.test('an account with a passkey is promoted without the note; one without gets it', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  await signUp(app, { email: 'grace@example.com' })
  const options = await app.inject({ method: 'POST', url: '/api/v1/users/me/passkeys/options', headers: auth(token) })
  const response = new SoftAuthenticator().register({ challenge: options.json().challenge, origin: 'https://dna.example.com', rpId: 'dna.example.com' })
  const added = await app.inject({ method: 'POST', url: '/api/v1/users/me/passkeys', headers: auth(token), payload: { response, name: 'Laptop' } })
  t.equal(added.statusCode, 201)

  t.equal(await setRole(db, 'ada@example.com', 'admin'), `ada@example.com (id ${user.id}) is now an admin (was user)`)
  t.match(await setRole(db, 'grace@example.com', 'admin'), NO_SECOND_FACTOR)
})
