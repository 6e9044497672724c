// Databases made for one run and dropped after it, on a real PostgreSQL server: the test suite's
// and the benchmark's. Not used by the service itself.
import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The server the tests and the benchmark use unless told otherwise: the local one, trust auth. */
export const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

export interface ScratchDatabase {
  name: string
  /** `serverUrl` with the new database's name in place of its own. */
  url: string
  /** Drops it, with any connections still open to it. */
  drop: () => Promise<void>
}

/** A new, empty database named `<prefix>_<pid>_<random>` on the server at `serverUrl`. */
export async function createScratchDatabase (serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl })
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    }
  }
}
