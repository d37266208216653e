# Makefile: build, test, fuzz and install kitepipe (GNU make, one file).
# SPDX-License-Identifier: MIT
#
#   make                  libkp.a, the programs, unit tests and test tools
#   make check            deps, all, then tests/run ("N passed, N failed")
#   make check SAN=1      the same under ASan and UBSan, in build-san/
#   make check-threads    the threaded paths' tests under TSan, build-tsan/
#   make demo             deps, all, then the toolchain against kite-sim
#   make WERROR=1         warnings are errors (CI)
#   make fuzz             build and run every fuzz/*.c with libFuzzer (clang)
#   make bench            all, then bench/run
#   make install          honours DESTDIR and PREFIX (default /usr/local)
#   make deps             install (as root) or list the Debian packages needed
#   make lint-man         mandoc -Tlint on the man pages
#   make layout-check     all, then README's layout rules (mk/layout-check)
#
# Local overrides (CC, CFLAGS, PREFIX, ...) go in config.mk, which is not
# tracked.

-include config.mk

MAKEFLAGS += --no-builtin-rules
.SUFFIXES:
.DELETE_ON_ERROR:

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
PKG_CONFIG ?= pkg-config
MANDOC ?= mandoc
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30

WARN = \
	-Wall \
	-Wextra \
	-Wpedantic \
	-Wstrict-prototypes \
	-Wmissing-prototypes \
	-Wshadow \
	-Wformat=2 \

CFLAGS ?= -g -O2
override CFLAGS += -std=c11 $(WARN) -fstack-protector-strong -MMD -MP
# glibc 2.36 (Debian 12) quietly ignores _FORTIFY_SOURCE without -O, so it
# is safe to pass at -O0 as well.
override CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-D_FORTIFY_SOURCE=2 -Ilib

# Sanitizer objects live in their own build dir so they never mix with
# normal ones.
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# TSAN=1: ThreadSanitizer, for the tests of the threaded paths
# (make check-threads).
TSAN_FLAGS = -fsanitize=thread -fno-omit-frame-pointer
ifeq ($(SAN),1)
B ?= build-san
override CFLAGS += $(SAN_FLAGS)
override LDFLAGS += $(SAN_FLAGS)
else ifeq ($(TSAN),1)
B ?= build-tsan
override CFLAGS += $(TSAN_FLAGS)
override LDFLAGS += $(TSAN_FLAGS)
else
B ?= build
endif

ifeq ($(WERROR),1)
override CFLAGS += -Werror
endif

# External libraries, one pair of variables each. A missing package leaves
# its variables empty, so it only breaks the targets that use it.
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

PC_LWS_CFLAGS := $(call pc_cflags,libwebsockets)
PC_LWS_LIBS := $(call pc_libs,libwebsockets)
PC_CURL_CFLAGS := $(call pc_cflags,libcurl)
PC_CURL_LIBS := $(call pc_libs,libcurl)
PC_HIREDIS_CFLAGS := $(call pc_cflags,hiredis)
PC_HIREDIS_LIBS := $(call pc_libs,hiredis)
PC_PQ_CFLAGS := $(call pc_cflags,libpq)
PC_PQ_LIBS := $(call pc_libs,libpq)
PC_OPENSSL_CFLAGS := $(call pc_cflags,openssl)
PC_OPENSSL_LIBS := $(call pc_libs,openssl)
PC_CRYPTO_LIBS := $(call pc_libs,libcrypto)
PC_JANSSON_CFLAGS := $(call pc_cflags,jansson)
PC_JANSSON_LIBS := $(call pc_libs,jansson)
PC_CJOSE_CFLAGS := $(call pc_cflags,cjose)
PC_CJOSE_LIBS := $(call pc_libs,cjose)
PC_ZLIB_CFLAGS := $(call pc_cflags,zlib)
PC_ZLIB_LIBS := $(call pc_libs,zlib)
# libcsv-dev ships no libcsv.pc on Debian 12; its header is csv.h in
# /usr/include, so the library flag alone is enough.
PC_CSV_CFLAGS :=
PC_CSV_LIBS := -lcsv

