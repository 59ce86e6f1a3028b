# SPDX-License-Identifier: BSD-2-Clause
# smtpdirect build. GNU make.
#
#   make            build transport/smtpdirect and transport/smtpdirect-core
#                   (and the milter), position-independent, ldns, LMDB and
#                   OpenSSL shared; LINK=static links them in (see LINK)
#   make check      install missing Debian packages, build, run unit tests
#                   normally and under ASan+UBSan, static checks, integration
#   make demo       deliver a few messages through a local DNS and SMTP sink
#   make bench      run the benchmarks and rewrite BENCHMARKS.md
#   make fuzz       FUZZ_TIME=60: run each fuzz target of t/fuzz that long
#                   (libFuzzer, clang) and grow its corpus
#   make install    PREFIX=/usr/local SYSCONFDIR=/etc STATEDIR=/var/lib/smtpdirect
#                   DESTDIR= (staged install: no user, no owners)
#   make uninstall  remove the programs and man pages (keeps configuration,
#                   state and the user)

ifeq ($(origin CC),default)
CC       := gcc
endif
# VARIANT=fuzz is the libFuzzer build of t/fuzz (make fuzz): clang.
ifeq ($(VARIANT),fuzz)
CC       := clang
endif
PREFIX   ?= /usr/local
DESTDIR  ?=
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
STATEDIR ?= /var/lib/smtpdirect
VERSION  := 0.1.0

# Build variant: "normal" or "asan". Objects go to build/$(VARIANT).
VARIANT  ?= normal
O        := build/$(VARIANT)

WARN     := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wvla
CSTD     := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE
OPT      := -O2 -g
# Debian's hardening flags (dpkg-buildflags with hardening=+all, with
# the stack clash and control-flow protection of later dpkg-dev on
# amd64): position-independent code, stack protector, stack clash
# protection, control-flow protection (endbr64 landing pads),
# bounds-checked libc calls (not with the sanitizers). Every program is
# linked with $(HARD_LDFLAGS) below: position-independent, full RELRO.
# `make check` runs hardening-check on every program `make install`
# installs (t/hardening.sh).
HARDEN   := -fPIE -fstack-protector-strong -fstack-clash-protection \
            -fcf-protection
ifeq ($(filter asan fuzz,$(VARIANT)),)
HARDEN   += -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
endif
ifeq ($(VARIANT),asan)
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=undefined
endif
ifeq ($(VARIANT),fuzz)
OPT      := -O1 -g -fno-omit-frame-pointer \
            -fsanitize=fuzzer-no-link,address,undefined \
            -fno-sanitize-recover=undefined
endif
ifeq ($(VARIANT),fuzz)
# clang's -Wextra takes a message split over two literals for a missing comma.
WARN     += -Wno-string-concatenation
endif
# The sources: transport/core/<part>/ for what smtpdirect and
# smtpdirect-milter share, transport/<part>/ for what only the transport
# has (README.md, "Layout"). Every folder is on the include path, so a
# module includes another by its header's name alone.
CORE_DIRS := $(sort $(patsubst %/,%,$(dir $(wildcard transport/core/*/*.[ch]))))
PART_DIRS := $(sort $(patsubst %/,%,$(dir $(wildcard transport/*/*.[ch]))))
SRC_DIRS  := $(CORE_DIRS) $(PART_DIRS)
CPPFLAGS += $(SRC_DIRS:%=-I%) -DSMTPDIRECT_VERSION='"$(VERSION)"' \
            -DSMTPDIRECT_SYSCONFDIR='"$(SYSCONFDIR)"' \
            -DSMTPDIRECT_STATEDIR='"$(STATEDIR)"'
ALL_CFLAGS = $(CSTD) $(OPT) $(HARDEN) $(WARN) $(CFLAGS)
ALL_LDFLAGS = $(OPT) $(LDFLAGS)

# Objects depend on the flags they were compiled with: SYSCONFDIR and
# STATEDIR are compiled in as defaults, so "make SYSCONFDIR=/opt/etc"
# after a plain "make" must recompile. $(FLAGS) is rewritten only when
# the flags change.
# stamp FILE,TEXT: write TEXT into FILE unless FILE holds it already, so
# that FILE is newer than anything built with another TEXT.
same  = $(and $(findstring $(1),$(2)),$(findstring $(2),$(1)))
stamp = $(if $(call same,$(file <$(1)),$(2)),,$(shell mkdir -p $(dir $(1)))$(file >$(1),$(2)))
FLAGS      := $(O)/flags
FLAGS_TEXT  = $(CC) $(CPPFLAGS) $(ALL_CFLAGS)
$(call stamp,$(FLAGS),$(FLAGS_TEXT))

