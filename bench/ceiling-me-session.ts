// The same work as GET /api/v1/users/me, done as simply as it can be: bare Fastify (no logger, no
// other plugin, no schema), @fastify/jwt verifying the Bearer token (HS256, JWT_SECRET), and the
// service's own prepared session+user+profile query (src/db/sessions.ts) through node-postgres,
// with a pool as large as the service's. The ratio to it is the service's own overhead: hooks,
// security headers, serialisation, the log line. Prints its address on stdout once it listens.
import Fastify from 'fastify'
import fastifyJwt from '@fastify/jwt'
import pg from 'pg'
import { FIND_USER } from '../src/db/sessions.js'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) })
const app = Fastify()
await app.register(fastifyJwt, { secret: process.env.JWT_SECRET as string, verify: { algorithms: ['HS256'] } })

app.get('/api/v1/users/me', async (request, reply) => {
  const { sub, sid } = await request.jwtVerify<{ sub: string, sid: string }>()
  const { rows } = await pool.query({ ...FIND_USER, values: [sid, Number(sub)] })
  if (rows.length === 0) return await reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message: 'session ended' })
  return rows[0]
})

const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
process.stdout.write(`${address}\n`)
process.once('SIGTERM', () => {
  app.close().then(async () => await pool.end()).then(() => process.exit(0), () => process.exit(1))
})
