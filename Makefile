# heartbeat: the two set-up commands (make run, make test), the build and the benchmarks.
BUILD       ?= build
ASAN_BUILD  ?= build-asan
FUZZ_BUILD  ?= build-fuzz
# make fuzz: seconds per fuzz target; make test runs each for TEST_FUZZ_SECONDS.
FUZZ_SECONDS      ?= 300
TEST_FUZZ_SECONDS ?= 20
FUZZ_CXX          ?= clang++-14
ASAN_CXX          ?= clang++-14
JOBS        ?= $(shell nproc)
# Tests spend much of their time waiting (on child processes, sockets, timeouts): two per core.
TEST_JOBS   ?= $(shell echo $$(( $$(nproc) * 2 )))
CMAKE_FLAGS ?=

.PHONY: all build build-server build-bench run test test-release test-asan test-fuzz fuzz fuzz-build bench deps clean format chaos

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Only what serving needs (scripts/run.sh uses build/heartbeat alone): the test tree is most
# of a full build's compile time.
build-server: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target heartbeat

# What bench/run.sh runs: the server and the benchmark programs of bench/.
build-bench: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target heartbeat store_bench alert_bench cron_bench key_bench

# Installs what is missing, builds the server, makes sure there is an API key, serves on :3000.
run: deps
	@$(MAKE) --no-print-directory build-server
	@./scripts/run.sh

# Every test through CTest: the Release build, then the same suite under ASan+UBSan, then
# each fuzz target for TEST_FUZZ_SECONDS.
test: deps
	@$(MAKE) --no-print-directory test-release
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-fuzz

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS) --timeout 300

# The chaos suite alone (part of `make test`): the real binary against a deleted, locked or
# full database, a failing fsync, a stalled DynamoDB, too few descriptors, kill -9.
chaos: build
	cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS) --timeout 300 -L chaos

# The sanitizer build uses clang (it compiles this code about twice as fast as g++ with the
# sanitizers on, and a second compiler's warnings come with it); -g1: line tables only,
# enough for the sanitizers' stack traces.
$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHEARTBEAT_SANITIZE=ON \
	  -DCMAKE_CXX_COMPILER=$(ASAN_CXX) -DCMAKE_CXX_FLAGS_DEBUG=-g1 $(CMAKE_FLAGS)

test-asan: $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(TEST_JOBS) --timeout 600

# The libFuzzer targets of fuzz/, built with clang (fuzz/CMakeLists.txt).
$(FUZZ_BUILD)/build.ninja:
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) \
	  -DHEARTBEAT_FUZZ=ON -DHEARTBEAT_TESTS=OFF $(CMAKE_FLAGS)

fuzz-build: $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) --target fuzzers -j $(JOBS)

# Runs every fuzz target for FUZZ_SECONDS on a scratch copy of its corpus (fuzz/run.sh);
# fails when one finds a crash.
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	./fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

test-fuzz: fuzz-build
	./fuzz/run.sh $(FUZZ_BUILD) $(TEST_FUZZ_SECONDS)

bench: deps
	@$(MAKE) --no-print-directory build-bench
	@./bench/run.sh

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
