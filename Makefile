# Every target does its own set-up: on a fresh clone `make run` and `make test` just work.
# Without DATABASE_URL the service uses the embedded PostgreSQL under ./data.

SHELL := /bin/bash
SOURCES := $(shell find src -name '*.ts') tsconfig.json tsconfig.build.json

.PHONY: install build migrate run dev test test-all test-postgres test-compat fuzz lint typecheck openapi openapi-check openapi-lint client client-check admin import-legacy rotate-keys audit-verify bench bench-timing bench-import bench-health-data bench-scale bench-variants bench-peers clean

install: node_modules/.package-lock.json node_modules/.tap-built

# npm writes this file on every install: it is newer than the lockfile once dependencies match it.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci

# tap builds its test class for the plugins package.json asks for (without its TypeScript and mock
# plugins, see package.json's tap section): without this, the first run after `npm ci`, or after
# that list changes, would still start its test files with the default loaders.
node_modules/.tap-built: node_modules/.package-lock.json package.json
	npx tap build
	touch $@

build: dist/.built

dist/.built: node_modules/.package-lock.json $(SOURCES)
	rm -rf dist
	npx tsc -p tsconfig.build.json
	touch $@

## migrate: bring the database to the latest schema; `make migrate TO=0` undoes every migration
migrate: build
	node dist/cli/migrate.js $(TO)

## run: install, build, migrate and serve on $PORT (3000), as `npm start` does (with its V8 memory settings)
# The server is make's own child, not npm's: on Ctrl-C npm dies of the signal and make reports the
# run as failed ("make: *** [Makefile: run] Interrupt"), while the server itself exits with 0.
run: migrate
	exec node --max-semi-space-size=8 --max-old-space-size=256 dist/server.js

## dev: serve from the TypeScript sources, restarting on change
dev: migrate
	npx tsx watch src/server.ts

# How tap is started. NODE runs it on another Node.js, e.g. `make test NODE='npx -y node@22'`: tap
# starts the test files with its own `process.execPath`, so they run on that Node.js too.
TAP_BIN = $(if $(NODE),$(NODE) node_modules/.bin/tap,npx tap)
# On a terminal, tap's live reporter, with each file and its time. In a log (CI, a pipe) that
# reporter would write every redraw: there, `terse` with CI set, which writes its final frame only:
# each failure in full, the totals, the coverage, then the closing `# { total: N, pass: N }`.
# One test file per core: tap's own default leaves one core free, which on two cores runs the
# files one after another (the suite took twice as long). JOBS=1 runs them one at a time.
JOBS ?= $(shell nproc)
TAP = tap () { if [ -t 1 ]; then $(TAP_BIN) --jobs=$(JOBS) "$$@"; else CI=true $(TAP_BIN) --jobs=$(JOBS) --reporter=terse "$$@"; fi; }; tap

