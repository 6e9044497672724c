import { ConfigError } from '../config.js'

/** Ends a command-line run with one readable line on stderr and exit code 1. */
export function failWith (error: unknown): never {
  const message = error instanceof Error ? error.message : String(error)
  const what = error instanceof ConfigError ? 'configuration error' : 'error'
  process.stderr.write(`dna-api: ${what}: ${message}\n`)
  process.exit(1)
}
