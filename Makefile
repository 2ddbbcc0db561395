# Gatehouse build, test and benchmark entry points.
GO      ?= go
PKGS    ?= ./...
STATICCHECK = $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test peers vet lint bench clean

all: build

build:
	$(GO) build -o bin/gatehouse ./cmd/gatehouse

# test installs any missing test peers (PostgreSQL, Chromium, npm packages),
# then runs every test with the race detector. GATEHOUSE_REQUIRE_PEERS=1
# turns "peer missing, skipped" into a failure.
test: peers vet
	GATEHOUSE_REQUIRE_PEERS=1 $(GO) test -race -timeout 20m $(PKGS)

peers:
	./scripts/install-test-peers.sh

vet:
	$(GO) vet $(PKGS)

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(STATICCHECK) $(PKGS)

# bench prints the speed and memory figures the issues ask for, as a table.
bench: build peers
	$(GO) test -run '^$$' -bench . -benchtime 3x ./internal/store/...
	$(GO) run ./cmd/gatehouse-bench --binary bin/gatehouse

clean:
	rm -rf bin
