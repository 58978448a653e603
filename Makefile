# smsq — make targets. `make test` is what CI runs; `make demo` is the main job.
GO      ?= go
BIN     := bin
PKGS    := ./...
export CGO_ENABLED ?= 0

.PHONY: all build test vet demo fuzz bench clean

all: build

build:
	$(GO) build -trimpath -o $(BIN)/ ./cmd/...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet $(PKGS)

# The race detector needs cgo.
test: vet
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 30m $(PKGS)

demo: build
	./scripts/demo.sh

# Each fuzz target for FUZZTIME (default 60s).
FUZZTIME ?= 60s
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./smsmode/... ./tasks/...

clean:
	rm -rf $(BIN) .demo
