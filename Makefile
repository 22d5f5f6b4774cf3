# Top-level driver: `make demo` and `make check` do all set-up on a fresh Debian 12 machine.
BUILD   ?= build
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all deps build demo check asan bench clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The built-in demo: 2D quantum dot, N=2, omega=1 (exact energy 3).
demo: build
	./$(BUILD)/nqs run

check: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L fast

# Long physics validations (documented runs), not part of `make check`.
validate: build
	cd $(BUILD) && ctest --output-on-failure -L long

# AddressSanitizer + UndefinedBehaviorSanitizer build of the whole test suite.
asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DNQS_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    ctest --output-on-failure -j $(JOBS) -L fast

bench: build
	./$(BUILD)/nqs-bench --json $(BUILD)/bench.json

clean:
	rm -rf $(BUILD) build-asan
