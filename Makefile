# The two commands a new machine needs: `make start` runs Orderly, `make test` checks it.
SHELL := /bin/bash
NPM_STAMP := node_modules/.package-lock.json

.PHONY: start test install temporal-cli typecheck lint jest bundle clean

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NPM_STAMP)

install: $(NPM_STAMP)

temporal-cli: install
	@npx tsx scripts/temporal-cli.ts >/dev/null

start: install temporal-cli
	npx tsx scripts/dev.ts

typecheck: install
	npx tsc --noEmit

lint: install
	npx eslint .

jest: install temporal-cli
	npm test

test: typecheck lint jest

bundle: install
	npm run build:workflows

clean:
	rm -rf dist .data/pglite .data/temporal.db .data/outbox
