# ConsentService: the two commands first.
#   make run    build and start the service on http://localhost:8080 (Development, embedded SQLite ./data/consents.db)
#   make test   build with warnings as errors and run every test
SHELL := /bin/bash
DOTNET ?= dotnet
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1

.PHONY: run test build openapi clean

run:
	$(DOTNET) build src/ConsentService.Api/ConsentService.Api.csproj -c Release -nologo -v q
	ASPNETCORE_ENVIRONMENT=$${ASPNETCORE_ENVIRONMENT:-Development} \
	ASPNETCORE_URLS=$${ASPNETCORE_URLS:-http://localhost:8080} \
	Storage__Sqlite__Path=$${Storage__Sqlite__Path:-$(CURDIR)/data/consents.db} \
	$(DOTNET) run --no-build -c Release --project src/ConsentService.Api/ConsentService.Api.csproj --no-launch-profile

build:
	$(DOTNET) build ConsentService.sln -c Release -nologo -v q -warnaserror

test: build
	@# The Cosmos DB test server (npm, pinned): installed once here, before the test assemblies that use it start in parallel.
	@if [ ! -f tests/cosmos-server/node_modules/.package-lock.json ] || [ tests/cosmos-server/package-lock.json -nt tests/cosmos-server/node_modules/.package-lock.json ]; then \
		cd tests/cosmos-server && npm ci --no-audit --no-fund --loglevel=error; fi
	$(DOTNET) test ConsentService.sln -c Release --no-build -nologo -v q --logger "console;verbosity=minimal"
	@# The TypeScript client: npm ci only when node_modules is missing or older than the lockfile; then generate
	@# from the committed openapi/consent-service.json and type-check tests/ts-client/usage.ts against it.
	@if [ ! -f tests/ts-client/node_modules/.package-lock.json ] || [ tests/ts-client/package-lock.json -nt tests/ts-client/node_modules/.package-lock.json ]; then \
		cd tests/ts-client && npm ci --no-audit --no-fund --loglevel=error; fi
	cd tests/ts-client && npx --no -- openapi-typescript ../../openapi/consent-service.json --output generated/consent-service.ts --silent
	cd tests/ts-client && npx --no -- tsc -p . && echo "TypeScript client: generated and type-checked"

# Regenerates the committed OpenAPI document from the served one.
openapi: build
	UPDATE_OPENAPI=1 $(DOTNET) test tests/ConsentService.Api.Tests -c Release --no-build -nologo --filter "FullyQualifiedName~OpenApiDocumentTests"

clean:
	$(DOTNET) clean ConsentService.sln -nologo -v q

# Performance table of issue 8 (engine, HTTP vs a floor endpoint, batch, bulk load, cohort, idle, start-up);
# not part of `make test`. BENCH_COHORT_STUDIES=100000 make bench for a shorter run. See docs/performance.md.
.PHONY: bench
bench:
	bash bench/run.sh
