import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { MAX_DEPTH } from '../../../src/plugins/app/input-guard.js'
import { auth, buildTestApp, resetData, signUp, testDatabase } from '../../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
app.get('/test-only/echo/:word', async (request) => request.params)
t.beforeEach(async () => { await resetData(db) })

/** JSON as a client may send it: escapes such as \u0000 or a lone \ud800 are valid JSON. */
const raw = async (token: string, json: string): Promise<LightMyRequestResponse> =>
  await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: { ...auth(token), 'content-type': 'application/json' }, payload: json })

const UNSTORABLE = 'contains a NUL character or invalid Unicode, which cannot be stored'

t.test('text PostgreSQL cannot store is a 400 naming where it is, and nothing is stored', async (t) => {
  const { token, user } = await signUp(app)
  const cases: Array<[string, string]> = [
    ['{"first_name": "A\\u0000da"}', `body/first_name ${UNSTORABLE}`],
    ['{"first_name": "Ada \\ud800"}', `body/first_name ${UNSTORABLE}`],
    ['{"first_name": "\\udc00Ada"}', `body/first_name ${UNSTORABLE}`],
    ['{"last_name": "\\udc00\\ud800"}', `body/last_name ${UNSTORABLE}`],
    ['{"last_name": "Lovelace", "notes": {"lines": ["fine", "\\u0000"]}}', `body/notes/lines/1 ${UNSTORABLE}`],
    ['{"first\\u0000name": "Ada"}', 'body has a field name with a NUL character or invalid Unicode'],
    ['{"notes": {"\\ud800": 1}}', 'body/notes has a field name with a NUL character or invalid Unicode']
  ]
  for (const [json, message] of cases) {
    const response = await raw(token, json)
    t.equal(response.statusCode, 400, json)
    t.same(response.json(), { statusCode: 400, error: 'Bad Request', message }, json)
  }
  const { rows } = await db.query('SELECT first_name, last_name FROM users WHERE id = $1', [user.id])
  t.same(rows, [{ first_name: user.first_name, last_name: user.last_name }])
})

t.test('characters outside the Basic Multilingual Plane, as surrogate pairs, are stored as sent', async (t) => {
  const { token, user } = await signUp(app)
  const response = await raw(token, '{"first_name": "Ada \\ud83e\\uddec"}')
  t.equal(response.statusCode, 200)
  t.equal(response.json().first_name, 'Ada 🧬')
  const { rows } = await db.query('SELECT first_name FROM users WHERE id = $1', [user.id])
  t.same(rows, [{ first_name: 'Ada 🧬' }])
})

t.test(`a body nested more than ${MAX_DEPTH} levels deep is refused before anything walks it further`, async (t) => {
  const { token } = await signUp(app)
  const nested = (levels: number): string => `${'{"x": '.repeat(levels)}{}${'}'.repeat(levels)}`
  const deep = await raw(token, nested(MAX_DEPTH))
  t.equal(deep.statusCode, 400)
  t.equal(deep.json().message, `body${'/x'.repeat(MAX_DEPTH)} is nested too deeply (more than ${MAX_DEPTH} levels)`)
  const arrays = await raw(token, `${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}`)
  t.equal(arrays.json().message, `body${'/0'.repeat(MAX_DEPTH)} is nested too deeply (more than ${MAX_DEPTH} levels)`, 'arrays count as levels too')
  const limit = await raw(token, nested(MAX_DEPTH - 1))
  t.equal(limit.json().message, 'body/x is not a known field', `${MAX_DEPTH} levels pass the guard (and then fail validation)`)
})

t.test('the query string and path parameters are checked too', async (t) => {
  const { token } = await signUp(app)
  const query = await app.inject({ url: '/api/v1/users/me?note=%00', headers: auth(token) })
  t.equal(query.statusCode, 400)
  t.equal(query.json().message, `querystring/note ${UNSTORABLE}`)
  const key = await app.inject({ url: '/api/v1/users/me?a%00b=1', headers: auth(token) })
  t.equal(key.json().message, 'querystring has a field name with a NUL character or invalid Unicode')
  const param = await app.inject({ url: '/test-only/echo/a%00b' })
  t.equal(param.statusCode, 400)
  t.equal(param.json().message, `params/word ${UNSTORABLE}`)
  t.same((await app.inject({ url: '/test-only/echo/caf%C3%A9' })).json(), { word: 'café' }, 'while ordinary text passes')
})
