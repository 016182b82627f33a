# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# otpcep: MS-OTPCE responder. See README.md.
#   make            build cgi-bin/otpcep and the tools in build/bin (needs the
#                   build set of scripts/install-deps.sh: installed when root)
#   make check      unit tests (cmocka) and integration tests against real peers
#                   (installs the test set too when root)
#   make check-unit the unit tests alone (build set only)
#   make demo       the whole flow on 127.0.0.1 (scripts/demo.sh)
#   make valgrind   unit tests and a Success request under valgrind
#   make SAN=1 check  the same with AddressSanitizer and UBSan
#   make SAN=thread check  the same with ThreadSanitizer
#   make install    PREFIX=/usr/local DESTDIR= (see the directories below)
#   make uninstall  removes what install laid down (not the configuration)
#   make dist       build/otpcep-VERSION.tar.gz, reproducible (from git)
# CPPFLAGS, CFLAGS and LDFLAGS from the environment or the command line are
# honoured (Debian's hardening flags pass through to every compile and link).

# Installation directories (GNU names). The systemd units get the real paths.
PREFIX ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
SBINDIR ?= $(EXEC_PREFIX)/sbin
BINDIR ?= $(EXEC_PREFIX)/bin
DATAROOTDIR ?= $(PREFIX)/share
MANDIR ?= $(DATAROOTDIR)/man
DOCDIR ?= $(DATAROOTDIR)/doc/otpcep
EXAMPLESDIR ?= $(DOCDIR)/examples
# The responder reads /etc/otpcep/otpcep.conf by default (CONFIG_DEFAULT_PATH).
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
VERSION = $(shell sed -n 's/^\#define OTPCEP_VERSION "\(.*\)"/\1/p' include/otpcep.h)

PKGS = gnutls libtasn1 libxml-2.0 ldap fcgi libmicrohttpd libseccomp hogweed
CFLAGS ?= -O2 -g
WERROR ?= -Werror
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wpointer-arith -Wcast-qual -Wformat=2 -Wno-format-nonliteral $(WERROR)
ifeq ($(SAN),thread)
SANFLAGS = -fsanitize=thread -fno-omit-frame-pointer
else ifdef SAN
# UBSan stops at the first report (exit non-zero), as ASan does: a test
# that runs into undefined behaviour fails instead of printing and passing.
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
endif
# The sanitizer flags the objects were built with: switching SAN (none, 1,
# thread) rebuilds everything instead of linking objects of another kind.
# (Goals that compile nothing leave the stamp alone.)
FLAGS_STAMP = build/.sanflags
ifneq ($(filter-out lint dist clean uninstall,$(or $(MAKECMDGOALS),all)),)
$(shell mkdir -p build && { echo '$(SANFLAGS)' | cmp -s - $(FLAGS_STAMP) || \
	echo '$(SANFLAGS)' >$(FLAGS_STAMP); })
endif
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) \
	     $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) $(RPC_CFLAGS)
