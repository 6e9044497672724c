// The server's logs when things go wrong or a person is watching: a process of its own, on a
// migrated data directory of its own.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { openDatabase } from '../src/db/database.js'
import { migrate } from '../src/db/migrations.js'
import { childEnv, LISTENING, logLines, nodeArgs, startCli, tempDir } from './support.js'

const dataDir = join(tempDir(t), 'data')
const db = await openDatabase({ dataDir })
await migrate(db)
await db.close()

t.test('an error nothing caught is logged, and the server closes with exit code 1', async (t) => {
  const fixture = pathToFileURL(resolve('test/fixtures/throw-on-sigwinch.ts')).href
  const server = startCli(t, 'src/server.ts', [], { env: { DATA_DIR: dataDir, LOG_LEVEL: 'info' }, nodeArgs: ['--import', fixture] })
  await server.waitFor('stdout', (text) => LISTENING.test(text))
  server.child.kill('SIGWINCH')
  t.same(await server.closed, { code: 1, signal: null })
  t.match(logLines(server.output.stdout).find((line) => line.level === 50), {
    msg: 'closing after an unexpected error',
    err: { type: 'Error', message: 'a bug nobody caught', stack: /^Error: a bug nobody caught\n/ }
  })
  t.notOk(existsSync(join(dataDir, 'dna-api.pid')), 'the database was closed')
})

t.test('in a terminal the logs are for people, not JSON', async (t) => {
  // `script` gives the server a terminal of its own; its output is what the terminal showed.
  const quote = (arg: string): string => `'${arg.replaceAll("'", "'\\''")}'`
  const command = `exec ${[process.execPath, ...nodeArgs('src/server.ts')].map(quote).join(' ')}`
  const child = spawn('script', ['-qefc', command, '/dev/null'],
    { env: childEnv({ DATA_DIR: dataDir, LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'pipe'] })
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve))
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let output = ''
  // eslint-disable-next-line no-control-regex
  const plain = (): string => output.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '')
  const listening = new Promise<string>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (LISTENING.test(plain())) resolve(plain())
    })
  })
  const text = await Promise.race([listening, closed.then((code) => { throw new Error(`exited with ${String(code)}: ${output}`) })])
  const line = /\[[\d:.]+\] INFO \((\d+)\): Server listening at https?:\/\/\S+/.exec(text)
  t.ok(line, `a readable line: ${text}`)
  t.notMatch(text, /\{"level"/)
  process.kill(Number(line?.[1]), 'SIGTERM')
  t.equal(await closed, 0)
})
