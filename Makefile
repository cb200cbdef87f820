# The two commands of the README, and a few more for developers.
#   make run   installs what is missing, builds, serves on :50051 (gRPC) and
#              :8080 (dashboard, HTTP/JSON API) with demo data
#   make test  installs what is missing, builds, runs every test: the suite,
#              the container image built and run as the dev pod (as root:
#              buildah), the suite again under ASan + UBSan, every fuzz target
#   make check the suite only (the quick loop while developing)
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= 2
DB ?= analytics.db
LISTEN ?= 0.0.0.0:50051
METRICS_LISTEN ?= 0.0.0.0:9090
HTTP_LISTEN ?= 0.0.0.0:8080
SANITIZE_DIR ?= build-sanitize
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 30

.PHONY: all deps build run test check test-sanitize fuzz bench bench-page soak format clean
.PHONY: image image-test image-push image-digest

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@echo ""
	@echo "Starting analytics-server on $(LISTEN) with database $(DB) (demo data if empty)."
	@echo "Dashboard: http://localhost:$(lastword $(subst :, ,$(HTTP_LISTEN)))/  (open it in a browser)"
	@echo "In another terminal:"
	@echo "  $(BUILD_DIR)/client/analytics-cli kpis"
	@echo "  $(BUILD_DIR)/client/analytics-cli breakdown region"
	@echo "  $(BUILD_DIR)/client/analytics-cli rfm"
	@echo "  $(BUILD_DIR)/client/analytics-cli customers --tier gold --limit 5"
	@echo "  npx --yes @bufbuild/buf curl --protocol grpc --http2-prior-knowledge --list-methods http://localhost:50051"
	@echo "  curl -s 'localhost:$(lastword $(subst :, ,$(HTTP_LISTEN)))/v1/kpis?filter.regions=West'"
	@echo "  curl -s localhost:9090/metrics"
	@echo "Stop with Ctrl-C."
	@echo ""
	$(BUILD_DIR)/service/server/analytics-server --listen $(LISTEN) --db $(DB) \
	  --metrics-listen $(METRICS_LISTEN) --http-listen $(HTTP_LISTEN) --seed-demo-if-empty

# Every test: the suite, the image (right after the suite, whose compiler
# cache entries its build stage reuses: seconds, not a second full compile),
# then the suite under the sanitizers, then the fuzzers for a bounded time
# each (in that order: the quick verdict first).
test: check image-test test-sanitize fuzz

check: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

# The whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
test-sanitize: deps
	cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=Debug -DANALYTICS_SANITIZE=ON
	cmake --build $(SANITIZE_DIR) -j $(JOBS)
	cd $(SANITIZE_DIR) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900

# Every libFuzzer target for FUZZ_SECONDS each (clang-14, ASan + UBSan), from
# the seed corpus committed under fuzz/corpus/. A crash fails the run and
# leaves its input in $(FUZZ_DIR)/fuzz/artifacts/.
fuzz: deps
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DANALYTICS_FUZZ=ON -DANALYTICS_BUILD_TESTS=OFF
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzzers
	fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

bench: build
	bench/run.sh

# The dashboard's load time on the demo data in headless chromium, cold and
# warm (bench/page_load.sh); result in bench/results/page-load-<date>.md.
bench-page: build
	BUILD_DIR=$(BUILD_DIR) bench/page_load.sh

# Ten minutes of mixed reads, writes, cancelled, oversized and truncated
# streams and rapid resets against one server, checked against a ledger
# (bench/soak.py); the summary goes to bench/results/soak-<date>.md.
SOAK_SECONDS ?= 600
soak: build
	bench/soak.py $(BUILD_DIR)/service/server/analytics-server --seconds $(SOAK_SECONDS)

# The container image, built with buildah from deploy/Dockerfile (no Docker
# engine or registry needed; scripts/image-base.sh makes the Debian bases from
# Debian packages when they are not in local storage). build-image/ gets the
# image's digest, an OCI layout (oci/), the SBOM (sbom.tsv) and summary.md
# (both also copied to bench/results/image-<date>*); over IMAGE_MAX_MB fails.
VERSION := $(shell grep -m1 -oE 'customer_analytics VERSION [0-9.]+' CMakeLists.txt | cut -d' ' -f3)
IMAGE ?= localhost/customer-analytics:$(VERSION)
IMAGE_DIR ?= build-image
IMAGE_MAX_MB ?= 120
# Where releases are pushed; the production overlay is pinned to it by digest.
IMAGE_REPO ?= ghcr.io/example/customer-analytics
IMAGE_OVERLAY ?= deploy/k8s/overlays/production

image:
	@scripts/install-image-deps.sh
	IMAGE_MAX_MB=$(IMAGE_MAX_MB) scripts/image-build.sh $(IMAGE) $(IMAGE_DIR)

# The image run as the dev overlay's pod: uid 10001, only the volumes
# writable, probes, the demo-data Job, a CLI query, SIGTERM drain.
image-test: image
	/usr/bin/python3 tests/deploy/image_run_test.py --image $(IMAGE) --overlay deploy/k8s/overlays/dev

# Pushes the tested image; the registry's digest replaces $(IMAGE_DIR)/digest.
image-push:
	buildah push --digestfile $(IMAGE_DIR)/digest $(IMAGE) docker://$(IMAGE_REPO):$(VERSION)

# Pins IMAGE_OVERLAY's image to $(IMAGE_REPO):$(VERSION)@<the digest of the
# last image-build or image-push>, so the cluster runs what was tested.
image-digest:
	@test -s $(IMAGE_DIR)/digest || { echo "no $(IMAGE_DIR)/digest: run make image (and image-push)" >&2; exit 1; }
	/usr/bin/python3 scripts/image-pin-digest.py $(IMAGE_OVERLAY) $(IMAGE_REPO) $(VERSION) $$(cat $(IMAGE_DIR)/digest)

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR) $(FUZZ_DIR)