LIBS     := -lldns -llmdb -lssl -lcrypto -lz
# Always linked shared, whatever LINK says: libidn2 (internationalised
# domain names, idn.h) and the libunistring it needs.
DYN_LIBS := -lidn2

# How the programs are linked. smtpdirect is two program files
# (transport/front/front.h): smtpdirect, the small front an MTA starts for
# every message, which hands the message to a resident delivery worker,
# and smtpdirect-core, the whole program, which it runs for everything
# else (and which delivers a message itself when no worker is idle).
# Every program is position-independent with full RELRO
# ($(HARD_LDFLAGS)): its own code too is at a random address. The
# front is static from musl whatever LINK says (FRONT_LIBC below).
# LINK says how the core links ldns, LMDB and OpenSSL:
#   LINK=shared (the default) shared, as a distribution package would: a
#               security update of libssl3, libldns3 or liblmdb0 reaches
#               the next process started.
#   LINK=static linked in (Debian's archives are position-independent
#               code); glibc and libidn2 stay shared. After a security
#               update of libssl-dev, libldns-dev or liblmdb-dev, rebuild
#               and reinstall (smtpdirect --version names the OpenSSL it
#               carries).
# Loading the shared libraries costs about 0.7 ms of CPU at every start
# of smtpdirect-core, which messages handed to a worker do not pay: the
# queue drain did not move beyond its noise (README, "Install", has the
# figures; BENCHMARKS.md, "Linking", which t/bench/linking.sh writes).
# The ASan build, the unit tests and the milter always link shared.
LINK     ?= shared
ifneq ($(filter asan fuzz,$(VARIANT)),)
LINK     := shared
endif
HARD_LDFLAGS := -pie -Wl,-z,relro,-z,now
ifeq ($(LINK),static)
BIN_LIBS    := -Wl,-Bstatic $(LIBS) -Wl,-Bdynamic $(DYN_LIBS) -lpthread -ldl
else ifeq ($(LINK),shared)
BIN_LIBS    := $(LIBS) $(DYN_LIBS)
else
$(error LINK must be static or shared, not "$(LINK)")
endif

# The front links no library but the C library, and is started for
# every message: whatever LINK says, it is a static position-independent
# program of musl (Debian's musl-tools, which t/deps.sh installs) when
# musl is there, else of glibc: FRONT_LIBC says which. A process on
# musl starts without glibc's probe of the CPU's features and caches, a
# run of cpuid instructions that each trap to the hypervisor on a
# virtual machine; started for every message, the glibc front cost
# about 0.3 ms more CPU (BENCHMARKS.md, "Where one process spends its
# time"). FRONT_LIBC=glibc with LINK=shared links the front with glibc
# shared: then nothing at all is linked in. The ASan and fuzz builds
# link it with glibc shared.
# The front's modules are compiled a second time, against musl's
# headers; the link names musl's start files and libc.a, because
# musl-gcc's specs know no -static-pie.
# Worked out once per make run, not at every use of the variable.
MUSL_CC    ?= musl-gcc
ifeq ($(origin MUSL_LIB),undefined)
MUSL_LIB   := /usr/lib/$(patsubst %-gnu,%-musl,$(shell $(CC) -dumpmachine))
endif
ifeq ($(origin FRONT_LIBC),undefined)
FRONT_LIBC := $(if $(and $(filter-out asan fuzz,$(VARIANT)),$(shell command -v \
    $(MUSL_CC) 2>/dev/null),$(wildcard $(MUSL_LIB)/rcrt1.o)),musl,glibc)
