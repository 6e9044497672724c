// The peer `make bench-peers` measures the service against: better-auth with email and password on
// its own PostgreSQL database, served by a bare Node.js http server on a loopback port.
// Plain JavaScript on purpose: better-auth is installed here (bench/peers/node_modules), not in
// the service's dependencies, so the service's typecheck never needs its types.
//
// `node server.mjs --migrate` creates better-auth's tables with its own migration
// (getMigrations, what `npx @better-auth/cli migrate` runs) and exits; without it, the server
// listens on 127.0.0.1 and prints its address on the first line of stdout (as the bench's
// ceiling servers do). Environment: DATABASE_URL, BETTER_AUTH_SECRET, BCRYPT_COST, POOL_SIZE.
import { createServer } from 'node:http'
import bcrypt from 'bcrypt'
import { betterAuth } from 'better-auth'
import { getMigrations } from 'better-auth/db/migration'
import { toNodeHandler } from 'better-auth/node'
import pg from 'pg'

const cost = Number(process.env.BCRYPT_COST)
if (!Number.isInteger(cost)) throw new Error('BCRYPT_COST must be set')

/** better-auth's options: defaults except bcrypt at the service's cost, the rate limiter off and the pool's size. */
function options (baseURL) {
  return {
    baseURL,
    secret: process.env.BETTER_AUTH_SECRET,
    // The service's pool has POOL_SIZE connections too.
    database: new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) }),
    emailAndPassword: {
      enabled: true,
      // The same bcrypt package and cost as the service, in place of better-auth's scrypt.
      password: {
        hash: async (password) => await bcrypt.hash(password, cost),
        verify: async ({ hash, password }) => await bcrypt.compare(password, hash)
      }
    },
    // Every request of the benchmark comes from 127.0.0.1.
    rateLimit: { enabled: false }
  }
}

if (process.argv.includes('--migrate')) {
  const config = options('http://127.0.0.1')
  const { runMigrations } = await getMigrations(config)
  await runMigrations()
  await config.database.end()
} else {
  const server = createServer()
  server.listen(0, '127.0.0.1', () => {
    const url = `http://127.0.0.1:${server.address().port}`
    server.on('request', toNodeHandler(betterAuth(options(url))))
    process.stdout.write(`${url}\n`)
  })
  process.once('SIGTERM', () => server.close(() => process.exit(0)))
}
