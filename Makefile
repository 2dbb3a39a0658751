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

.PHONY: help build web run test test-go test-web e2e bench gen migrate lint docker clean db-stop

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: web ## build the SPA, then bin/api, bin/worker and bin/scheduler
	$(GO) build -o bin/ ./cmd/...

web: ## build the SPA into web/dist (npm ci first when node_modules is stale)
	@if [ ! -f web/package.json ]; then echo "web/package.json not there yet: skipping the SPA build"; exit 0; fi; \
	cd web; \
	if [ ! -d node_modules ] || [ ! -f package-lock.json ] || [ package-lock.json -nt node_modules ]; then \
		if [ -f package-lock.json ]; then $(NPM) ci --no-audit --no-fund; else $(NPM) install --no-audit --no-fund; fi; \
		touch node_modules; \
	fi; \
	$(NPM) run build

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

test-web: ## Vitest unit tests of the SPA
	@if [ ! -f web/package.json ]; then echo "web/package.json not there yet: no web unit tests"; exit 0; fi; \
	cd web && $(NPM) run test:unit

e2e: build ## Playwright end-to-end tests against the built binaries and a fresh database
	@if [ ! -d web/e2e ]; then echo "web/e2e not there yet: no end-to-end tests"; exit 0; fi; \
	admin=$$(scripts/devdb.sh test); \
	db=$$(TEST_DATABASE_URL=$$admin scripts/devdb.sh e2e); \
	cd web && TEST_DATABASE_URL=$$admin DATABASE_URL=$$db $(NPM) run test:e2e

bench: ## run the benchmarks (cmd/bench) and print their figures
	@if [ -d cmd/bench ]; then \
		url=$$(scripts/devdb.sh test); \
		TEST_DATABASE_URL=$$url $(GO) run ./cmd/bench; \
	else echo "no benchmarks yet"; fi

gen: ## regenerate sqlc code (internal/db/dbsqlc) and the SPA's API types
	$(GO) run $(SQLC) generate
	@if [ -f web/package.json ] && grep -q '"gen"' web/package.json; then cd web && $(NPM) run gen; fi

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
