// Reads the configuration, builds the app, listens, and drains on SIGTERM. Nothing else.
import closeWithGrace from 'close-with-grace'
import { buildApp, loggerOptions } from './app.js'
import { loadConfig, readDotEnv } from './config.js'
import { schemaStatus } from './db/migrations.js'
import { failWith } from './cli/fail.js'

try {
  readDotEnv()
  const config = loadConfig()
  const app = await buildApp(config, { logger: loggerOptions(config, { pretty: process.stdout.isTTY }) })
  for (const warning of config.warnings) app.log.warn(warning)

  const schema = await schemaStatus(app.db)
  if (schema.current < schema.latest) {
    await app.close()
    throw new Error(`the database schema is at version ${schema.current} but this code needs ${schema.latest}: run \`make migrate\` first`)
  }

  // Requests in flight get up to 10 s to finish (plugins/graceful-close.ts); then exit code 1.
  closeWithGrace({ delay: 10_000, logger: app.log }, async ({ err, signal }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an unexpected error')
    if (signal !== undefined) app.log.info({ signal }, 'closing: no new connections; finishing the requests in flight')
    await app.close()
  })
  await app.listen({ port: config.port, host: config.host })
} catch (error) {
  failWith(error)
}
