// The OpenAPI document as committed in openapi/openapi.json: built from the routes with a fixed
// configuration, so the file does not depend on whoever's environment generated it.
import { randomBytes } from 'node:crypto'
import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import { openDatabase } from '../db/database.js'

export const SPEC_FILE = 'openapi/openapi.json'

export async function renderOpenApi (): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent', BCRYPT_COST: '4', JWT_SECRET: randomBytes(32).toString('hex') })
  // The routes' schemas are all the spec needs: no query runs, so a pool that never connects saves
  // starting an embedded database for nothing.
  const db = await openDatabase({ url: 'postgres://127.0.0.1/unused' })
  const app = await buildApp(config, { logger: false, db })
  try {
    await app.ready()
    return `${JSON.stringify(app.swagger(), null, 2)}\n`
  } finally {
    await app.close()
    await db.close()
  }
}
