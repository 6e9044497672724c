// client/example.ts, which the README shows, runs as shown against a real listening server.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp, testDatabase } from '../helper.js'
import { childEnv, nodeArgs } from '../support.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
await app.listen({ port: 0, host: '127.0.0.1' })
const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

t.test('the README shows client/example.ts as it is', async (t) => {
  const example = readFileSync('client/example.ts', 'utf8')
  t.ok(readFileSync('README.md', 'utf8').includes(`\`\`\`ts\n${example}\`\`\`\n`), 'copy client/example.ts into the README')
})

/** Runs the example as the README does: `API_URL=… npx tsx client/example.ts`. */
async function runExample (apiUrl: string | undefined): Promise<{ code: unknown, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, nodeArgs('client/example.ts'), { env: childEnv({ API_URL: apiUrl }), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise((resolve) => child.once('close', resolve))
  return { code, stdout, stderr }
}

t.test('client/example.ts signs up, logs in, reads and changes the account and logs out', async (t) => {
  const { code, stdout, stderr } = await runExample(url)
  t.equal(code, 0, stderr)
  t.match(stdout.split('\n'), [
    /^signed up as user \d+$/,
    'logged in; the token expires in 3600 s',
    /^I am Ada Lovelace <ada\.\d+@example\.com>, policy: null$/,
    'now Ada King',
    'after logout: 401',
    ''
  ])
  const { rows } = await db.query<{ last_name: string }>('SELECT last_name FROM users')
  t.same(rows, [{ last_name: 'King' }], 'the change is in the database')
})

t.test('client/example.ts stops at the first failed call with the error the service gave', async (t) => {
  // Not the API's address: every path there is unknown, so the first call, the signup, gets a 404.
  const { code, stdout, stderr } = await runExample(`${url}/elsewhere`)
  t.not(code, 0)
  t.equal(stdout, '')
  t.match(stderr, 'signup failed: 404 no route for POST /elsewhere/api/v1/users')
})

t.test('client/example.ts without API_URL says what to set', async (t) => {
  const { code, stdout, stderr } = await runExample(undefined)
  t.not(code, 0)
  t.equal(stdout, '')
  t.match(stderr, 'set API_URL to the service\'s address')
})
