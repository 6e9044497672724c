// The most any route can do on this machine: a bare Fastify server (no logger, no plugin, no
// schema) answering a constant JSON. bench/run.ts starts it as a process of its own and compares
// GET /health with it. Prints its address on stdout once it listens.
import Fastify from 'fastify'

const app = Fastify()
app.get('/health', async () => ({ status: 'ok' }))
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
process.stdout.write(`${address}\n`)
process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
