// Reads the configuration, builds the app, listens, and drains on SIGTERM or SIGINT (Ctrl-C).
// Nothing else.
import closeWithGrace from 'close-with-grace'
import { buildApp, loggerOptions } from './app.js'
import { loadConfig, readDotEnv, type Config } from './config.js'
import { describePostgresUrl } from './db/database.js'
import { schemaStatus } from './db/migrations.js'
import { listenForControl } from './cli/control-socket.js'
import { failWith } from './cli/fail.js'
import { listenForMetrics } from './plugins/app/metrics.js'

let config: Config | undefined
try {
  readDotEnv()
  config = loadConfig()
  const app = await buildApp(config, { logger: loggerOptions(config, { pretty: process.stdout.isTTY }) })
  for (const warning of config.warnings) app.log.warn(warning)

  const schema = await schemaStatus(app.db)
  if (schema.current < schema.latest) {
    await app.close()
    throw new Error(`the database schema is at version ${schema.current} but this code needs ${schema.latest}: run \`make migrate\` first`)
  }

  // Only this process may open the embedded database: `make admin` asks it to make the change.
  const embedded = config.databaseUrl === undefined
  const stopControl = embedded ? await listenForControl(app.db, config.dataDir, config.jwtSecret) : async () => {}
  let stopMetrics = async (): Promise<void> => {}
  const close = async (): Promise<void> => {
    await stopMetrics()
    await stopControl()
    await app.close()
  }

  // Requests in flight get up to 10 s to finish (plugins/app/graceful-close.ts); then exit code 1.
  // A clean close after a signal exits with 0, so that `make run` stopped with Ctrl-C ends quietly.
  closeWithGrace({ delay: 10_000, logger: app.log }, async ({ err, signal }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an unexpected error')
    if (signal !== undefined) app.log.info({ signal }, 'closing: no new connections; finishing the requests in flight')
    await close()
    if (signal !== undefined) app.log.info('closed')
  })
  let address: string
  try {
    address = await app.listen({ port: config.port, host: config.host })
    if (config.metricsPort !== undefined) {
      const metrics = await listenForMetrics(app, config.metricsPort, config.metricsHost)
      stopMetrics = metrics.close
      app.log.info(`metrics at ${metrics.url}/metrics`)
    }
  } catch (error) {
    await close()
    throw error
  }
  const database = embedded ? `the embedded database in ${config.dataDir}/` : `PostgreSQL at ${describePostgresUrl(config.databaseUrl as string)}`
  app.log.info(`dna-api is serving the pages at ${address}/ and the API docs at ${address}/docs, on ${database}`)
} catch (error) {
  failWith(error, config)
}