# Include paths are harmless to everyone, so every object gets them all.
PC_CFLAGS := $(sort \
	$(PC_LWS_CFLAGS) \
	$(PC_CURL_CFLAGS) \
	$(PC_HIREDIS_CFLAGS) \
	$(PC_PQ_CFLAGS) \
	$(PC_OPENSSL_CFLAGS) \
	$(PC_JANSSON_CFLAGS) \
	$(PC_CJOSE_CFLAGS) \
	$(PC_ZLIB_CFLAGS) \
	$(PC_CSV_CFLAGS) \
	)
PC_ALL_LIBS := \
	$(PC_LWS_LIBS) \
	$(PC_CURL_LIBS) \
	$(PC_HIREDIS_LIBS) \
	$(PC_PQ_LIBS) \
	$(PC_CJOSE_LIBS) \
	$(PC_OPENSSL_LIBS) \
	$(PC_JANSSON_LIBS) \
	$(PC_ZLIB_LIBS) \
	$(PC_CSV_LIBS) \

override CPPFLAGS += $(PC_CFLAGS)

# The programs, one per line. Each is cmd/NAME/main.c linked with
# $(B)/cmd/NAME.a (every other cmd/NAME/*.c), libkp.a and NAME_LIBS into
# $(B)/bin/NAME. A name whose main.c does not exist (yet) is left out.
BIN = \
	kite-stream \
	kite-sim \
	tick-greeks \
	tick-publish \
	instr-sync \
	book-sync \
	order-exec \
	ws-fanout \
	kite-ctl \
	chain-follow \

# The external libraries each program links, one line per program (libkp.a
# and -lm come with every program).
kite-stream_LIBS = $(PC_OPENSSL_LIBS) $(PC_JANSSON_LIBS)
kite-sim_LIBS = $(PC_LWS_LIBS) $(PC_JANSSON_LIBS) $(PC_CRYPTO_LIBS) $(PC_ZLIB_LIBS)
tick-greeks_LIBS = $(PC_PQ_LIBS) $(PC_JANSSON_LIBS) $(PC_CSV_LIBS)
tick-publish_LIBS = $(PC_HIREDIS_LIBS)
instr-sync_LIBS = $(PC_CURL_LIBS) $(PC_PQ_LIBS) $(PC_ZLIB_LIBS) $(PC_CSV_LIBS)
order-exec_LIBS = $(PC_CURL_LIBS) $(PC_JANSSON_LIBS) $(PC_ZLIB_LIBS)
ws-fanout_LIBS = $(PC_LWS_LIBS) $(PC_HIREDIS_LIBS) $(PC_CJOSE_LIBS) $(PC_JANSSON_LIBS)
kite-ctl_LIBS = $(PC_JANSSON_LIBS)
book-sync_LIBS = $(PC_CURL_LIBS) $(PC_PQ_LIBS) $(PC_JANSSON_LIBS)
chain-follow_LIBS = $(PC_JANSSON_LIBS) $(PC_CSV_LIBS)

# The unit tests (tests/unit/NAME.c), test tools (tests/tools/NAME.c) and
# fuzz targets (fuzz/NAME.c) that test a program's own parts, one line per
# program and kind: they link $(B)/cmd/PROGRAM.a and see cmd/PROGRAM/'s
# headers. The rest test lib/ and link libkp.a alone.
kite-stream_UNIT = wsframe wsurl
kite-stream_FUZZ = wsframe wsurl
kite-sim_UNIT = form simctl
kite-sim_FUZZ = form simctl
tick-greeks_UNIT = greeks iv iv_aux iv_greeks iv_nblack tginst tickscan
tick-greeks_TOOLS = ivbench
tick-greeks_FUZZ = isotime iv tginst tgmap tickscan
instr-sync_UNIT = is_input
order-exec_UNIT = intent
order-exec_FUZZ = intent
ws-fanout_UNIT = jwt wsmsg wsmsg_diff
ws-fanout_FUZZ = jwt wsmsg
book-sync_FUZZ = bookrec
chain-follow_UNIT = cfchain

LIB := $(B)/libkp.a
LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)