# The tests that start processes (the server, the command-line programs, Chromium) or run servers
# against the local PostgreSQL: `make test` leaves them out to stay quick, `make test-all` runs them.
PROCESS_TESTS := test/server.test.ts test/server-logs.test.ts test/instances.test.ts test/outage.test.ts test/pgbouncer.test.ts \
	$(wildcard test/cli/*.test.ts) $(wildcard test/e2e/*.test.ts)

## test: the in-process tests, on the embedded database (or on TEST_DATABASE_URL's server); prints their
## coverage, which is below 100 % without the process tests (`make test-all` holds it to 100 %).
## TAP_FLAGS passes options to tap, e.g. TAP_FLAGS=--disable-coverage; NODE another Node.js (see TAP_BIN)
test: install
	@test/prerequisites.sh postgres
	$(TAP) $(addprefix --exclude=,$(PROCESS_TESTS)) --allow-incomplete-coverage --coverage-report=text-summary $(TAP_FLAGS)

## test-all: every test, the process and browser ones too, with coverage held to 100 % over all of them (CI)
test-all: install
	@test/prerequisites.sh postgres chromium pgbouncer
	$(TAP) --coverage-report=text --coverage-report=text-summary $(TAP_FLAGS)

# The test files whose database does not follow TEST_DATABASE_URL: they pick their own (both drivers side
# by side, the local PostgreSQL server, a server process on an embedded database) or use none, so
# `make test-all` already runs them exactly as `make test-postgres` would.
SAME_ON_EVERY_DATABASE := test/config.test.ts test/http/cursor.test.ts test/accounts/passwords.test.ts test/db/tables.test.ts \
	test/db/database.test.ts test/db/migrations.test.ts test/plugins/app/database.test.ts test/outage.test.ts \
	test/instances.test.ts test/pgbouncer.test.ts test/server.test.ts test/server-logs.test.ts test/cli/admin.test.ts test/cli/fail.test.ts \
	test/cli/migrate.test.ts test/cli/openapi.test.ts \
	test/cli/import-legacy.test.ts test/cli/import-legacy-faults.test.ts test/cli/progress.test.ts

# What CI runs again on the other LTS lines of Node.js: the API's behaviour through HTTP, where
# a change in Node.js (its HTTP parser, crypto, fetch, timers) would show. The whole suite three
# times would take CI's run past 30 minutes on two cores.
COMPAT_TESTS := $(wildcard test/routes/*.test.ts)

## test-compat: the API's route tests (test/routes) without coverage, e.g. on another Node.js with NODE=…
test-compat: install
	@test/prerequisites.sh postgres
	$(TAP) --disable-coverage $(COMPAT_TESTS) $(TAP_FLAGS)

## test-postgres: the rest of the suite again on PostgreSQL (TEST_DATABASE_URL, else the local server), without
## coverage (`make test-all` measures it); CI runs both
test-postgres: install
	@test/prerequisites.sh postgres chromium
	export TEST_DATABASE_URL="$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"; \
		$(TAP) --disable-coverage $(addprefix --exclude=,$(SAME_ON_EVERY_DATABASE)) $(TAP_FLAGS)

## fuzz: the fuzz test of every route with many more requests than in `make test` (`RUNS=n`, default 10000; `SEED=n` replays a failure)
fuzz: install
	FUZZ_RUNS=$(or $(RUNS),10000) $(if $(SEED),FUZZ_SEED=$(SEED)) npx tap --disable-coverage --timeout=3600 test/security/fuzz.test.ts

lint: install
	npx eslint .

typecheck: install
	npx tsc -p tsconfig.json

## admin: make an existing user an admin (`make admin EMAIL=…`), or demote one (`ROLE=user`)
admin: build
	node dist/cli/admin.js --email "$(EMAIL)" --role "$(or $(ROLE),admin)"

## import-legacy: bring the old service's customers over from its PostgreSQL database (`FROM=postgres://…`), read-only;
## `DRY_RUN=1` writes nothing and prints the same report (see README, Moving from the old service)
import-legacy: build
	node --max-semi-space-size=2 --max-old-space-size=128 dist/cli/import-legacy.js --from "$(FROM)" $(if $(filter 1 yes true,$(DRY_RUN)),--dry-run)

## rotate-keys: re-encrypt every stored health value and TOTP secret under the current key of DATA_KEYS, in batches,
## while the service serves (`BATCH=n`, 1000); `CHECK=1` only counts the values under each key id; `DECRYPT=1` stores
## the health values as plaintext (TOTP secrets stay sealed)
rotate-keys: build
	node dist/cli/rotate-keys.js $(if $(CHECK),--check) $(if $(DECRYPT),--decrypt) $(if $(BATCH),--batch $(BATCH))

## audit-verify: check the audit log's hash chain; exit 1 naming the first broken entry
audit-verify: build
	node dist/cli/audit-verify.js $(if $(BATCH),--batch $(BATCH))

## openapi: regenerate openapi/openapi.json from the route schemas
openapi: build
	node dist/cli/openapi.js

## openapi-check: fail when the committed openapi/openapi.json differs from what the code emits
openapi-check: build
	node dist/cli/openapi.js --check

## openapi-lint: check openapi/openapi.json against Redocly's recommended rules (openapi/redocly.yaml),
## offline: no telemetry (redocly.yaml) and no update check (which would ask the npm registry)
openapi-lint: install
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx redocly lint --config openapi/redocly.yaml

## client: generate the TypeScript client's types from the committed openapi/openapi.json into
## client/generated/api.ts (the output path is in openapi/redocly.yaml); openapi-fetch is its runtime
client: install
	npx openapi-typescript --redocly openapi/redocly.yaml --root-types

## client-check: fail when client/generated/ is not what the committed spec generates
client-check: install
	npx openapi-typescript --redocly openapi/redocly.yaml --root-types --check && echo "client/generated/api.ts is up to date"

## bench: the production build under load on a scratch PostgreSQL database (made on DATABASE_URL's server, or the
## local one, and dropped): GET /me, login, signup, /health, a login flood and the admin list at 1 000 and 1 000 000
## users, each figure as a ratio of a ceiling measured in the same run; prints a table and writes bench/results.md.
## `DURATION=s` counted per round (5), `CONNECTIONS=n` (50), `ONLY=health,me,…` some scenarios, `QUICK=1` to try
## it out; every setting is in bench/README.md
bench: build
	npx tsx bench/run.ts

## bench-health-data: GET /me on encrypted against plaintext profiles, and the rotation of VALUES (1000000) values while
## the server serves; on a scratch PostgreSQL database like `make bench`; out of CI (see bench/README.md)
bench-health-data: build
	npx tsx bench/health-data.ts

## bench-scale: GET /me and login with 10 000 000 sessions and 1 000 000 rate-limit counters against small tables, and GET /me
## while the housekeeping deletes 1 000 000 expired rows of each; writes bench/results-scale.md (settings in bench/scale.ts)
bench-scale: build
	npx tsx bench/scale.ts

## bench-variants: one load on several variants of the server in alternating rounds (`VARIANTS='[{"name":…,"env":{…}}]'`, see bench/README.md)
bench-variants: build
	npx tsx bench/variants.ts

## bench-peers: GET /me, login and signup side by side against better-auth (installed into bench/peers, apart from the service's
## dependencies), each on its own scratch PostgreSQL database, in alternating rounds with every answer checked; the service's req/s as a
## ratio of better-auth's against its target, written to bench/results-peers.md. `ROUNDS=n` (3), `DURATION=s` (5); see bench/README.md
bench-peers: build bench/peers/node_modules/.package-lock.json
	npx tsx bench/peers.ts

# The peer's own install, as the service's (node_modules/.package-lock.json above).
bench/peers/node_modules/.package-lock.json: bench/peers/package.json bench/peers/package-lock.json
	npm ci --prefix bench/peers

## bench-timing: do a failed login and a password-reset request take as long for an unknown email as for a known one? (`LOGINS=n`, default 40)
bench-timing: install
	npx tsx bench/login-timing.ts $(if $(LOGINS),--logins $(LOGINS))

## bench-import: ROWS old rows (1 000 000) generated into a scratch old-schema database and imported by the production
## build into a scratch target, both on DATABASE_URL's server (or the local one) and dropped; prints the time and the peak
## RSS against their targets (< 2 min, < 200 MB) and writes bench/results-import.md. Not part of any test run
bench-import: build
	npx tsx bench/import.ts

clean:
	rm -rf dist coverage .tap test-results node_modules/.cache/dna-api
