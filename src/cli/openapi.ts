// `make openapi` writes openapi/openapi.json; `make openapi-check` (CI) fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs'
import { renderOpenApi, SPEC_FILE } from '../http/spec.js'
import { failWith } from './fail.js'

try {
  const spec = await renderOpenApi()
  if (process.argv[2] === '--check') {
    if (readFileSync(SPEC_FILE, 'utf8') !== spec) throw new Error(`${SPEC_FILE} is out of date: run \`make openapi\` and commit it`)
    process.stdout.write(`${SPEC_FILE} is up to date\n`)
  } else {
    writeFileSync(SPEC_FILE, spec)
    process.stdout.write(`wrote ${SPEC_FILE}\n`)
  }
} catch (error) {
  failWith(error)
}
