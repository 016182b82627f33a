# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# otpcep: MS-OTPCE responder. See README.md.
#   make            build cgi-bin/otpcep (installs missing Debian packages when root)
#   make check      unit tests (cmocka) and integration tests against real peers
#   make demo       the whole flow on 127.0.0.1 (scripts/demo.sh)
#   make valgrind   unit tests under valgrind
#   make SAN=1 check  the same with AddressSanitizer and UBSan
#   make SAN=thread check  the same with ThreadSanitizer
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config

PKGS = gnutls libtasn1 libxml-2.0 ldap fcgi libmicrohttpd hogweed
CFLAGS ?= -O2 -g
WERROR ?= -Werror
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wpointer-arith -Wcast-qual -Wformat=2 -Wno-format-nonliteral $(WERROR)
ifeq ($(SAN),thread)
SANFLAGS = -fsanitize=thread -fno-omit-frame-pointer
else ifdef SAN
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer
endif
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) \
	     $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
ALL_CPPFLAGS = -D_GNU_SOURCE -Iinclude -Ibuild/gen $(CPPFLAGS) -MMD -MP
LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lunistring -lgmp -lpthread
TEST_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

ASN_SRC = $(wildcard src/asn/*.asn)
ASN_GEN = $(patsubst src/asn/%.asn,build/gen/%_asn1tab.c,$(ASN_SRC))
LIB_SRC = $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ = $(patsubst src/%.c,build/obj/%.o,$(LIB_SRC)) \
	  $(patsubst build/gen/%.c,build/obj/%.o,$(ASN_GEN))
TEST_SRC = $(wildcard tests/test_*.c)
TEST_BIN = $(patsubst tests/%.c,build/tests/%,$(TEST_SRC))
# Drivers: small programs the integration scripts run against real peers.
DRV_SRC = $(wildcard tests/integration/drv_*.c)
DRV_BIN = $(patsubst tests/integration/%.c,build/tests/%,$(DRV_SRC))
# Tools: each src/NAME/ folder is one program build/bin/NAME.
TOOLS = $(notdir $(patsubst %/,%,$(dir $(wildcard src/*/main.c))))
TOOL_BIN = $(patsubst %,build/bin/%,$(TOOLS))
CURL_LIBS = $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null)
DEPS_OK = build/.deps-ok

all: $(DEPS_OK) cgi-bin/otpcep $(TOOL_BIN)

# Missing Debian packages: installed when root, else the command is printed.
$(DEPS_OK): scripts/install-deps.sh
	@mkdir -p build
	@scripts/install-deps.sh
	@touch $@

build/gen/%_asn1tab.c: src/asn/%.asn | $(DEPS_OK)
	@mkdir -p build/gen
	asn1Parser -o $@ -n $*_asn1_tab $<

build/obj/%.o: src/%.c | $(DEPS_OK) $(ASN_GEN)
	@mkdir -p build/obj
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

build/obj/%_asn1tab.o: build/gen/%_asn1tab.c
	@mkdir -p build/obj
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -c -o $@ $<

build/libotpcep.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

cgi-bin/otpcep: build/obj/main.o build/libotpcep.a
	@mkdir -p cgi-bin
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

build/tests/%: tests/%.c build/libotpcep.a | $(DEPS_OK)
	@mkdir -p build/tests
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< \
		build/libotpcep.a $(LIBS) $(TEST_LIBS)

build/tests/drv_%: tests/integration/drv_%.c build/libotpcep.a | $(DEPS_OK)
	@mkdir -p build/tests
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< \
		build/libotpcep.a $(LIBS) $(TEST_LIBS)

.SECONDEXPANSION:
build/bin/%: $$(wildcard src/%/*.c) build/libotpcep.a | $(DEPS_OK)
	@mkdir -p build/bin
	$(CC) $(ALL_CPPFLAGS) -Isrc/$* $(ALL_CFLAGS) \
		$(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null) -o $@ \
		$(wildcard src/$*/*.c) build/libotpcep.a $(LIBS) $(CURL_LIBS)

tests: $(TEST_BIN) $(DRV_BIN)

# The whole flow on 127.0.0.1, from nothing, in under a minute.
demo: all
	@scripts/demo.sh

# Benchmarks: tests/bench/bench_X.c become build/bench/bench_X; run.sh runs them.
BENCH_SRC = $(wildcard tests/bench/bench_*.c)
BENCH_BIN = $(patsubst tests/bench/%.c,build/bench/%,$(BENCH_SRC))

