import t from 'tap'
import { failWith } from '../../src/cli/fail.js'
import { ConfigError } from '../../src/config.js'

/** What failWith writes and the exit code it asks for, with process.exit held back. */
function failure (error: unknown): { stderr: string, exit: unknown[] } {
  let stderr = ''
  let exit: unknown[] = []
  const write = process.stderr.write
  const realExit = process.exit
  process.stderr.write = ((chunk: string) => { stderr += chunk; return true }) as typeof process.stderr.write
  process.exit = ((...args: unknown[]) => { exit = args }) as typeof process.exit
  try {
    failWith(error)
  } finally {
    process.stderr.write = write
    process.exit = realExit
  }
  return { stderr, exit }
}

t.test('a command-line failure is one line on stderr and exit code 1', async (t) => {
  t.same(failure(new ConfigError('PORT', "expected a whole number from 0 to 65535, got 'abc'")),
    { stderr: "dna-api: configuration error: PORT: expected a whole number from 0 to 65535, got 'abc'\n", exit: [1] })
  t.same(failure(new Error('the database is not reachable')), { stderr: 'dna-api: error: the database is not reachable\n', exit: [1] })
  t.same(failure('a library threw a string'), { stderr: 'dna-api: error: a library threw a string\n', exit: [1] }, 'a thrown value that is not an Error')
})
