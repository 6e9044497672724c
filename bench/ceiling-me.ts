// The least work an authenticated read can do: bare Fastify (no logger, no other plugin, no
// schema), @fastify/jwt verifying the Bearer token (HS256, JWT_SECRET), and one prepared
// primary-key select of the user through node-postgres, with a pool as large as the service's.
// bench/run.ts starts it as a process of its own and compares GET /api/v1/users/me with it.
// Prints its address on stdout once it listens.
import Fastify from 'fastify'
import fastifyJwt from '@fastify/jwt'
import pg from 'pg'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) })
const app = Fastify()
await app.register(fastifyJwt, { secret: process.env.JWT_SECRET as string, verify: { algorithms: ['HS256'] } })

app.get('/api/v1/users/me', async (request) => {
  const { sub } = await request.jwtVerify<{ sub: string }>()
  const { rows } = await pool.query({
    name: 'user-by-id',
    text: 'SELECT id, email, first_name, last_name, dob, role, created_at, updated_at AS modified_at FROM users WHERE id = $1',
    values: [Number(sub)]
  })
  return rows[0]
})

const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
process.stdout.write(`${address}\n`)
process.once('SIGTERM', () => {
  app.close().then(async () => await pool.end()).then(() => process.exit(0), () => process.exit(1))
})
