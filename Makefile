# Every Go module in the repository (the root and the nested modules).
MODULES := $(shell find . -name go.mod -not -path './.git/*' -printf '%h\n' | sort)
# The in-process Vault test module takes ~15 minutes to build cold.
SLOW_MODULES := ./repository/hcvault/vaulttest
FAST_MODULES := $(filter-out $(SLOW_MODULES),$(MODULES))

export GOWORK := off
export GOFLAGS := -buildvcs=false

.PHONY: test test-fast fmt-check vet demo bench work tidy

## test: gofmt check, then go vet and go test -race for every module.
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

## test-fast: like test, but skips the slow in-process Vault module.
test-fast: fmt-check
	@set -e; for m in $(FAST_MODULES); do \
		echo "==> $$m"; \
		(cd $$m && go vet ./... && go test -race -count=1 ./...); \
	done

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
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
