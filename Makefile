# Switchboard: `make` lists the targets. Every target works with nothing set:
# scripts/devdb.sh finds or starts a Postgres (DATABASE_URL and
# TEST_DATABASE_URL override it).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO    ?= go
NPM   ?= npm
SQLC  := github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1
IMAGE ?= switchboard

.PHONY: help build web web-deps run test test-go test-web check-gen e2e bench gen migrate lint docker clean db-stop

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: web ## build the SPA, then bin/api, bin/worker and bin/scheduler
	$(GO) build -o bin/ ./cmd/...

# A node_modules that is a symlink is another checkout's install (worktrees
# share one): npm ci would follow the link and empty the shared directory, and
# a fresh worktree's package-lock.json is always newer than it. Leave it be.
web-deps: ## install the SPA's npm packages when node_modules is missing or stale
	@cd web; \
	if [ -L node_modules ]; then \
		:; \
	elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then \
		$(NPM) ci --no-audit --no-fund; \
		touch node_modules; \
	fi

web: web-deps ## build the SPA into web/dist
	cd web && $(NPM) run build

run: build ## build, then run api, worker and scheduler on a local Postgres (Ctrl-C stops)
	scripts/run.sh

test: ## test-go, test-web and e2e (each runs even if one fails), then drop the test databases
	@status=0; \
	$(MAKE) --no-print-directory test-go || status=1; \
	$(MAKE) --no-print-directory test-web || status=1; \
	$(MAKE) --no-print-directory e2e || status=1; \
	scripts/dbtest-clean.sh || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED" >&2; fi; \
	exit $$status

test-go: ## Go tests against real Postgres (TEST_DATABASE_URL from scripts/devdb.sh test)
	url=$$(scripts/devdb.sh test); \
	TEST_DATABASE_URL=$$url $(GO) test -count=1 -p 2 ./...

test-web: web-deps check-gen ## Vitest unit tests of the SPA (after checking its API types are current)
	cd web && $(NPM) run test:unit

check-gen: web-deps ## fail when web/src/api is stale against the API's OpenAPI schema (fix: make gen)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(GO) run ./cmd/api openapi > "$$tmp/openapi.json"; \
	(cd web && npx openapi-typescript "$$tmp/openapi.json" -o "$$tmp/schema.d.ts" >/dev/null); \
	if ! cmp -s "$$tmp/openapi.json" web/src/api/openapi.json || ! cmp -s "$$tmp/schema.d.ts" web/src/api/schema.d.ts; then \
		echo "web/src/api is stale against the API: run 'make gen' and commit the result" >&2; exit 1; \
	fi; \
	echo "web/src/api matches the API schema"

e2e: build ## Playwright end-to-end tests against the built binaries and a fresh database
	@admin=$$(scripts/devdb.sh test); \
	db=$$(TEST_DATABASE_URL=$$admin scripts/devdb.sh e2e); \
	cd web && TEST_DATABASE_URL=$$admin DATABASE_URL=$$db $(NPM) run test:e2e

bench: ## run the benchmarks (cmd/bench) and print their figures
	@if [ -d cmd/bench ]; then \
		url=$$(scripts/devdb.sh test); \
		TEST_DATABASE_URL=$$url $(GO) run ./cmd/bench; \
	else echo "no benchmarks yet"; fi

gen: web-deps ## regenerate sqlc code (internal/db/dbsqlc) and the SPA's API types from the OpenAPI schema
	$(GO) run $(SQLC) generate
	$(GO) run ./cmd/api openapi > web/src/api/openapi.json
	cd web && $(NPM) run gen

migrate: build ## apply every migration to the dev database
	url=$$(scripts/devdb.sh run); \
	DATABASE_URL=$$url bin/api migrate

lint: ## gofmt check and go vet
	@files=$$(find . -name '*.go' -not -path './web/node_modules/*' -not -path './.data/*' -not -path './bin/*' | xargs gofmt -l); \
	if [ -n "$$files" ]; then echo "gofmt needed:"; echo "$$files"; exit 1; fi
	$(GO) vet ./...

docker: ## build the api, worker and scheduler images (needs a Docker engine)
	docker build -f deploy/Dockerfile --target api -t $(IMAGE)-api .
	docker build -f deploy/Dockerfile --target worker -t $(IMAGE)-worker .
	docker build -f deploy/Dockerfile --target scheduler -t $(IMAGE)-scheduler .

db-stop: ## stop the private Postgres under .data/pg, if one was started
	scripts/devdb.sh stop

clean: ## remove bin/ and the built SPA (keeps .data: the dev database and secrets)
	rm -rf bin
	find web/dist -mindepth 1 -not -name .gitkeep -delete 2>/dev/null || true
