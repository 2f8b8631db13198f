# Every Go module in the repository (the root and the nested modules).
MODULES := $(shell find . \( -path ./.git -o -path ./.tools \) -prune -o -name go.mod -printf '%h\n' | sort)
# The in-process Vault test module takes ~15 minutes to build cold.
SLOW_MODULES := ./repository/hcvault/vaulttest
FAST_MODULES := $(filter-out $(SLOW_MODULES),$(MODULES))

export GOWORK := off
export GOFLAGS := -buildvcs=false

# Pinned npm tools (conformance/package-lock.json), installed outside the
# Go tree: the go command ignores directories starting with a dot.
CONFORMANCE_TOOLS := .tools/conformance

.PHONY: test test-fast fmt-check vet demo bench work tidy tools release-check release api-count

## test: gofmt check, then go vet and go test -race for every module, then
## the release check.
## The Vault test module is one package of tests only, so there
## `go test -vet=all` runs the full vet inside the race build instead of
## compiling Vault's 874-module graph a second time for `go vet`.
test: fmt-check
	@set -e; for m in $(FAST_MODULES); do \
		echo "==> $$m"; \
		(cd $$m && go vet ./... && go test -race -count=1 ./...); \
	done
	@set -e; for m in $(SLOW_MODULES); do \
		echo "==> $$m"; \
		(cd $$m && go test -race -vet=all -count=1 ./...); \
	done
	@$(MAKE) --no-print-directory release-check

## test-fast: like test, but skips the slow in-process Vault module.
test-fast: fmt-check
	@set -e; for m in $(FAST_MODULES); do \
		echo "==> $$m"; \
		(cd $$m && go vet ./... && go test -race -count=1 ./...); \
	done

## release-check: build a module proxy from the working tree serving every
## published module at the release version (tools/release/modules.go), then
## in a fresh module outside the repository (no replace, no go.work) run the
## README's `go get` line of each module and build and run a small program
## using it (tools/release/testdata/consumer). Needs only the module cache.
release-check:
	@echo "==> release check"
	@cd tools/release && go run . check $(if $(VERSION),-version $(VERSION))

## api-count: count the root package's exported names and option fields
## (the measure issue #12 uses).
api-count:
	@cd tools/apicount && go run . ../..

## release: the dry run of a release: refuses a dirty tree or a version that
## is not canonical semver, checks every sibling requirement names it, and
## prints the tags it would create (VERSION defaults to the one in
## tools/release/modules.go). It creates and pushes nothing.
release:
	@cd tools/release && go run . tags $(if $(VERSION),-version $(VERSION))

## tools: install the MCP conformance suite and Node.js 22 it runs on, as
## pinned by conformance/package-lock.json, into .tools/ (needs npm). Without
## them the conformance test skips, except under CI=true, where it fails.
tools: $(CONFORMANCE_TOOLS)/.installed

$(CONFORMANCE_TOOLS)/.installed: conformance/package.json conformance/package-lock.json
	rm -rf $(CONFORMANCE_TOOLS)
	mkdir -p $(CONFORMANCE_TOOLS)
	cp conformance/package.json conformance/package-lock.json $(CONFORMANCE_TOOLS)/
	npm ci --prefix $(CONFORMANCE_TOOLS) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

fmt-check:
	@out=$$(gofmt -l $$(find . \( -path ./.git -o -path ./.tools \) -prune -o -name '*.go' -print)); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## demo: run the quick-start example server.
demo:
	cd examples && go run ./quickstart

## bench: the benchmarks behind BENCHMARKS.md.
bench:
	go test -run='^$$' -bench=. -benchmem -count=6 ./... | tee bench.out

## tidy: go mod tidy in every module.
tidy:
	@set -e; for m in $(MODULES); do (cd $$m && go mod tidy); done

## work: a local go.work over all modules, for editors (never commit it).
work:
	rm -f go.work go.work.sum; go work init $(MODULES)
