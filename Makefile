# Top-level driver: `make demo` and `make check` do all set-up on a fresh Debian 12 machine.
BUILD   ?= build
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all deps build demo check asan fuzz bench clean install

# make install [PREFIX=/usr/local] [DESTDIR=...]: the library (libnqs.so.0, libnqs.a), headers,
# the nqs program, its man page, nqs.pc and the CMake package (find_package(nqs): nqs::nqs).
PREFIX ?= /usr/local
install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

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

# AddressSanitizer + UndefinedBehaviorSanitizer build of the whole test suite (leaks inside
# libhdf5 on the damaged files the tests feed it are suppressed: tests/fuzz/lsan.supp).
asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DNQS_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    ctest --output-on-failure -j $(JOBS) -L fast

# libFuzzer (clang) with ASan + UBSan: each target runs FUZZ_SECONDS on its corpus in
# tests/fuzz/corpus; new inputs go to build-fuzz/corpus-*, crashes to build-fuzz/crash-* (copy
# a reproducer into tests/fuzz/corpus/<target> so that `make check` replays it). malloc returns
# NULL for absurd sizes as it does outside the sanitizer (libhdf5 asks for them on crafted
# headers and copes); leaks inside libhdf5 itself are suppressed (tests/fuzz/lsan.supp).
FUZZ_SECONDS ?= 60
fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNQS_SANITIZE=ON -DNQS_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS) --target fuzz_config fuzz_checkpoint fuzz_dataset
	@for t in config checkpoint dataset; do \
	  mkdir -p build-fuzz/corpus-$$t; \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    ./build-fuzz/tests/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -timeout=20 \
	    -artifact_prefix=build-fuzz/crash-$$t- build-fuzz/corpus-$$t tests/fuzz/corpus/$$t > build-fuzz/fuzz-$$t.log 2>&1; \
	  rc=$$?; grep -E "^#[0-9]+ +DONE|^Done|ERROR|SUMMARY" build-fuzz/fuzz-$$t.log; \
	  [ $$rc -eq 0 ] || { echo "fuzz_$$t failed: see build-fuzz/fuzz-$$t.log"; exit 1; }; \
	done

bench: build
	@bash scripts/install-deps.sh bench
	./$(BUILD)/nqs-bench --json $(BUILD)/bench.json

clean:
	rm -rf $(BUILD) build-asan build-fuzz
