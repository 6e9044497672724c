// `make audit-verify [BATCH=n]` (or `npm run audit-verify`): checks the audit log's hash chain and
// exits 0 when it is intact, or 1 naming the first entry that is not.
import { parseArgs } from 'node:util'
import { loadConfig, readDotEnv, type Config } from '../config.js'
import { failWith } from './fail.js'
import { performTask } from './tasks.js'

let config: Config | undefined
try {
  readDotEnv()
  config = loadConfig()
  const { values } = parseArgs({ options: { batch: { type: 'string', default: '1000' } } })
  const batchSize = Number(values.batch)
  if (!/^\d+$/.test(values.batch) || batchSize < 1 || batchSize > 100_000) throw new Error(`BATCH must be a whole number from 1 to 100000, got '${values.batch}'`)
  const progress = (line: string): void => { process.stdout.write(`${line}\n`) }
  process.stdout.write(`${await performTask(config, { task: 'audit-verify', batchSize }, progress)}\n`)
} catch (error) {
  failWith(error, config)
}
