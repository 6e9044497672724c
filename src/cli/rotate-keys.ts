// `make rotate-keys [CHECK=1] [DECRYPT=1] [BATCH=n]` (or `npm run rotate-keys -- [--check]
// [--decrypt] [--batch n]`): re-encrypts every stored health value and TOTP secret under the
// current key of DATA_KEYS while the service serves; with --check, says how many values each key
// id protects; with --decrypt, stores the health values as plaintext (before undoing migration
// 013) and leaves the TOTP secrets sealed.
import { parseArgs } from 'node:util'
import { loadConfig, readDotEnv, type Config } from '../config.js'
import { failWith } from './fail.js'
import { performTask } from './tasks.js'

let config: Config | undefined
try {
  readDotEnv()
  config = loadConfig()
  const { values } = parseArgs({ options: { check: { type: 'boolean' }, decrypt: { type: 'boolean' }, batch: { type: 'string', default: '1000' } } })
  const batchSize = Number(values.batch)
  if (!/^\d+$/.test(values.batch) || batchSize < 1 || batchSize > 100_000) throw new Error(`BATCH must be a whole number from 1 to 100000, got '${values.batch}'`)
  const progress = (line: string): void => { process.stdout.write(`${line}\n`) }
  process.stdout.write(`${await performTask(config, { task: 'rotate-keys', check: values.check, decrypt: values.decrypt, batchSize }, progress)}\n`)
} catch (error) {
  failWith(error, config)
}
