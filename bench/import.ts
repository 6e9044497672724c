// `make bench-import [ROWS=n]`: the import of the old service's customers at scale. ROWS old rows
// (1 000 000) are generated in SQL into a scratch old-schema database, imported by the production
// build (dist/cli/import-legacy.js) into a scratch migrated database, both on the PostgreSQL server
// of DATABASE_URL (the local one by default) and both dropped at the end. Prints the time and the
// importer's peak RSS against the targets and writes bench/results-import.md.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcrypt'
import pg from 'pg'
import { atCleanUp, cleanUp, cleanUpOnSignals } from './cleanup.js'
import { say } from './format.js'
import { memory } from './processes.js'
import { createScratchDatabase } from './seed.js'
import { REPO } from './settings.js'

const ROWS = Number(process.env.ROWS ?? 1_000_000)
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const RESULTS = join(REPO, 'bench/results-import.md')
const TARGET_SECONDS = 120
const TARGET_RSS_MB = 200
/** The Node.js flags of `make import-legacy` and `npm run import-legacy`. */
const IMPORT_NODE_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=128']

// The old service's table, as its only Alembic migration made it.
const LEGACY_DDL = `CREATE TABLE "user" (
  id SERIAL NOT NULL, first_name VARCHAR(128) NOT NULL, last_name VARCHAR(128) NOT NULL, dob DATE NOT NULL,
  email VARCHAR(128) NOT NULL, password VARCHAR(128) NOT NULL, created_at TIMESTAMP WITHOUT TIME ZONE,
  modified_at TIMESTAMP WITHOUT TIME ZONE, policy VARCHAR(128), genetic_result JSON, PRIMARY KEY (id), UNIQUE (email))`
// One hash at Flask-Bcrypt's cost (10) for every row: the import copies hashes, it never computes one.
const HASH = await bcrypt.hash('an-old-password', 10)

async function oldDatabase (): Promise<string> {
  const name = `dna_api_bench_old_${process.pid}`
  const admin = new pg.Client({ connectionString: SERVER_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  atCleanUp(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  })
  const url = new URL(SERVER_URL)
  url.pathname = `/${name}`
  const db = new pg.Client({ connectionString: url.toString() })
  await db.connect()
  await db.query(LEGACY_DDL)
  const started = Date.now()
  // As the old data is: names with spaces around them, one row in ten with genetic results and a
  // policy, one in a hundred without created_at, one in a thousand with an array as result, and one
  // in ten thousand whose email differs from another's only by case.
  await db.query(
    `INSERT INTO "user" (id, first_name, last_name, dob, email, password, created_at, modified_at, policy, genetic_result)
     SELECT n, CASE WHEN n % 7 = 0 THEN ' Ada ' ELSE 'Ada' END, 'Lovelace', date '1930-01-01' + n % 25000,
            CASE WHEN n % 10000 = 1 THEN 'User' || (n - 1) ELSE 'user' || n END || '@old.example', $1,
            CASE WHEN n % 100 = 0 THEN NULL ELSE timestamp '2015-01-01' + n * interval '1 minute' END,
            timestamp '2016-01-01' + n * interval '1 minute',
            CASE WHEN n % 10 = 0 THEN 'POL-' || n END,
            CASE WHEN n % 1000 = 5 THEN '[1, 2]'::json
                 WHEN n % 10 = 0 THEN '{"BRCA1": "negative", "APOE": "e3/e3", "markers": [{"rsid": "rs429358", "genotype": "TT"}]}'::json END
       FROM generate_series(1, $2::integer) AS n`, [HASH, ROWS])
  await db.query('ANALYZE "user"')
  await db.end()
  say(`old database ${name}: ${ROWS} rows generated in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return url.toString()
}

async function main (): Promise<void> {
  cleanUpOnSignals()
  const workDir = mkdtempSync(join(tmpdir(), 'dna-api-bench-import-'))
  atCleanUp(() => rmSync(workDir, { recursive: true, force: true }))
  const from = await oldDatabase()
  const target = await createScratchDatabase(SERVER_URL, workDir)
  say('importing…')
  const loadBefore = loadavg()[0]
  const started = Date.now()
  // As `make import-legacy` runs it; PROFILE=dir writes a CPU profile there.
  const profile = process.env.PROFILE === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE}`]
  const child = spawn(process.execPath, [...IMPORT_NODE_FLAGS, ...profile, join(REPO, 'dist/cli/import-legacy.js'), '--from', from],
    { cwd: workDir, env: { PATH: process.env.PATH ?? '', DATABASE_URL: target.url }, stdio: ['ignore', 'pipe', 'inherit'] })
  let peak = 0
  let report = ''
  child.stdout.on('data', (chunk: Buffer) => { report += chunk.toString() })
  const sampler = setInterval(() => {
    try { peak = Math.max(peak, memory(child.pid as number).peak) } catch {}
  }, 100)
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  clearInterval(sampler)
  const seconds = (Date.now() - started) / 1000
  if (code !== 0) throw new Error(`the import exited with ${String(code)}`)
  const summary = report.split('\nconflicts (old id: reason):')[0]

  const table = [
    '| figure | measured | target | met |',
    '| --- | --- | --- | --- |',
    `| time to import ${ROWS.toLocaleString('en')} old rows | ${seconds.toFixed(1)} s (${Math.round(ROWS / seconds).toLocaleString('en')} rows/s) | < ${TARGET_SECONDS} s | ${seconds < TARGET_SECONDS ? 'yes' : 'NO'} |`,
    `| importer's peak RSS (VmHWM) | ${peak.toFixed(0)} MB | < ${TARGET_RSS_MB} MB | ${peak < TARGET_RSS_MB ? 'yes' : 'NO'} |`
  ].join('\n')
  process.stdout.write(`\n${table}\n\n${summary}\n`)
  writeFileSync(RESULTS, [
    '# Import benchmark',
    '',
    `\`make bench-import\`, ${new Date().toISOString().slice(0, 10)}: ${ROWS.toLocaleString('en')} old rows generated into a scratch`,
    'old-schema database and imported by `dist/cli/import-legacy.js` into a scratch migrated database, both',
    `on PostgreSQL ${target.postgresVersion} at ${target.host}, on ${availableParallelism()} cores; the machine's load average`,
    `(1 minute) was ${loadBefore.toFixed(1)} as the import started and ${loadavg()[0].toFixed(1)} as it ended: other work shared those cores.`,
    '',
    table,
    '',
    'The report of the run (its conflicts listed after it, left out here):',
    '',
    '```',
    summary,
    '```',
    ''
  ].join('\n'))
  say(`written to ${RESULTS}`)
}

try {
  await main()
} finally {
  await cleanUp()
}
