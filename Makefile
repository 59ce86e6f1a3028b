# SPDX-License-Identifier: BSD-2-Clause
# smtpdirect build. GNU make.
#
#   make            build transport/smtpdirect (and the milter)
#   make check      install missing Debian packages, build, run unit tests
#                   normally and under ASan+UBSan, static checks, integration
#   make demo       deliver a few messages through a local DNS and SMTP sink
#   make bench      run the benchmarks and rewrite BENCHMARKS.md
#   make install    PREFIX=/usr/local DESTDIR=

ifeq ($(origin CC),default)
CC       := gcc
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
ifeq ($(VARIANT),asan)
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=undefined
endif
CPPFLAGS += -Itransport -DSMTPDIRECT_VERSION='"$(VERSION)"' \
            -DSMTPDIRECT_SYSCONFDIR='"$(SYSCONFDIR)"' \
            -DSMTPDIRECT_STATEDIR='"$(STATEDIR)"'
ALL_CFLAGS = $(CSTD) $(OPT) $(WARN) $(CFLAGS)
ALL_LDFLAGS = $(OPT) $(LDFLAGS)

LIBS     := -lldns -llmdb -lssl -lcrypto
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)
MILTER_LIBS  := -lmilter -lpthread

# The core library: every transport module but the commands.
CMD_SRCS  := transport/main.c $(wildcard transport/cmd_*.c)
LIB_SRCS  := $(filter-out $(CMD_SRCS),$(wildcard transport/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(O)/%.o)
CMD_OBJS  := $(CMD_SRCS:%.c=$(O)/%.o)
LIB       := $(O)/libsmtpdirect.a
MLT_SRCS  := $(wildcard milter/*.c)
MLT_OBJS  := $(MLT_SRCS:%.c=$(O)/%.o)
UNIT_SRCS := $(wildcard t/unit/check_*.c)
UNIT_BINS := $(UNIT_SRCS:%.c=$(O)/%)
HEADERS   := $(wildcard transport/*.h milter/*.h)
TOOL_SRCS := $(wildcard t/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:%.c=$(O)/%)

BIN       := $(O)/transport/smtpdirect
MLT_BIN   := $(if $(MLT_SRCS),$(O)/milter/smtpdirect-milter)

.PHONY: all build units tools check unit-run demo bench install clean \
        format format-check cppcheck headers-check manlint deps

all: transport/smtpdirect $(if $(MLT_SRCS),milter/smtpdirect-milter)

transport/smtpdirect: $(BIN)
	cp $(BIN) $@

milter/smtpdirect-milter: $(MLT_BIN)
	cp $(MLT_BIN) $@

build: $(BIN) $(MLT_BIN) units tools
units: $(UNIT_BINS)
tools: $(TOOL_BINS)

$(O)/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(O)/t/unit/%.o: t/unit/%.c $(HEADERS) $(wildcard t/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -It/unit $(CHECK_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(CMD_OBJS) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CMD_OBJS) $(LIB) $(LIBS)

$(O)/milter/smtpdirect-milter: $(MLT_OBJS) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(MLT_OBJS) $(LIB) $(MILTER_LIBS) $(LIBS)

$(O)/t/unit/check_%: $(O)/t/unit/check_%.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(CHECK_LIBS) $(LIBS)

$(O)/t/tools/%: t/tools/%.c $(LIB) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(LIBS)

deps:
	sh t/deps.sh

check: deps
	$(MAKE) VARIANT=normal all build
	$(MAKE) VARIANT=asan build
	sh t/run.sh

demo: deps
	$(MAKE) VARIANT=normal all
	bash t/demo.sh

bench: all
	sh t/deps.sh bench
	$(MAKE) VARIANT=normal build
	sh t/bench/run.sh

format:
	clang-format -i $(wildcard transport/*.[ch] milter/*.[ch] t/unit/*.[ch] t/tools/*.c)

format-check:
	clang-format --dry-run -Werror $(wildcard transport/*.[ch] milter/*.[ch] t/unit/*.[ch] t/tools/*.c)

cppcheck:
	cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr \
	    --enable=warning,portability,performance \
	    --suppress=missingIncludeSystem -D_Noreturn="__attribute__((noreturn))" \
	    -Itransport transport milter

headers-check:
	@for h in $(HEADERS); do \
	    echo "#include \"$$h\"" | $(CC) $(CPPFLAGS) -Imilter $(CSTD) $(WARN) \
	        -x c -fsyntax-only - || exit 1; \
	done

manlint:
	@for m in $(wildcard man/*.[1-8]); do mandoc -Tlint -Wwarning $$m || exit 1; done

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/smtpdirect
	install -m 0755 transport/smtpdirect $(DESTDIR)$(SBINDIR)/smtpdirect
	if [ -f milter/smtpdirect-milter ]; then \
	    install -m 0755 milter/smtpdirect-milter $(DESTDIR)$(SBINDIR)/; fi
	for m in $(wildcard man/*.5); do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man5/; done
	for m in $(wildcard man/*.8); do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/; done
	[ -f $(DESTDIR)$(SYSCONFDIR)/smtpdirect/smtpdirect.conf ] || \
	    install -m 0644 conf-examples/smtpdirect.conf $(DESTDIR)$(SYSCONFDIR)/smtpdirect/
	[ -f $(DESTDIR)$(SYSCONFDIR)/smtpdirect/overrides ] || \
	    install -m 0640 conf-examples/overrides $(DESTDIR)$(SYSCONFDIR)/smtpdirect/
	install -d -m 0750 $(DESTDIR)$(STATEDIR)

clean:
	rm -rf build transport/smtpdirect milter/smtpdirect-milter
