# Top-level tasks. `make guests` rebuilds the C guest programs in
# testsuite/guests/ (clang 14 + Debian's wasi-libc; no sysroot flag needed).

CARGO ?= cargo
WASM_CC ?= clang
CFLAGS := --target=wasm32-wasi -O2
LDLIBS := -lm

GUEST_SRCS := $(wildcard testsuite/guests/*.c)
GUESTS := $(GUEST_SRCS:.c=.wasm)

.PHONY: all guests build test ci clean

all: build

guests: $(GUESTS)

testsuite/guests/%.wasm: testsuite/guests/%.c
	$(WASM_CC) $(CFLAGS) $< -o $@ $(LDLIBS)

build:
	$(CARGO) build --release

test:
	$(CARGO) test --workspace

ci:
	$(CARGO) build --workspace --all-targets
	$(CARGO) test --workspace

clean:
	$(CARGO) clean
