# Top-level tasks. `make guests` rebuilds the C guest programs in
# testsuite/guests/ and the program corpus in testsuite/programs/ (clang 14 +
# Debian's wasi-libc; no sysroot flag needed). `make programs` runs the
# corpus's differential test (many VMs on the OpenCL device against the
# reference engine). `make spec` runs the WebAssembly spec tests (wasm-v1 and
# wasm-v2 .wast files) on the OpenCL device; SPEC_ARGS passes options to vv-spec
# (e.g. SPEC_ARGS="--file i32 -v").

CARGO ?= cargo
WASM_CC ?= clang
CFLAGS := --target=wasm32-wasi -O2
LDLIBS := -lm

GUEST_SRCS := $(wildcard testsuite/guests/*.c)
GUESTS := $(GUEST_SRCS:.c=.wasm)
PROGRAM_SRCS := $(wildcard testsuite/programs/*.c)
PROGRAM_WASMS := $(PROGRAM_SRCS:.c=.wasm)

.PHONY: all guests programs spec bench build test ci clean

all: build

guests: $(GUESTS) $(PROGRAM_WASMS)

testsuite/guests/%.wasm: testsuite/guests/%.c
	$(WASM_CC) $(CFLAGS) $< -o $@ $(LDLIBS)

# The corpus keeps the name section (function names in trap reports) but no
# DWARF, so the committed .wasm files stay small.
testsuite/programs/%.wasm: testsuite/programs/%.c $(wildcard testsuite/programs/*.h)
	$(WASM_CC) $(CFLAGS) $< -o $@ $(LDLIBS) -Wl,--strip-debug

programs:
	$(CARGO) test -p vv-testsuite --test programs

spec:
	$(CARGO) run --release -p vv-testsuite --bin vv-spec -- --suite all $(SPEC_ARGS)

# Throughput against wasmtime on every CPU core (testsuite/bench/bench.py); needs the wasmtime
# Python package (`pip install wasmtime==50.0.1`). On a CPU-only machine it is a smoke run.
BENCH_STDIN := target/bench-stdin
bench: build
	@python3 -c "import wasmtime" 2>/dev/null || { echo "make bench needs the wasmtime Python package: pip install wasmtime==50.0.1"; exit 2; }
	test -d $(BENCH_STDIN) || VV_PROGRAMS_WRITE_STDIN=$(abspath $(BENCH_STDIN)) VV_PROGRAMS_VMS=512 $(CARGO) test --release -p vv-testsuite --test programs -- wordfreq json
	python3 testsuite/bench/bench.py --bin target/release --stdin-dir $(BENCH_STDIN) --json target/bench.json $(BENCH_ARGS)

build:
	$(CARGO) build --release

test:
	$(CARGO) test --workspace

# CI: every test, then on the default device (PoCL there, debug build of vv-spec) all of wasm-v1
# and the wasm-v2 files of what 2.0 added (bulk memory, reference types, tables, segments,
# sign extension, saturating conversions, multi-value) or changed; the whole wasm-v2 set (`make
# spec`) does not fit CI's 30 minutes on 2 cores next to the other tests.
SPEC_CI := --suite all --file wasm-v1/ $(foreach f,bulk memory_copy memory_fill memory_init data elem table ref_ select global binary conversions i32 i64 block br_table call_indirect linking imports,--file wasm-v2/$(f))
ci:
	$(CARGO) build --workspace --all-targets
	$(CARGO) test --workspace
	$(CARGO) run -p vv-testsuite --bin vv-spec -- $(SPEC_CI) $(SPEC_ARGS)

clean:
	$(CARGO) clean