ALL_CPPFLAGS = -D_GNU_SOURCE -Iinclude -Ibuild/gen $(CPPFLAGS) -MMD -MP
LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lunistring -lgmp -lpthread
TEST_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
# MIT Kerberos GSS-API for the DCE/RPC library (src/dcerpc_gss.c,
# src/dcerpc_krb5key.c): linked into the tools, tests, drivers, benchmarks
# and fuzz targets; the responder never pulls those objects from the archive.
RPC_PKGS = krb5-gssapi krb5
RPC_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(RPC_PKGS) 2>/dev/null)
RPC_LIBS = $(shell $(PKG_CONFIG) --libs $(RPC_PKGS) 2>/dev/null)

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
# Libraries the integration scripts preload into the real responder (tests only).
PRELOAD_SRC = $(wildcard tests/integration/preload_*.c)
PRELOAD_SO = $(patsubst tests/integration/%.c,build/tests/%.so,$(PRELOAD_SRC))
# Tools: each src/NAME/ folder is one program build/bin/NAME.
TOOLS = $(notdir $(patsubst %/,%,$(dir $(wildcard src/*/main.c))))
TOOL_BIN = $(patsubst %,build/bin/%,$(TOOLS))
# otpcep.conf(5), made from docs/configuration.md (dated reproducibly).
GEN_MAN = build/man/otpcep.conf.5
MAN_DATE = $(shell date -u -d @$${SOURCE_DATE_EPOCH:-$$(stat -c %Y docs/configuration.md)} +%Y-%m-%d)
# The systemd units, made from etc/systemd/*.in with this installation's paths.
UNITS = build/systemd/otpcep.service build/systemd/otpcep.socket \
	build/systemd/otpcep-enroll.service build/systemd/otpcep-enroll.timer
CURL_LIBS = $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null)
# Missing Debian packages: installed when root, else the command is printed.
# `make` needs the build set only; the targets that start peers the test set.
DEPS_OK = build/.deps-build-ok
TEST_DEPS_OK = build/.deps-test-ok

all: $(DEPS_OK) cgi-bin/otpcep $(TOOL_BIN) $(UNITS) $(GEN_MAN)

$(DEPS_OK): scripts/install-deps.sh
	@mkdir -p build
	@scripts/install-deps.sh build
	@touch $@

$(TEST_DEPS_OK): scripts/install-deps.sh
	@mkdir -p build
	@scripts/install-deps.sh test
	@touch $@

# Generated ASN.1 tables are kept: a second `make` must not rebuild anything.
.SECONDARY: $(ASN_GEN)

build/gen/%_asn1tab.c: src/asn/%.asn | $(DEPS_OK)
	@mkdir -p build/gen
	asn1Parser -o $@ -n $*_asn1_tab $<

build/obj/%.o: src/%.c $(FLAGS_STAMP) | $(DEPS_OK) $(ASN_GEN)
	@mkdir -p build/obj
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

build/obj/%_asn1tab.o: build/gen/%_asn1tab.c $(FLAGS_STAMP)
	@mkdir -p build/obj
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -c -o $@ $<

build/libotpcep.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

cgi-bin/otpcep: build/obj/main.o build/libotpcep.a
	@mkdir -p cgi-bin
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

build/tests/%: tests/%.c build/libotpcep.a | $(DEPS_OK)
	@mkdir -p build/tests
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< \
		build/libotpcep.a $(LIBS) $(RPC_LIBS) $(TEST_LIBS)

build/tests/drv_%: tests/integration/drv_%.c build/libotpcep.a | $(DEPS_OK)
	@mkdir -p build/tests
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< \
		build/libotpcep.a $(LIBS) $(RPC_LIBS) $(TEST_LIBS)

# The stand-in CA of the ICPR tests reuses otpcep-ca's policy code (all of
# src/otpcep-ca but its main.c).
CATOOL_POLICY_SRC = $(filter-out src/otpcep-ca/main.c,$(wildcard src/otpcep-ca/*.c))
build/tests/drv_standin_ca: tests/integration/drv_standin_ca.c $(CATOOL_POLICY_SRC) build/libotpcep.a | $(DEPS_OK)
	@mkdir -p build/tests
	$(CC) $(ALL_CPPFLAGS) -Isrc/otpcep-ca $(ALL_CFLAGS) -Wno-missing-prototypes $(LDFLAGS) \
		-o $@ $< $(CATOOL_POLICY_SRC) build/libotpcep.a $(LIBS) $(RPC_LIBS) $(TEST_LIBS)

.SECONDEXPANSION:
build/bin/%: $$(wildcard src/%/*.c) build/libotpcep.a | $(DEPS_OK)
	@mkdir -p build/bin
	$(CC) $(ALL_CPPFLAGS) -Isrc/$* $(ALL_CFLAGS) \
		$(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null) $(LDFLAGS) -o $@ \
		$(wildcard src/$*/*.c) build/libotpcep.a $(LIBS) $(RPC_LIBS) $(CURL_LIBS)

tests: $(TEST_BIN) $(DRV_BIN) $(PRELOAD_SO)

build/tests/preload_%.so: tests/integration/preload_%.c $(FLAGS_STAMP) | $(DEPS_OK)
	@mkdir -p build/tests
	$(CC) $(ALL_CFLAGS) -D_GNU_SOURCE -fPIC -shared -o $@ $<

# The whole flow on 127.0.0.1, from nothing, in under a minute.
demo: all $(TEST_DEPS_OK) build/tests/drv_standin_ca
	@scripts/demo.sh

# Benchmarks: tests/bench/bench_X.c become build/bench/bench_X; run.sh runs them.
BENCH_SRC = $(wildcard tests/bench/bench_*.c)
BENCH_BIN = $(patsubst tests/bench/%.c,build/bench/%,$(BENCH_SRC))

build/bench/%: tests/bench/%.c build/libotpcep.a | $(DEPS_OK)
	@mkdir -p build/bench
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< \
		build/libotpcep.a $(LIBS) $(RPC_LIBS)

bench: all $(TEST_DEPS_OK) $(BENCH_BIN)
	@OTPCEP_TOP=$(CURDIR) tests/bench/run.sh

# Issue 10's load benchmark: slapd, a slow RADIUS test server, lighttpd and
# nginx, wrk; one line per scenario (tests/bench/load.sh, docs/design.md).
bench-load: all $(TEST_DEPS_OK) $(BENCH_BIN) $(DRV_BIN)
	@OTPCEP_TOP=$(CURDIR) tests/bench/load.sh

check: all $(TEST_DEPS_OK) $(TEST_BIN) $(DRV_BIN) $(PRELOAD_SO)
	@tests/run.sh $(TEST_BIN)

check-unit: all $(TEST_BIN)
	@tests/run.sh --unit-only $(TEST_BIN)

# ...then a Success request through the workers' handler_serve() against
# the real slapd and FreeRADIUS (tests/valgrind/success.sh).
valgrind: all $(TEST_DEPS_OK) $(TEST_BIN) build/bench/bench_request
	@VALGRIND="valgrind -q --leak-check=full --error-exitcode=99" \
		tests/run.sh --unit-only $(TEST_BIN)
	@OTPCEP_TOP=$(CURDIR) bash tests/valgrind/success.sh

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
		$(shell $(PKG_CONFIG) --cflags $(PKGS)) $(RPC_CFLAGS) -c -o $@ $<

build/fuzz/obj/%_asn1tab.o: build/gen/%_asn1tab.c
	@mkdir -p build/fuzz/obj
	clang $(ALL_CPPFLAGS) -std=c11 $(FUZZ_FLAGS) -c -o $@ $<

build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	clang $(ALL_CPPFLAGS) -std=c11 $(FUZZ_FLAGS) -fsanitize=fuzzer \
		$(shell $(PKG_CONFIG) --cflags $(PKGS)) $(RPC_CFLAGS) -o $@ $< $(FUZZ_OBJ) $(LIBS) $(RPC_LIBS)

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

# The systemd units with the real paths of this installation.
# The paths written into the units: build/.paths changes when they do, so
# that the units are made again for another PREFIX, and only then.
PATHS_NOW := $(shell mkdir -p build && p='$(SBINDIR) $(BINDIR) $(SYSCONFDIR)' && \
	{ [ "$$(cat build/.paths 2>/dev/null)" = "$$p" ] || echo "$$p" >build/.paths; })
build/systemd/%: etc/systemd/%.in build/.paths
	@mkdir -p build/systemd
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
		-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@

build/man/otpcep.conf.5: docs/configuration.md scripts/mkman-conf.sh include/otpcep.h
	@mkdir -p build/man
	scripts/mkman-conf.sh docs/configuration.md $(VERSION) $(MAN_DATE) >$@.tmp
	mv $@.tmp $@

MAN_PAGES = $(wildcard docs/man/*.[1-8]) $(GEN_MAN)
EXAMPLES = etc/otpcep.conf etc/spawn-fcgi.example
# What install lays down, relative to DESTDIR; uninstall removes exactly this.
INSTALLED = $(SBINDIR)/otpcep $(patsubst %,$(BINDIR)/%,$(TOOLS)) \
	$(foreach m,$(MAN_PAGES),$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
	$(SYSTEMDUNITDIR)/otpcep.service $(SYSTEMDUNITDIR)/otpcep.socket \
	$(SYSTEMDUNITDIR)/otpcep-enroll.service $(SYSTEMDUNITDIR)/otpcep-enroll.timer \
	$(patsubst %,$(DOCDIR)/%,README.md LICENSE $(notdir $(wildcard docs/*.md))) \
	$(EXAMPLESDIR)/otpcep.conf $(EXAMPLESDIR)/spawn-fcgi.example \
	$(EXAMPLESDIR)/lighttpd/otpcep.conf $(EXAMPLESDIR)/nginx/otpcep.conf \
	$(EXAMPLESDIR)/fail2ban/filter.d/otpcep.conf $(EXAMPLESDIR)/fail2ban/jail.d/otpcep.conf

# install: programs, man pages, units, docs and examples. The configuration
# itself goes to $(SYSCONFDIR)/otpcep/otpcep.conf only when there is none
# (never overwritten), mode 0640, group otpcep when that group exists.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(EXAMPLESDIR)/lighttpd $(DESTDIR)$(EXAMPLESDIR)/nginx
	install -m 0755 cgi-bin/otpcep $(DESTDIR)$(SBINDIR)/otpcep
	for t in $(TOOL_BIN); do install -m 0755 $$t $(DESTDIR)$(BINDIR)/; done
	for m in $(MAN_PAGES); do \
		install -d $(DESTDIR)$(MANDIR)/man$${m##*.} && \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/ || exit 1; \
	done
	install -m 0644 $(UNITS) $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 README.md LICENSE docs/*.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(EXAMPLESDIR)/
	install -m 0644 etc/lighttpd/otpcep.conf $(DESTDIR)$(EXAMPLESDIR)/lighttpd/
	install -m 0644 etc/nginx/otpcep.conf $(DESTDIR)$(EXAMPLESDIR)/nginx/
	install -d $(DESTDIR)$(EXAMPLESDIR)/fail2ban/filter.d $(DESTDIR)$(EXAMPLESDIR)/fail2ban/jail.d
	install -m 0644 etc/fail2ban/filter.d/otpcep.conf $(DESTDIR)$(EXAMPLESDIR)/fail2ban/filter.d/
	install -m 0644 etc/fail2ban/jail.d/otpcep.conf $(DESTDIR)$(EXAMPLESDIR)/fail2ban/jail.d/
ifndef NO_CONFIG
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/otpcep
	test -e $(DESTDIR)$(SYSCONFDIR)/otpcep/otpcep.conf || \
		install -m 0640 etc/otpcep.conf $(DESTDIR)$(SYSCONFDIR)/otpcep/otpcep.conf
	if getent group otpcep >/dev/null && [ "$$(id -u)" = 0 ]; then \
		chgrp otpcep $(DESTDIR)$(SYSCONFDIR)/otpcep $(DESTDIR)$(SYSCONFDIR)/otpcep/otpcep.conf; fi
endif

# uninstall: everything install laid down except $(SYSCONFDIR)/otpcep, which
# holds the administrator's configuration, keys and secrets.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(EXAMPLESDIR)/fail2ban/filter.d $(DESTDIR)$(EXAMPLESDIR)/fail2ban/jail.d \
		$(DESTDIR)$(EXAMPLESDIR)/fail2ban \
		$(DESTDIR)$(EXAMPLESDIR)/lighttpd $(DESTDIR)$(EXAMPLESDIR)/nginx \
		$(DESTDIR)$(EXAMPLESDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null

# dist: a reproducible tarball of the committed tree (HEAD): sorted names,
# every mtime that of the last commit, owner and group 0, no local files,
# gzip without a name or time stamp. Into DISTDIR (default build).
DISTDIR ?= build
dist:
	@mkdir -p $(DISTDIR)
	git archive --format=tar --prefix=otpcep-$(VERSION)/ HEAD | \
		gzip -n -9 >$(DISTDIR)/otpcep-$(VERSION).tar.gz
	@echo "$(DISTDIR)/otpcep-$(VERSION).tar.gz"

clean:
	rm -rf build cgi-bin/otpcep

.PHONY: all check check-unit demo tests valgrind fuzz bench bench-load lint install uninstall dist clean

-include $(wildcard build/obj/*.d build/tests/*.d)