endif
ifeq ($(FRONT_LIBC),musl)
ifneq ($(filter asan fuzz,$(VARIANT)),)
$(error FRONT_LIBC=musl: not with the sanitizers of VARIANT=$(VARIANT))
endif
FRONT_LDFLAGS := -static-pie -Wl,-z,relro,-z,now
else ifneq ($(FRONT_LIBC),glibc)
$(error FRONT_LIBC must be musl or glibc, not "$(FRONT_LIBC)")
else ifeq ($(LINK),static)
FRONT_LDFLAGS := -static-pie -Wl,-z,relro,-z,now
else
FRONT_LDFLAGS := $(HARD_LDFLAGS)
endif
# The headers the build needs, with the Debian package of each: plain
# `make` on a machine without them stops with one line naming the
# packages (and t/deps.sh, which make check runs), not with a compiler
# error. One -fsyntax-only run when all are there; one per header to
# name the missing ones otherwise. Skipped for goals that build nothing.
BUILD_HEADERS := ldns/ldns.h:libldns-dev lmdb.h:liblmdb-dev \
    openssl/ssl.h:libssl-dev idn2.h:libidn2-dev \
    libmilter/mfapi.h:libmilter-dev curl/curl.h:libcurl4-openssl-dev \
    zlib.h:zlib1g-dev
# check, demo, bench and fuzz install the packages first, then make again.
NOBUILD_GOALS := deps clean format format-check manlint uninstall check demo \
    bench fuzz
ifneq ($(filter-out $(NOBUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell printf '$(foreach h,$(BUILD_HEADERS),\043include <$(firstword $(subst :, ,$(h)))>\n)' | \
    $(CC) -fsyntax-only -x c - >/dev/null 2>&1 && echo ok),ok)
MISSING_PKGS := $(foreach h,$(BUILD_HEADERS),$(if $(shell printf \
    '\043include <$(firstword $(subst :, ,$(h)))>\n' | $(CC) -fsyntax-only \
    -x c - >/dev/null 2>&1 && echo ok),,$(lastword $(subst :, ,$(h)))))
$(error missing build dependencies: apt-get install $(MISSING_PKGS) (or run sh t/deps.sh, which make check runs first))
endif
endif
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)
MILTER_LIBS  := -lmilter -lpthread

# Two libraries: $(CORE_LIB), the modules of transport/core that the
# transport and the milter share (base, config, overrides, route,
# resolver, state store), and $(LIB), the parts only the transport has
# but for its commands and its front. A program links $(LIB) before
# $(CORE_LIB): the core never calls up into the transport.
CORE_SRCS := $(wildcard transport/core/*/*.c)
CORE_OBJS := $(CORE_SRCS:%.c=$(O)/%.o)
CMD_SRCS  := $(wildcard transport/cmd/*.c)
FRONT_SRCS := $(wildcard transport/front/*.c)
LIB_SRCS  := $(filter-out $(CMD_SRCS) $(FRONT_SRCS),$(wildcard transport/*/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(O)/%.o)
CMD_OBJS  := $(CMD_SRCS:%.c=$(O)/%.o)
# The front: its main; the rest from the libraries, or on musl the
# modules it needs, named without their folder (a link error names one
# missing).
FRONT_MODS := front deliver_args cfg cfg_table cfg_value diag mono msg \
              sbuf scache_wire sdir spool_stream why worker_req worker_submit \
              xalloc
FRONT_MOD_SRCS := $(foreach m,$(FRONT_MODS),$(or $(wildcard \
    transport/*/$(m).c transport/core/*/$(m).c),$(error FRONT_MODS: no \
    transport/*/$(m).c or transport/core/*/$(m).c)))
