// The embedded database can be opened by one process only, so while the server holds it,
// `make admin`, `make rotate-keys` and `make audit-verify` ask the server to do the work. They talk over a Unix domain socket in
// DATA_DIR that only the OS user running the server can open (mode 0600): the same user who could
// stop the server and open the files. One JSON line from the client; from the server, progress
// lines (`{"progress": …}`) and then one answer line.
import { chmodSync, rmSync } from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import type { Database } from '../db/database.js'
import { setRole, type Role } from './set-role.js'
import { runTask, type TaskRequest } from './tasks.js'

export interface RoleRequest {
  email: string
  role: Role
}

interface Answer {
  ok: boolean
  message: string
}

export const controlSocketPath = (dataDir: string): string => join(dataDir, 'dna-api.sock')

/** Listens on DATA_DIR's control socket for `make admin`; resolves with the function that stops it. */
export async function listenForControl (db: Database, dataDir: string, jwtSecret: string): Promise<() => Promise<void>> {
  const path = controlSocketPath(dataDir)
  // Only the holder of the database's lock gets here: a socket file left behind is a dead server's.
  rmSync(path, { force: true })
  const server = createServer({ allowHalfOpen: true }, (socket) => { answer(db, jwtSecret, socket) })
  // Created unreadable by others from the start (umask), not just after a chmod that would leave a gap.
  const umask = process.umask(0o177)
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve))
  } finally {
    process.umask(umask)
  }
  chmodSync(path, 0o600)
  return async () => await new Promise<void>((resolve) => server.close(() => resolve()))
}

/** Reads the request to its end (the client half-closes), answers, and closes. */
function answer (db: Database, jwtSecret: string, socket: Socket): void {
  let received = ''
  socket.setEncoding('utf8')
  // A client that goes away early must not take the server down with an unhandled 'error'.
  socket.on('error', socket.destroy.bind(socket))
  socket.on('data', (chunk: string) => { received += chunk })
  socket.on('end', () => {
    const reply = (answer: Answer): void => { socket.end(`${JSON.stringify(answer)}\n`) }
    let request: RoleRequest | TaskRequest
    try {
      request = JSON.parse(received) as RoleRequest | TaskRequest
    } catch {
      return reply({ ok: false, message: 'the request is not JSON' })
    }
    const progress = (line: string): void => { socket.write(`${JSON.stringify({ progress: line })}\n`) }
    const work = 'task' in request ? runTask(db, request, progress, jwtSecret) : setRole(db, request.email, request.role)
    work.then(
      (message) => reply({ ok: true, message }),
      (error: Error) => reply({ ok: false, message: error.message }))
  })
}

/**
 * Asks the server holding DATA_DIR to change a role or run a task; resolves with its last message, or undefined when
 * no server listens there (a server of an older version, one still starting, or a `make migrate`).
 * Only tasks report progress: a role change passes no `onProgress`.
 */
export async function askServer (dataDir: string, request: RoleRequest | TaskRequest, onProgress?: (line: string) => void): Promise<string | undefined> {
  const socket = connect(controlSocketPath(dataDir))
  socket.setEncoding('utf8')
  let received = ''
  let final: Answer | undefined
  socket.on('data', (chunk: string) => {
    received += chunk
    const lines = received.split('\n')
    received = lines.pop() as string
    for (const line of lines) {
      const message = JSON.parse(line) as Answer | { progress: string }
      if ('progress' in message) onProgress?.(message.progress)
      else final = message
    }
  })
  const connected = await new Promise<boolean>((resolve) => {
    socket.once('connect', () => resolve(true))
    socket.once('error', () => resolve(false))
  })
  if (!connected) return undefined
  socket.end(`${JSON.stringify(request)}\n`)
  await new Promise((resolve) => socket.once('close', resolve))
  const answer = final as Answer
  if (!answer.ok) throw new Error(answer.message)
  return answer.message
}
