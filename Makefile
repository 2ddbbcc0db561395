# Gatehouse build, test and benchmark entry points.
GO      ?= go
PKGS    ?= ./...
STATICCHECK = $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME ?= 5m

.PHONY: all build test test-postgres test-big fuzz fuzz-smoke peers vet lint bench screenshots clean

all: build

build:
	$(GO) build -o bin/gatehouse ./cmd/gatehouse

# test installs any missing test peers (PostgreSQL, Chromium, npm packages),
# then runs every test with the race detector (fuzz targets replay their
# seeds and testdata/fuzz there) and every fuzz target for a few seconds.
# GATEHOUSE_REQUIRE_PEERS=1 turns "peer missing, skipped" into a failure.
# It checks make lint first (gofmt, vet, staticcheck): CI holds the bar.
test: peers lint
	GATEHOUSE_REQUIRE_PEERS=1 $(GO) test -race -timeout 20m $(PKGS)
	@$(MAKE) --no-print-directory test-postgres
	@$(MAKE) --no-print-directory test-big
	@$(MAKE) --no-print-directory fuzz-smoke

# test-postgres runs the front ends' tests a second time with their store on
# PostgreSQL (GATEHOUSE_TEST_STORE, see internal/store/teststore): the
# sign-in core, oidclogin and the transfer packages whole, and of
# internal/web the tests that go through the store most (REST API, sign-in
# and provisioning by each protocol, sessions, quotas). The rest of web (pysaml2-bound SAML checks,
# body and queue limits, the route table) does not depend on the engine,
# and running it twice would double the longest package's time.
PG_PKGS ?= ./internal/signin ./internal/oidclogin ./internal/transfer/...
PG_WEB_TESTS = ^Test(SDK|API|OIDCSignIn|LDAP|SAMLJustInTimeProvisioning|SAMLGroupsFromSCIMAndRename|Login|Session|TamperedAndExpired|SiteChosenByHost|LookAlikeUsernames|PermissionSets|FullPagesHaveANextCursor|UploadQuota)
test-postgres:
	GATEHOUSE_REQUIRE_PEERS=1 GATEHOUSE_TEST_STORE=postgres $(GO) test -race -timeout 20m $(PG_PKGS)
	GATEHOUSE_REQUIRE_PEERS=1 GATEHOUSE_TEST_STORE=postgres $(GO) test -race -timeout 20m -run '$(PG_WEB_TESTS)' ./internal/web

# test-big sends 1 GiB up and down through Files.com's Go SDK (multi-part
# upload with parallel parts, presigned download) and compares checksums.
# It runs without the race detector: the SDK runs in the test process, and
# under -race 1 GiB takes minutes.
test-big:
	GATEHOUSE_REQUIRE_PEERS=1 GATEHOUSE_TEST_BIG=1 $(GO) test -count=1 -timeout 20m -run '^TestFilesComGoSDKUploadDownload$$' ./internal/e2e

# fuzz-smoke runs each fuzz target (scripts/fuzz.sh lists them) for three
# seconds: a target that no longer runs, or a shallow crash, fails the build.
fuzz-smoke:
	GO=$(GO) FUZZTIME=3s ./scripts/fuzz.sh

# fuzz runs each fuzz target for FUZZTIME (make fuzz FUZZTIME=30m).
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

# screenshots runs the browser tests (real Chromium) with
# GATEHOUSE_SCREENSHOTS set, so that they photograph each page they visit
# into docs/screenshots, the pictures the README shows.
screenshots: peers
	GATEHOUSE_REQUIRE_PEERS=1 GATEHOUSE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -timeout 20m -run '^TestBrowser' ./internal/e2e

peers:
	./scripts/install-test-peers.sh

vet:
	$(GO) vet $(PKGS)

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(STATICCHECK) $(PKGS)

# bench prints the speed and memory figures as a table. The HTTP load comes
# from wrk (Debian's package, installed when missing), which leaves more of
# the CPUs to the server than a Go client would. gatehouse-bench also holds
# 1,000 signed-in SFTP sessions idle for 30 s and reports the server's CPU
# (share of a core) and resident memory over that window (alone:
# go run ./cmd/gatehouse-bench --binary bin/gatehouse --idle-only). The
# last line moves 1 GiB files through Files.com's Go SDK and rclone
# (filescom beside WebDAV), each checked byte for byte.
bench: build peers
	@command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(GO) test -run '^$$' -bench . -count 3 ./internal/store/...
	$(GO) test -run '^$$' -bench . -count 3 -timeout 30m ./internal/provision/
	$(GO) test -run '^$$' -bench BenchmarkSAMLConsume -benchtime 3000x -count 3 ./internal/web/
	$(GO) test -run '^$$' -bench BenchmarkOIDCCallback -benchtime 3000x -count 3 ./internal/web/
	$(GO) test -run '^$$' -bench 'BenchmarkCreateUsers(SQLite|Postgres)$$' -benchtime 1x -count 3 -timeout 30m ./internal/scim/
	$(GO) test -run '^$$' -bench 'BenchmarkCreateUsers100k' -benchtime 1x -count 3 -timeout 90m ./internal/scim/
	$(GO) test -run '^$$' -bench 'BenchmarkFilterUserName100k' -benchtime 2000x -count 3 -timeout 30m ./internal/scim/
	$(GO) test -run '^$$' -bench 'BenchmarkPatch1000Members' -benchtime 20x -count 3 -timeout 30m ./internal/scim/
	$(GO) test -run '^$$' -bench BenchmarkLogsPage -benchtime 700x -timeout 60m ./internal/console/
	$(GO) test -run '^$$' -bench BenchmarkFolderPage10k -benchtime 100x -count 3 ./internal/web/
	$(GO) run ./cmd/gatehouse-bench --binary bin/gatehouse
	$(GO) test -run '^$$' -bench 'BenchmarkFilesComGoSDK1GiB|BenchmarkRcloneFilescomVsWebDAV|BenchmarkBrowserUploadVsCurlWebDAV' -benchtime 3x -timeout 60m ./internal/e2e/

clean:
	rm -rf bin