ifeq ($(FRONT_LIBC),musl)
FRONT_OBJS := $(FRONT_MOD_SRCS:%.c=$(O)/musl/%.o)
else
FRONT_OBJS := $(FRONT_SRCS:%.c=$(O)/%.o)
endif
LIB       := $(O)/libsmtpdirect.a
CORE_LIB  := $(O)/libsmtpdirect-core.a
MLT_SRCS  := $(wildcard milter/*.c)
MLT_OBJS  := $(MLT_SRCS:%.c=$(O)/%.o)
# The milter's modules that unit tests call: no libmilter in them.
MLT_UNIT_OBJS := $(O)/milter/mlt_hdr.o $(O)/milter/mlt_map.o \
    $(O)/milter/mlt_rcpt.o
UNIT_SRCS := $(wildcard t/unit/check_*.c)
UNIT_BINS := $(UNIT_SRCS:%.c=$(O)/%)
HEADERS   := $(wildcard transport/core/*/*.h transport/*/*.h milter/*.h)
TOOL_SRCS := $(wildcard t/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:%.c=$(O)/%)
# Fuzz targets (t/fuzz/fuzz.h): with libFuzzer in VARIANT=fuzz (make
# fuzz), else with replay.c, which `make check` runs over the corpora.
FUZZ_SRCS := $(wildcard t/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst %.c,$(O)/%,$(filter-out t/fuzz/fuzz_util.c,$(FUZZ_SRCS)))
FUZZ_COMMON := $(O)/t/fuzz/fuzz_util.o $(MLT_UNIT_OBJS)
ifeq ($(VARIANT),fuzz)
FUZZ_DRIVER := -fsanitize=fuzzer
else
FUZZ_COMMON += $(O)/t/fuzz/replay.o
FUZZ_DRIVER :=
endif

BIN       := $(O)/transport/smtpdirect-core
FRONT     := $(O)/transport/smtpdirect
MLT_BIN   := $(if $(MLT_SRCS),$(O)/milter/smtpdirect-milter)

.PHONY: all build units tools fuzzers fuzz check unit-run demo bench install uninstall clean \
        format format-check cppcheck headers-check manlint tidy deps

all: transport/smtpdirect transport/smtpdirect-core \
     $(if $(MLT_SRCS),milter/smtpdirect-milter)

# Copied under a new inode: a running keeper or worker keeps the old one.
transport/smtpdirect transport/smtpdirect-core milter/smtpdirect-milter: \
    %: $(O)/%
	cp $< $@.new && mv -f $@.new $@

build: $(BIN) $(FRONT) $(MLT_BIN) units tools fuzzers
units: $(UNIT_BINS)
tools: $(TOOL_BINS)
fuzzers: $(FUZZ_BINS)

$(FLAGS): ;

# The program is relinked when LINK changes.
LINKFILE := $(O)/link
$(call stamp,$(LINKFILE),$(LINK) $(FRONT_LIBC) $(MUSL_CC) $(MUSL_LIB) \
    $(HARD_LDFLAGS))
$(LINKFILE): ;
$(O)/transport/cmd/main.o: $(LINKFILE)
$(O)/transport/cmd/main.o: CPPFLAGS += \
    -DSMTPDIRECT_LINK='"$(if $(filter static,$(LINK)),built in,shared)"'

$(O)/%.o: %.c $(HEADERS) $(FLAGS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(O)/t/unit/%.o: t/unit/%.c $(HEADERS) $(wildcard t/unit/*.h) $(FLAGS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -It/unit -Imilter $(CHECK_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
$(CORE_LIB): $(CORE_OBJS)
$(LIB) $(CORE_LIB):
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(CMD_OBJS) $(LIB) $(CORE_LIB) $(LINKFILE)
	$(CC) $(ALL_LDFLAGS) $(HARD_LDFLAGS) -o $@ $(CMD_OBJS) $(LIB) $(CORE_LIB) \
	    $(BIN_LIBS)

ifeq ($(FRONT_LIBC),musl)
$(O)/musl/%.o: %.c $(HEADERS) $(FLAGS) $(LINKFILE)
	@mkdir -p $(@D)
	$(MUSL_CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(FRONT): $(FRONT_OBJS) $(LINKFILE)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) $(FRONT_LDFLAGS) -nostdlib -nostartfiles -o $@ \
	    $(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o \
	    $(shell $(CC) -print-file-name=crtbeginS.o) $(FRONT_OBJS) \
	    $(MUSL_LIB)/libc.a $(shell $(CC) -print-libgcc-file-name) \
	    $(shell $(CC) -print-file-name=crtendS.o) $(MUSL_LIB)/crtn.o
else
$(FRONT): $(FRONT_OBJS) $(LIB) $(CORE_LIB) $(LINKFILE)
	$(CC) $(ALL_LDFLAGS) $(FRONT_LDFLAGS) -o $@ $(FRONT_OBJS) $(LIB) \
	    $(CORE_LIB)
endif

# The milter links the core only.
$(O)/milter/smtpdirect-milter: $(MLT_OBJS) $(CORE_LIB) $(LINKFILE)
	$(CC) $(ALL_LDFLAGS) $(HARD_LDFLAGS) -o $@ $(MLT_OBJS) $(CORE_LIB) \
	    $(MILTER_LIBS) $(LIBS) $(DYN_LIBS)

$(O)/t/unit/check_%: $(O)/t/unit/check_%.o $(LIB) $(CORE_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(CORE_LIB) $(CHECK_LIBS) $(LIBS) $(DYN_LIBS)

# The milter's unit tests link its pure modules and the core only.
$(O)/t/unit/check_mlt_%: $(O)/t/unit/check_mlt_%.o $(MLT_UNIT_OBJS) $(CORE_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(MLT_UNIT_OBJS) $(CORE_LIB) \
	    $(CHECK_LIBS) $(LIBS) $(DYN_LIBS) -lpthread

$(O)/t/fuzz/%.o: t/fuzz/%.c $(HEADERS) t/fuzz/fuzz.h $(FLAGS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -It/fuzz -Imilter $(ALL_CFLAGS) -c -o $@ $<

$(FUZZ_BINS): $(O)/t/fuzz/%: $(O)/t/fuzz/%.o $(FUZZ_COMMON) $(LIB) $(CORE_LIB)
	$(CC) $(ALL_LDFLAGS) $(FUZZ_DRIVER) -o $@ $< $(FUZZ_COMMON) $(LIB) \
	    $(CORE_LIB) $(LIBS) $(DYN_LIBS) -lpthread

$(O)/t/tools/%: t/tools/%.c $(LIB) $(CORE_LIB) $(HEADERS) $(FLAGS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) \
	    $(CORE_LIB) $(LIBS) $(DYN_LIBS)

deps:
	sh t/deps.sh

check: deps
	$(MAKE) VARIANT=normal all build
	$(MAKE) VARIANT=asan build
	sh t/run.sh

demo: deps
	$(MAKE) VARIANT=normal all
	bash t/demo.sh

# Each fuzz target explores for FUZZ_TIME seconds from its corpus;
# inputs that reach new code are merged into t/fuzz/corpus/NAME.
FUZZ_TIME ?= 60
fuzz:
	sh t/deps.sh fuzz
	$(MAKE) VARIANT=fuzz fuzzers
	FUZZ_TIME=$(FUZZ_TIME) sh t/fuzz/run.sh

bench: all
	sh t/deps.sh bench
	$(MAKE) VARIANT=normal build
	sh t/bench/run.sh

FMT_SRCS := $(wildcard transport/core/*/*.[ch] transport/*/*.[ch] \
    milter/*.[ch] t/unit/*.[ch] t/tools/*.c t/fuzz/*.[ch] t/bench/*.c)

format:
	clang-format -i $(FMT_SRCS)

format-check:
	clang-format --dry-run -Werror $(FMT_SRCS)

cppcheck:
	cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr \
	    --enable=warning,portability,performance \
	    --suppress=missingIncludeSystem -D_Noreturn="__attribute__((noreturn))" \
	    $(SRC_DIRS:%=-I%) transport milter t/bench

# clang-tidy with .clang-tidy over every source of the two programs
# (make check runs it with the static checks).
TIDY_SRCS := $(CORE_SRCS) $(LIB_SRCS) $(CMD_SRCS) $(FRONT_SRCS) $(MLT_SRCS)
tidy:
	@printf '%s\n' $(TIDY_SRCS) | xargs -P2 -I{} clang-tidy --quiet {} \
	    -- $(CPPFLAGS) -Imilter $(CSTD) -DSMTPDIRECT_LINK='"shared"' 2>&1 | \
	    grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated' | \
	    grep -v -E '^Suppressed [0-9]+ warnings|^Use -header-filter' | \
	    tee $(O)/tidy.log; ! grep -q -E 'warning:|error:' $(O)/tidy.log

headers-check:
	@for h in $(HEADERS); do \
	    echo "#include \"$$h\"" | $(CC) $(CPPFLAGS) -Imilter $(CSTD) $(WARN) \
	        -x c -fsyntax-only - || exit 1; \
	done

manlint:
	@for m in $(wildcard man/*.[1-8]); do mandoc -Tlint -Wwarning $$m || exit 1; done

# Installation. Configuration files are installed only when absent: an
# administrator's file is never overwritten. As root and without DESTDIR,
# the system user $(SD_USER) is created when missing, owns the state
# directory and owns the override map (0600 $(SD_USER):$(SD_USER): it may
# hold passwords, and SPEC's lint warns when anyone but the owner can
# read such a map). Otherwise owners are left alone, and install says so.
# The installed configuration and man pages name the directories chosen.
SD_USER  ?= smtpdirect
INSTALL  ?= install
MAN5     := $(wildcard man/*.5)
MAN8     := $(wildcard man/*.8)
SD_CONF  := $(DESTDIR)$(SYSCONFDIR)/smtpdirect
SUBST     = sed -e 's|/etc/smtpdirect|$(SYSCONFDIR)/smtpdirect|g' \
                -e 's|/var/lib/smtpdirect|$(STATEDIR)|g'
AS_ROOT   = [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ]
# install_prog SRC,DST: under a new name, then renamed over DST, so that
# an MTA starting the program while it is installed runs the old file or
# the new one whole, never one being written (which it could not run:
# a deferral, 4.3.0 cannot run ...).
install_prog = $(INSTALL) -m 0755 $(1) $(2).new && mv -f $(2).new $(2)

install: all
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(SD_CONF) $(dir $(DESTDIR)$(STATEDIR))
	$(call install_prog,transport/smtpdirect-core,$(DESTDIR)$(SBINDIR)/smtpdirect-core)
	$(call install_prog,transport/smtpdirect,$(DESTDIR)$(SBINDIR)/smtpdirect)
	if [ -f milter/smtpdirect-milter ]; then \
	    $(call install_prog,milter/smtpdirect-milter,$(DESTDIR)$(SBINDIR)/smtpdirect-milter); fi
	for m in $(MAN5) $(MAN8); do \
	    d=$(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; \
	    $(SUBST) $$m >$$d && chmod 0644 $$d || exit 1; done
	@if ! $(AS_ROOT); then \
	    echo "make install: $(if $(DESTDIR),DESTDIR is set,not root):" \
	        "not creating the user $(SD_USER), not changing owners."; \
	    echo "  As root on the target: useradd --system --user-group" \
	        "--no-create-home --home-dir /nonexistent" \
	        "--shell /usr/sbin/nologin $(SD_USER)"; \
	    echo "  chown $(SD_USER):$(SD_USER) $(STATEDIR);" \
	        "chown root:$(SD_USER) $(SYSCONFDIR)/smtpdirect/overrides"; \
	elif ! getent passwd $(SD_USER) >/dev/null; then \
	    echo useradd --system --user-group --no-create-home \
	        --home-dir /nonexistent --shell /usr/sbin/nologin $(SD_USER); \
	    useradd --system --user-group --no-create-home \
	        --home-dir /nonexistent --shell /usr/sbin/nologin $(SD_USER); \
	fi
	@f=$(SD_CONF)/smtpdirect.conf; \
	if [ -e $$f ]; then echo "make install: keeping $$f"; \
	else echo "install $$f"; \
	    $(SUBST) conf-examples/smtpdirect.conf >$$f && chmod 0644 $$f; fi
	@f=$(SD_CONF)/overrides; \
	if [ -e $$f ]; then echo "make install: keeping $$f"; \
	elif $(AS_ROOT); then echo "install $$f (0600 $(SD_USER):$(SD_USER))"; \
	    $(INSTALL) -m 0600 -o $(SD_USER) -g $(SD_USER) conf-examples/overrides $$f; \
	else echo "install $$f (0600)"; \
	    $(INSTALL) -m 0600 conf-examples/overrides $$f; fi
	@d=$(DESTDIR)$(STATEDIR); \
	if $(AS_ROOT); then echo "install -d $$d (0750 $(SD_USER):$(SD_USER))"; \
	    $(INSTALL) -d -m 0750 -o $(SD_USER) -g $(SD_USER) $$d; \
	    if [ -n "$$(find $$d ! -user $(SD_USER) -print -quit)" ]; then \
	        echo "make install: warning: $$d holds files that" \
	            "$(SD_USER) does not own (smtpdirect run as root?);" \
	            "fix: chown -R $(SD_USER):$(SD_USER) $$d"; fi; \
	else echo "install -d $$d (0750)"; $(INSTALL) -d -m 0750 $$d; fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/smtpdirect $(DESTDIR)$(SBINDIR)/smtpdirect-core \
	    $(DESTDIR)$(SBINDIR)/smtpdirect-milter \
	    $(MAN5:man/%=$(DESTDIR)$(MANDIR)/man5/%) \
	    $(MAN8:man/%=$(DESTDIR)$(MANDIR)/man8/%)
	@echo "make uninstall: kept $(SYSCONFDIR)/smtpdirect, $(STATEDIR) and" \
	    "the user $(SD_USER); remove them by hand when no longer needed."

clean:
	rm -rf build transport/smtpdirect transport/smtpdirect-core \
	    milter/smtpdirect-milter
