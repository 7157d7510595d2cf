# Cloud Resizer. `make run` and `make test` install what a fresh Debian
# machine lacks (scripts/setup.sh) before doing anything else.
#
# VIPS=npm builds against the libvips that sharp ships on npm instead of
# Debian's (see docs/engine.md): make test VIPS=npm

GO       ?= go
FUZZTIME ?= 8s
BIN      := bin/cloudresizer

ifeq ($(VIPS),npm)
# Go's build cache ignores pkg-config's output: the define gives the npm build
# its own cache key so the two libvips builds never mix (golang/go#24544).
VIPSENV := PKG_CONFIG_PATH=$(CURDIR)/.cache/vips-npm/pkgconfig CGO_CPPFLAGS=-DCR_VIPS_PC=npm-$$(cksum <.cache/vips-npm/pkgconfig/vips.pc | cut -d' ' -f1)
SETUP_VIPS := vips-npm
BENCHENV := BENCH_SECTION=bench-npm
endif

# Fuzz targets, as package:Fuzzer; `make fuzz` runs each for FUZZTIME.
FUZZERS := .:FuzzParseQuery .:FuzzSniff .:FuzzPlan ./vips:FuzzTransform

.PHONY: all setup vips-npm build run test vet fuzz bench load clean

all: build

setup:
	@scripts/setup.sh

vips-npm:
	@scripts/vips-npm.sh >/dev/null

build: setup $(SETUP_VIPS)
	$(VIPSENV) $(GO) build -o $(BIN) ./cmd/cloudresizer

# run serves the API on :8080 (ADDR=… to change) with the embedded default:
# images under ./data, an in-memory cache, nothing else needed.
ADDR ?= :8080
run: build
	$(BIN) serve --addr $(ADDR) --log-format text

vet: setup $(SETUP_VIPS)
	$(VIPSENV) $(GO) vet ./...

# test runs every package's tests (they start their own redis-server,
# versitygw, nginx and Chromium on free ports), the deploy manifests' test
# (a module of its own, so the main one carries no Kubernetes dependency),
# and a short run of each fuzzer.
test: vet
	$(VIPSENV) $(GO) test -count=1 -timeout 30m ./...
	$(VIPSENV) GOWORK=off $(GO) -C deploy/k8s test -count=1 ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)

fuzz: setup $(SETUP_VIPS)
	@set -e; for f in $(FUZZERS); do \
		pkg=$${f%%:*}; name=$${f##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(VIPSENV) $(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

bench: build
	@scripts/setup.sh bench
	$(VIPSENV) $(BENCHENV) bench/run.sh

# load runs the HTTP load harness against sharp's server and a bare handler
# (docs/benchmarks.md, "Load").
load: build
	@scripts/setup.sh bench
	$(VIPSENV) bench/load/run.sh

clean:
	rm -rf bin out
