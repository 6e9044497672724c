// What a run is configured with: the settings bench/run.ts reads from the environment, and the
// fixed values every module shares.
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('..', import.meta.url))

/** The scenarios, in the order they run; ONLY picks some of them. */
export const SCENARIOS = ['health', 'me', 'login', 'signup', 'flood', 'signupflood', 'admin'] as const
export type Scenario = typeof SCENARIOS[number]

export interface Settings {
  quick: boolean
  /** Seconds counted per round, after `warmup` seconds that are not. */
  duration: number
  warmup: number
  rounds: number
  /** Connections for the GET routes, for login and signup, and for the login flood. */
  connections: number
  authConnections: number
  floodConnections: number
  /** Users of the large admin list. */
  users: number
  bcryptCost: number
  /** Percentage of the machine other processes may use during a round, and how long to wait for it. */
  otherCpu: number
  quietWait: number
  /** Absolute path of the Markdown output. */
  results: string
  only: ReadonlySet<Scenario>
  /** Where the server writes a --cpu-prof profile when it stops. */
  profile: string | undefined
  /** The PostgreSQL server the scratch database is made on. */
  serverUrl: string
  uvThreadpoolSize: string | undefined
}

/** Users of the small admin list, seeded first; users 2 to SMALL_USERS also have a session each. */
export const SMALL_USERS = 1000
export const PASSWORD = 'violet-Harbor-93-kettle'
/** Logins go round these many users, so that no account has two logins in flight. */
export const LOGIN_USERS = 10_000
export const PAGE = 20
export const POOL_SIZE = 10
export const JSON_BODY = { 'content-type': 'application/json' }
export const cores = availableParallelism()
/** The server's peak RSS under load must stay below this. */
export const RSS_TARGET_MB = 200