PROG_NAMES := $(foreach p,$(BIN),$(if $(wildcard cmd/$(p)/main.c),$(p)))
PROGS := $(PROG_NAMES:%=$(B)/bin/%)
# prog_parts NAME: the program's sources that go into its archive.
prog_parts = $(filter-out cmd/$(1)/main.c,$(sort $(wildcard cmd/$(1)/*.c)))
PROG_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard $(PROG_NAMES:%=cmd/%/*.c)))

UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
UNIT := $(UNIT_SRC:%.c=$(B)/%)
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOLS := $(TOOL_SRC:%.c=$(B)/%)

ALL_OBJ := $(LIB_OBJ) $(PROG_OBJ) $(UNIT:=.o) $(TOOLS:=.o)

all: $(LIB) $(PROGS) $(UNIT) $(TOOLS)

# INC: the include path of a program's folder, for the tests that link
# its archive (set per object below).
$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(INC) $(CFLAGS) -c -o $@ $<

# The recipe of every archive: libkp.a and each cmd/NAME.a (also in
# build-fuzz/), from the objects it depends on.
ARCHIVE = @mkdir -p $(@D) && rm -f $@ && echo "$(AR) rcs $@ $^" && $(AR) rcs $@ $^

$(LIB): $(LIB_OBJ)
	$(ARCHIVE)

$(B)/cmd/%.a:
	$(ARCHIVE)

# PROG_RULE NAME: the program, its archive, and what links the archive.
define PROG_RULE
$(B)/cmd/$(1).a: $(patsubst %.c,$(B)/%.o,$(call prog_parts,$(1)))
$(B)/bin/$(1): $(B)/cmd/$(1)/main.o $(B)/cmd/$(1).a $(LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$< $(B)/cmd/$(1).a $(LIB) $$(LDLIBS) $$($(1)_LIBS) -lm
$(foreach t,$($(1)_UNIT),$(B)/tests/unit/$(t)) \
$(foreach t,$($(1)_TOOLS),$(B)/tests/tools/$(t)): $(B)/cmd/$(1).a
$(foreach t,$($(1)_UNIT),$(B)/tests/unit/$(t).o) \
$(foreach t,$($(1)_TOOLS),$(B)/tests/tools/$(t).o): INC = -Icmd/$(1)
endef
$(foreach p,$(PROG_NAMES),$(eval $(call PROG_RULE,$(p))))

# Unit tests and test tools link their program's archive (if any), libkp.a
# and every external library; they are not installed, so --as-needed
# rather than a line each drops the libraries a given one does not use.
$(UNIT) $(TOOLS): $(B)/%: $(B)/%.o $(LIB)
	$(CC) $(LDFLAGS) -Wl,--as-needed -o $@ $< $(filter %.a,$(filter-out $(LIB),$^)) \
		$(LIB) $(LDLIBS) $(PC_ALL_LIBS) -lm

-include $(ALL_OBJ:.o=.d)

# make check installs missing packages before anything is compiled.
ifneq ($(filter check demo,$(MAKECMDGOALS)),)
$(ALL_OBJ): | deps
endif

check: deps all
	B='$(B)' bash tests/run

# The tests of the programs' threads (tick-greeks -j) under
# ThreadSanitizer, in build-tsan/: a data race fails them.
THREAD_TESTS = tests/tick-greeks-jobs.bats
check-threads: deps
	$(MAKE) TSAN=1 all
	B=build-tsan bash tests/run $(THREAD_TESTS)

deps:
	sh mk/deps.sh

# The whole toolchain against kite-sim, until Ctrl-C (mk/demo.sh; exec, so
# that the SIGTERM make passes on reaches the script).
demo: deps all
	B='$(B)' exec bash mk/demo.sh

bench: all
	@if [ -e bench/run ]; then \
		echo "B='$(B)' ./bench/run"; B='$(B)' ./bench/run; \
	else \
		echo "bench: no bench/run yet"; \
	fi

# Fuzzing: every fuzz/NAME.c is a libFuzzer target, linked with every
# lib/*.c compiled (with coverage instrumentation) into build-fuzz/ and,
# for the targets named in a PROGRAM_FUZZ line above, with
# build-fuzz/cmd/PROGRAM.a (the program's parts, instrumented too).
FB := build-fuzz
FUZZ_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = -g -O1 $(FUZZ_SAN) -std=c11 $(WARN) -MMD -MP
ifeq ($(WERROR),1)
FUZZ_CFLAGS += -Werror
endif
FUZZ_SRC := $(sort $(wildcard fuzz/*.c))
FUZZ_NAMES := $(notdir $(FUZZ_SRC:.c=))
FUZZ_BIN := $(FUZZ_NAMES:%=$(FB)/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FB)/%.o)
FUZZ_PROGS := $(foreach p,$(PROG_NAMES),$(if $($(p)_FUZZ),$(p)))
FUZZ_PROG_OBJ := $(patsubst %.c,$(FB)/%.o,$(foreach p,$(FUZZ_PROGS),$(call prog_parts,$(p))))
FUZZ_OBJ := $(FUZZ_LIB_OBJ) $(FUZZ_PROG_OBJ) $(FUZZ_SRC:%.c=$(FB)/%.o)
FUZZ_RUN := $(FUZZ_NAMES:%=fuzz-run-%)

$(FB)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(INC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FB)/cmd/%.a:
	$(ARCHIVE)

define FUZZ_PROG_RULE
$(FB)/cmd/$(1).a: $(patsubst %.c,$(FB)/%.o,$(call prog_parts,$(1)))
$(foreach t,$($(1)_FUZZ),$(FB)/$(t)): $(FB)/cmd/$(1).a
$(foreach t,$($(1)_FUZZ),$(FB)/fuzz/$(t).o): INC = -Icmd/$(1)
endef
$(foreach p,$(FUZZ_PROGS),$(eval $(call FUZZ_PROG_RULE,$(p))))

$(FUZZ_BIN): $(FB)/%: $(FB)/fuzz/%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(filter %.a,$^) $(FUZZ_LIB_OBJ) \
		$(PC_ALL_LIBS) -lm

-include $(FUZZ_OBJ:.o=.d)

fuzz-build: $(FUZZ_BIN)

# Runs one target for FUZZ_SECONDS; the corpus grows in build-fuzz/corpus/
# from the seeds in fuzz/corpus/NAME/, crashes land in build-fuzz/artifacts/
# and libFuzzer's chatter in build-fuzz/NAME.log (its tail is shown).
$(FUZZ_RUN): fuzz-run-%: $(FB)/%
	@mkdir -p $(FB)/corpus/$* $(FB)/artifacts
	@echo "fuzz: $* for $(FUZZ_SECONDS) s, log in $(FB)/$*.log"
	@if $< -max_total_time=$(FUZZ_SECONDS) -timeout=30 \
		-artifact_prefix=$(FB)/artifacts/$*- \
		$(FB)/corpus/$* $(wildcard fuzz/corpus/$*) >$(FB)/$*.log 2>&1; \
	then \
		echo "fuzz: $*: $$(tail -n 1 $(FB)/$*.log)"; \
	else \
		tail -n 60 $(FB)/$*.log; \
		echo "fuzz: $* FAILED; see $(FB)/$*.log and $(FB)/artifacts/"; \
		exit 1; \
	fi

fuzz: $(FUZZ_RUN)
	@echo "fuzz: $(words $(FUZZ_NAMES)) target(s) ran $(FUZZ_SECONDS) s each"

MAN1 := $(sort $(wildcard man/*.1))
MAN5 := $(sort $(wildcard man/*.5))
MAN7 := $(sort $(wildcard man/*.7))
MAN := $(MAN1) $(MAN5) $(MAN7)

install_man = $(if $(MAN$(1)),install -d $(DESTDIR)$(MANDIR)/man$(1) && \
	install -m 644 $(MAN$(1)) $(DESTDIR)$(MANDIR)/man$(1)/)
uninstall_man = $(if $(MAN$(1)),rm -f \
	$(addprefix $(DESTDIR)$(MANDIR)/man$(1)/,$(notdir $(MAN$(1)))))

install: $(PROGS)
	install -d $(DESTDIR)$(BINDIR)
	$(if $(PROGS),install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)/)
	$(call install_man,1)
	$(call install_man,5)
	$(call install_man,7)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(BIN))
	$(call uninstall_man,1)
	$(call uninstall_man,5)
	$(call uninstall_man,7)

# The layout rules (also tests/layout.bats in make check).
layout-check: all
	sh mk/layout-check -b '$(B)'

lint-man:
	$(if $(MAN),$(MANDOC) -Tlint -Wwarning $(MAN),@echo "lint-man: no man pages yet")

clean:
	rm -rf build build-san build-tsan build-clang $(FB) $(B)

.PHONY: all check check-threads demo deps bench fuzz fuzz-build $(FUZZ_RUN) install uninstall \
	layout-check lint-man clean
