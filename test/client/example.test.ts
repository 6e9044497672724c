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

t.test('client/example.ts signs up, logs in, reads and changes the account and logs out', async (t) => {
  // As the README runs it: `API_URL=… npx tsx client/example.ts`.
  const child = spawn(process.execPath, nodeArgs('client/example.ts'), { env: childEnv({ API_URL: url }), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise((resolve) => child.once('close', resolve))
  t.equal(code, 0, stderr)
  t.match(stdout.split('\n'), [
    /^signed up as user \d+$/,
    'logged in; the token expires in 3600 s',
    /^I am Ada Lovelace <ada\.\d+@example\.com>, policy: none yet$/,
    'now Ada King',
    /^after logout: 401 \S/,
    ''
  ])
  const { rows } = await db.query<{ last_name: string }>('SELECT last_name FROM users')
  t.same(rows, [{ last_name: 'King' }], 'the change is in the database')
})
