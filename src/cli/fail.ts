import { ConfigError, type Config } from '../config.js'
import { connectionProblem } from '../db/database.js'

/**
 * Ends a command-line run with one readable line on stderr and exit code 1. With the config, a
 * failure to reach the database or to take the port is told in terms of DATABASE_URL or PORT,
 * with what to do, rather than in the driver's words.
 */
export function failWith (error: unknown, config?: Config): never {
  const message = (config === undefined ? undefined : startupProblem(error, config)) ?? (error instanceof Error ? error.message : String(error))
  const what = error instanceof ConfigError ? 'configuration error' : 'error'
  process.stderr.write(`dna-api: ${what}: ${message}\n`)
  process.exit(1)
}

function startupProblem (error: unknown, config: Config): string | undefined {
  const { code, syscall } = error as { code?: unknown, syscall?: unknown }
  if (syscall === 'listen' && code === 'EADDRINUSE') {
    return `PORT: ${config.host}:${config.port} is already in use (another dna-api, or another program): ` +
      `stop that program, or pick another port, e.g. PORT=${config.port + 1} make run`
  }
  return connectionProblem(error, config.databaseUrl)
}
