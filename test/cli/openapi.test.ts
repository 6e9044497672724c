// `make openapi` and `make openapi-check`, run in a directory of their own so the repository's
// committed file is never touched: the program reads and writes openapi/openapi.json relative to
// where it runs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { runCli, tempDir } from '../support.js'

const cwd = tempDir(t)
const file = join(cwd, 'openapi', 'openapi.json')
mkdirSync(join(cwd, 'openapi'))

t.test('make openapi writes the spec', async (t) => {
  t.same(runCli('src/cli/openapi.ts', [], { cwd }), { status: 0, stdout: 'wrote openapi/openapi.json\n', stderr: '' })
  const spec = JSON.parse(readFileSync(file, 'utf8')) as { openapi: string, info: { title: string }, paths: Record<string, unknown> }
  t.match(spec, { openapi: '3.1.0', info: { title: 'dna-api' } })
  t.ok('/api/v1/users/me' in spec.paths)
})

t.test('make openapi-check passes on the file just written', async (t) => {
  t.same(runCli('src/cli/openapi.ts', ['--check'], { cwd }), { status: 0, stdout: 'openapi/openapi.json is up to date\n', stderr: '' })
})

t.test('make openapi-check fails on a stale file, saying what to do', async (t) => {
  const spec = JSON.parse(readFileSync(file, 'utf8')) as { info: { description: string } }
  spec.info.description = 'an older description'
  writeFileSync(file, `${JSON.stringify(spec, null, 2)}\n`)
  t.same(runCli('src/cli/openapi.ts', ['--check'], { cwd }), {
    status: 1,
    stdout: '',
    stderr: 'dna-api: error: openapi/openapi.json is out of date: run `make openapi` and commit it\n'
  })
})
