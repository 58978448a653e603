# smsq — make targets. `make test` is what CI runs; `make demo` is the main job.
GO      ?= go
BIN     := bin
PKGS    := ./...
export CGO_ENABLED ?= 0

.PHONY: all build test vet demo fuzz bench microbench faults clean

all: build

build:
	$(GO) build -trimpath -o $(BIN)/ ./cmd/...

# staticcheck's version is pinned: a new release may add checks.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) mod tidy -diff
	cd deploy && $(GO) mod tidy -diff
	$(GO) vet $(PKGS)
	$(GO) vet -tags faults ./internal/faults/
	$(GO) run $(STATICCHECK) $(PKGS)
	$(GO) run $(STATICCHECK) -tags faults ./internal/faults/
	cd deploy && $(GO) run $(STATICCHECK) ./...

# The race detector needs cgo.
# deploy/ is a module of its own (Kubernetes types stay out of the main module).
test: vet
	./scripts/deps.sh test
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 30m $(PKGS)
	cd deploy && $(GO) vet ./... && $(GO) test -count=1 ./...
	./deploy/check.sh

demo: build
	./scripts/demo.sh

# Each fuzz target for FUZZTIME (default 60s).
FUZZTIME ?= 60s
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

# End-to-end figures (throughput vs bare asynq, latency, webhook, batch, enqueue):
# one table, also written into BENCHMARKS.md.
bench: build
	$(GO) run ./cmd/bench -write BENCHMARKS.md

# Go micro-benchmarks of every package.
microbench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

# Fault-injection suite: kills, Redis restarts, provider outages, floods.
faults: build
	./scripts/deps.sh test
	CGO_ENABLED=1 $(GO) test -race -tags faults -count=1 -timeout 40m -v ./internal/faults/

clean:
	rm -rf $(BIN) .demo
