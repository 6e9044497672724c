#!/usr/bin/env bash
# What the tests need besides node_modules, checked before tap starts, one line each, so that a
# missing piece is named up front instead of failing deep inside a test file.
#   test/prerequisites.sh postgres            the local PostgreSQL server (or TEST_DATABASE_URL's)
#   test/prerequisites.sh postgres chromium   and Chromium for the browser tests
#   test/prerequisites.sh pgbouncer           PgBouncer for test/pgbouncer.test.ts
# Exits non-zero when anything is missing, after checking everything asked for.
set -uo pipefail
cd "$(dirname "$0")/.."

missing=0

for need in "$@"; do
  case $need in
    postgres)
      # The server test/support.ts uses: TEST_DATABASE_URL, or the local one.
      url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
      # node-postgres itself, so that authentication is checked too, not only the port; the URL is
      # printed without its password.
      if report=$(URL=$url node --input-type=module -e '
        import pg from "pg"
        const url = new URL(process.env.URL)
        if (url.password !== "") url.password = "***"
        const client = new pg.Client({ connectionString: process.env.URL, connectionTimeoutMillis: 10000 })
        try {
          await client.connect()
          const { rows } = await client.query("SHOW server_version")
          console.log(`PostgreSQL ${rows[0].server_version} at ${url}`)
        } catch (error) {
          console.log(`PostgreSQL at ${url} is not reachable (${error.code ?? error.message})`)
          process.exitCode = 1
        } finally {
          await client.end().catch(() => {})
        }' 2>&1); then
        echo "ok: $report"
      else
        echo "MISSING: $report: start it (on Debian: pg_ctlcluster <version> main start) or set TEST_DATABASE_URL"
        missing=1
      fi
      ;;
    chromium)
      # The browser tests (test/e2e/) drive Debian's build; Playwright's own download is never used.
      if version=$(/usr/bin/chromium --version 2>/dev/null); then
        echo "ok: $version at /usr/bin/chromium"
      else
        echo "MISSING: Chromium at /usr/bin/chromium, for the browser tests: apt-get install -y chromium"
        missing=1
      fi
      ;;
    pgbouncer)
      # test/pgbouncer.test.ts starts Debian's PgBouncer in front of the local PostgreSQL.
      if version=$(/usr/sbin/pgbouncer --version 2>/dev/null | head -1); then
        echo "ok: $version at /usr/sbin/pgbouncer"
      else
        echo "MISSING: PgBouncer at /usr/sbin/pgbouncer, for test/pgbouncer.test.ts: apt-get install -y pgbouncer"
        missing=1
      fi
      ;;
    *)
      echo "test/prerequisites.sh: unknown prerequisite '$need'" >&2
      exit 2
      ;;
  esac
done

exit $missing