build/bench/%: tests/bench/%.c build/libotpcep.a | $(DEPS_OK)
	@mkdir -p build/bench
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< \
		build/libotpcep.a $(LIBS)

bench: all $(BENCH_BIN)
	@OTPCEP_TOP=$(CURDIR) tests/bench/run.sh

check: all $(TEST_BIN) $(DRV_BIN)
	@tests/run.sh $(TEST_BIN)

valgrind: all $(TEST_BIN)
	@VALGRIND="valgrind -q --leak-check=full --error-exitcode=99" \
		tests/run.sh --unit-only $(TEST_BIN)

# Fuzzing with libFuzzer (needs clang and libclang-rt-14-dev): every
# tests/fuzz/fuzz_X.c runs for FUZZ_SECONDS on the whole library, built
# instrumented with ASan and UBSan into build/fuzz.
FUZZ_SECONDS ?= 60
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_FLAGS = -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer
FUZZ_OBJ = $(patsubst build/obj/%.o,build/fuzz/obj/%.o,$(LIB_OBJ))

build/fuzz/obj/%.o: src/%.c | $(DEPS_OK) $(ASN_GEN)
	@mkdir -p build/fuzz/obj
	clang $(ALL_CPPFLAGS) -std=c11 $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link \
		$(shell $(PKG_CONFIG) --cflags $(PKGS)) -c -o $@ $<

build/fuzz/obj/%_asn1tab.o: build/gen/%_asn1tab.c
	@mkdir -p build/fuzz/obj
	clang $(ALL_CPPFLAGS) -std=c11 $(FUZZ_FLAGS) -c -o $@ $<

build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	clang $(ALL_CPPFLAGS) -std=c11 $(FUZZ_FLAGS) -fsanitize=fuzzer \
		$(shell $(PKG_CONFIG) --cflags $(PKGS)) -o $@ $< $(FUZZ_OBJ) $(LIBS)

.PRECIOUS: build/fuzz/obj/%.o

fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
		mkdir -p build/fuzz/corpus/$$(basename $$f); \
		echo "fuzzing $$(basename $$f) for $(FUZZ_SECONDS) s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			build/fuzz/corpus/$$(basename $$f) tests/fuzz/seeds/$$(basename $$f) \
			2>build/fuzz/$$(basename $$f).log || \
			{ tail -50 build/fuzz/$$(basename $$f).log; exit 1; }; \
		tail -1 build/fuzz/$$(basename $$f).log; \
	done

# Static analysis (Debian package cppcheck): warnings are errors.
lint:
	cppcheck -q --enable=warning,portability,performance --std=c11 \
		-D_GNU_SOURCE -Iinclude -Ibuild/gen --error-exitcode=1 src

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(SYSCONFDIR)/otpcep
	install -m 0755 cgi-bin/otpcep $(DESTDIR)$(PREFIX)/sbin/otpcep
	install -d $(DESTDIR)$(PREFIX)/bin
	for t in $(TOOL_BIN); do install -m 0755 $$t $(DESTDIR)$(PREFIX)/bin/; done
	install -m 0640 etc/otpcep.conf $(DESTDIR)$(SYSCONFDIR)/otpcep/otpcep.conf.example
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	for m in docs/man/*.[18]; do \
		install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$${m##*.}/; \
	done
	install -d $(DESTDIR)$(PREFIX)/share/doc/otpcep
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/otpcep/
	install -d $(DESTDIR)$(PREFIX)/share/doc/otpcep/examples/lighttpd \
		$(DESTDIR)$(PREFIX)/share/doc/otpcep/examples/nginx \
		$(DESTDIR)$(PREFIX)/share/doc/otpcep/examples/systemd
	install -m 0644 etc/lighttpd/otpcep.conf $(DESTDIR)$(PREFIX)/share/doc/otpcep/examples/lighttpd/
	install -m 0644 etc/nginx/otpcep.conf $(DESTDIR)$(PREFIX)/share/doc/otpcep/examples/nginx/
	install -m 0644 etc/systemd/otpcep.socket etc/systemd/otpcep.service \
		$(DESTDIR)$(PREFIX)/share/doc/otpcep/examples/systemd/
	install -m 0644 etc/spawn-fcgi.example $(DESTDIR)$(PREFIX)/share/doc/otpcep/examples/

clean:
	rm -rf build cgi-bin/otpcep

.PHONY: all check demo tests valgrind fuzz bench install clean

-include $(wildcard build/obj/*.d build/tests/*.d)
