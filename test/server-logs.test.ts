// The server's logs when things go wrong or a person is watching: a process of its own, on a
// migrated data directory of its own.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { migrateDataDir } from './helper.js'
import { childEnv, LISTENING, logLines, nodeArgs, startCli, tempDir } from './support.js'

const dataDir = join(tempDir(t), 'data')
await migrateDataDir(dataDir)

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

t.test('in a terminal the logs are one line each, and Ctrl-C stops the server cleanly with exit code 0', async (t) => {
  // `script` gives the server a terminal of its own; its output is what the terminal showed, and
  // what the test types into it is typed at that terminal: Ctrl-C is the terminal's SIGINT.
  const quote = (arg: string): string => `'${arg.replaceAll("'", "'\\''")}'`
  const command = `exec ${[process.execPath, ...nodeArgs('src/server.ts')].map(quote).join(' ')}`
  const child = spawn('script', ['-qefc', command, '/dev/null'],
    { env: childEnv({ DATA_DIR: dataDir, LOG_LEVEL: 'info' }), stdio: ['pipe', 'pipe', 'pipe'] })
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve))
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let output = ''
  // eslint-disable-next-line no-control-regex
  const plain = (): string => output.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').replaceAll('\r\n', '\n')
  const waiting = new Set<() => void>()
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
    for (const check of waiting) check()
  })
  const shown = async (pattern: RegExp): Promise<string> => await Promise.race([
    new Promise<string>((resolve) => {
      const check = (): void => { if (pattern.test(plain())) { waiting.delete(check); resolve(plain()) } }
      waiting.add(check)
      check()
    }),
    closed.then((code) => { throw new Error(`exited with ${String(code)}: ${output}`) })
  ])
  const text = await shown(/dna-api is serving .*\n/)
  const url = (LISTENING.exec(text) as RegExpExecArray)[1]
  t.match(text, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}Server listening at https?:\/\/\S+\n/m, 'a readable line')
  t.match(text, new RegExp(`^\\S+ INFO  dna-api is serving the pages at ${url}/ and the API docs at ${url}/docs, on the embedded database in ${dataDir}/\\n`, 'm'))
  t.notMatch(text, /\{"level"/)

  t.equal((await fetch(`${url}/nowhere`)).status, 404)
  const logged = await shown(/GET \/nowhere/)
  t.match(logged, /^\S+ INFO {2}GET \/nowhere 404 \d+ ms\n/m, 'a request is one line')
  t.notMatch(logged, /request completed/)

  child.stdin.write('\u0003')
  t.equal(await closed, 0, 'Ctrl-C is a clean stop: exit code 0')
  const lines = plain().trimEnd().split('\n')
  t.match(lines.slice(-2), [/ INFO {2}closing: no new connections; finishing the requests in flight signal=SIGINT$/, / INFO {2}closed$/],
    'and its last lines say so')
  t.notOk(existsSync(join(dataDir, 'dna-api.pid')), 'the database was closed')
})
