# outpost -- top-level Makefile (plain make, no generator).
#
#   make               build every program
#   make WERROR=1      ... with -Werror (CI)
#   make SANITIZE=1    ... with AddressSanitizer + UndefinedBehaviorSanitizer
#   make test          build, then run every test through prove
#   make deps          (root) install the Debian packages, create the account
#   make bench         benchmarks against the anchors (not a test)
#   make fuzz          run each libFuzzer target for FUZZ_SECONDS
#   make install       PREFIX=/usr/local DESTDIR=
#   make demo          (root) a running local stack under ./run/
#
# Sources are found by wildcard: every lib/*.c goes into lib/liboutpost.a;
# every other .c of a program folder goes into that folder's archive and
# <folder>/main.c holds main().  A unit test t/unit/NAME.c becomes
# t/unit/NAME.t linked against all archives, a test tool t/tools/NAME.c
# the program t/tools/NAME likewise.  Each bench/NAMEgen.c is a load
# generator bench/NAMEgen; every other bench/*.c goes into bench/libbench.a,
# which the generators link.

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR    ?=

CC       ?= cc
CFLAGS   ?= -O2 -g
WARNINGS  = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wpointer-arith -Wvla -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
ifeq ($(SANITIZE),1)
SANFLAGS  = -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
endif

PKGS      = milter opendkim hiredis libunbound libevent libcrypto libidn2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Each program links what it uses (libspf2 has no .pc file); tests, tools
# and benchmarks link every archive, so everything (the unit tests also
# check our signatures with libopendkim).
libs_of    = $(shell pkg-config --libs $(1) 2>/dev/null)
MILTER_LIBS  := $(call libs_of,milter hiredis libevent libunbound libcrypto libidn2) -lspf2 -lm
POLICYD_LIBS := $(call libs_of,hiredis libevent libcrypto libidn2) -lm
CTL_LIBS     := $(call libs_of,hiredis libunbound libcrypto libidn2) -lspf2 -lm
FEEDBACK_LIBS := $(call libs_of,hiredis libevent libcrypto libidn2) -lm
# outpost-web links outpostctl's archive (its readers and verbs).
WEB_LIBS     := $(call libs_of,hiredis libevent libunbound libcrypto libidn2) -lspf2 -lcrypt -lm
NULL_LIBS    := $(call libs_of,milter)

# The one version number of every program (--version).
VERSION  := $(shell cat VERSION 2>/dev/null || echo unknown)

ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -pthread -Ilib $(PKG_CFLAGS) \
              -DOUTPOST_VERSION='"$(VERSION)"' \
              $(WARNINGS) $(SANFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pthread $(SANFLAGS) $(LDFLAGS)
LDLIBS      = $(PKG_LIBS) -lspf2 -lcrypt -lm

PROGDIRS  = milter policyd ctl feedback web
PROGRAMS  = $(patsubst %/main.c,%,$(wildcard milter/main.c policyd/main.c ctl/main.c feedback/main.c web/main.c))
PROGRAMS := $(subst milter,milter/outpost-milter,$(subst policyd,policyd/outpost-policyd,$(subst ctl,ctl/outpostctl,$(subst feedback,feedback/outpost-feedback,$(subst web,web/outpost-web,$(PROGRAMS))))))

LIB_SRC   = $(wildcard lib/*.c)
LIB_OBJ   = $(LIB_SRC:.c=.o)
LIB_A     = lib/liboutpost.a

# Per program folder: archive of everything but main.c.
dir_src   = $(filter-out $(1)/main.c,$(wildcard $(1)/*.c))
MILTER_A  = milter/libmilter_outpost.a
POLICYD_A = policyd/libpolicyd.a
CTL_A     = ctl/libctl.a
FEEDBACK_A = feedback/libfeedback.a
WEB_A     = web/libweb.a
MILTER_OBJ  = $(patsubst %.c,%.o,$(call dir_src,milter))
POLICYD_OBJ = $(patsubst %.c,%.o,$(call dir_src,policyd))
CTL_OBJ     = $(patsubst %.c,%.o,$(call dir_src,ctl))
FEEDBACK_OBJ = $(patsubst %.c,%.o,$(call dir_src,feedback))
WEB_OBJ     = $(patsubst %.c,%.o,$(call dir_src,web))

UNIT_SRC  = $(wildcard t/unit/*.c)
UNIT_T    = $(UNIT_SRC:.c=.t)
TOOL_SRC  = $(wildcard t/tools/*.c)
TOOL_BIN  = $(TOOL_SRC:.c=)
FUZZ_SRC  = $(wildcard t/fuzz/*.c)
BENCH_SRC = $(wildcard bench/*gen.c)
BENCH_BIN = $(BENCH_SRC:.c=)
BENCH_A   = bench/libbench.a
BENCH_NULL = bench/nullmilter
BENCH_OBJ = $(patsubst %.c,%.o,$(filter-out $(BENCH_SRC) $(BENCH_NULL).c,$(wildcard bench/*.c)))

ALL_A     = $(MILTER_A) $(POLICYD_A) $(WEB_A) $(CTL_A) $(FEEDBACK_A) $(LIB_A)


# Rebuild everything when the flags change (SANITIZE=1 after a plain build).
FLAVOR := $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)
BUILD_FLAGS := .build-flags
$(shell echo '$(FLAVOR)' | cmp -s - $(BUILD_FLAGS) || echo '$(FLAVOR)' > $(BUILD_FLAGS))
# Written above at parse time; the empty rule keeps make from rejecting the
# %.o rule (and falling back to its built-in one) on the first build.
$(BUILD_FLAGS): ;

.PHONY: all test unit integration bench fuzz deps install clean demo demo-stop
# Keep the objects of unit tests and benchmarks: make would otherwise
# delete them as intermediate files and rebuild them every time.
.SECONDARY:
all: $(PROGRAMS) $(UNIT_T) $(TOOL_BIN) $(BENCH_BIN) $(BENCH_NULL)

%.o: %.c $(BUILD_FLAGS) $(wildcard lib/*.h milter/*.h policyd/*.h ctl/*.h feedback/*.h web/*.h t/*.h)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(BENCH_OBJ) $(BENCH_BIN:=.o): $(wildcard bench/*.h)

$(LIB_A): $(LIB_OBJ)
	rm -f $@; ar rcs $@ $^
# A folder without sources yet gets a valid empty archive.
$(MILTER_A): $(MILTER_OBJ)
	mkdir -p $(@D); rm -f $@; $(if $^,ar rcs $@ $^,printf '!<arch>\n' > $@)
$(POLICYD_A): $(POLICYD_OBJ)
	mkdir -p $(@D); rm -f $@; $(if $^,ar rcs $@ $^,printf '!<arch>\n' > $@)
$(CTL_A): $(CTL_OBJ)
	mkdir -p $(@D); rm -f $@; $(if $^,ar rcs $@ $^,printf '!<arch>\n' > $@)
$(FEEDBACK_A): $(FEEDBACK_OBJ)
	mkdir -p $(@D); rm -f $@; $(if $^,ar rcs $@ $^,printf '!<arch>\n' > $@)
$(WEB_A): $(WEB_OBJ)
	mkdir -p $(@D); rm -f $@; $(if $^,ar rcs $@ $^,printf '!<arch>\n' > $@)
$(BENCH_A): $(BENCH_OBJ)
	mkdir -p $(@D); rm -f $@; $(if $^,ar rcs $@ $^,printf '!<arch>\n' > $@)

milter/outpost-milter: milter/main.o $(MILTER_A) $(LIB_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(MILTER_LIBS)
policyd/outpost-policyd: policyd/main.o $(POLICYD_A) $(LIB_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(POLICYD_LIBS)
ctl/outpostctl: ctl/main.o $(CTL_A) $(LIB_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CTL_LIBS)
feedback/outpost-feedback: feedback/main.o $(FEEDBACK_A) $(LIB_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FEEDBACK_LIBS)
web/outpost-web: web/main.o $(WEB_A) $(CTL_A) $(LIB_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(WEB_LIBS)

t/unit/%.t: t/unit/%.o $(ALL_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(ALL_A) $(LDLIBS)
$(TOOL_BIN): t/tools/%: t/tools/%.o $(ALL_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(ALL_A) $(LDLIBS)

$(BENCH_BIN): bench/%: bench/%.o $(BENCH_A) $(LIB_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)
# The floor of the milter protocol (bench/run postfix): libmilter only.
$(BENCH_NULL): bench/nullmilter.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(NULL_LIBS)

# Tests: C unit tests first, then the integration scripts (real Postfix,
# Redis, DNS on loopback; they skip themselves when not run as root).
PROVE ?= prove
TESTS ?= $(UNIT_T) $(sort $(wildcard t/*.t))
test: all
	$(PROVE) -f $(TESTS)
unit: all
	$(PROVE) -f $(UNIT_T)

bench: all
	bench/run

FUZZ_SECONDS ?= 60
fuzz:
	t/fuzz/run $(FUZZ_SECONDS)

deps:
	sh .ci/deps

install: $(PROGRAMS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/outpost \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 755 $(PROGRAMS) $(DESTDIR)$(SBINDIR)
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5
	install -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8
	# 0640 root:outpost: it may hold redis_password.  chown only as root
	# (a DESTDIR build as a user keeps its own ownership).
	conf=$(DESTDIR)$(SYSCONFDIR)/outpost/outpost.conf; \
	if ! test -e $$conf; then \
	    install -m 640 etc/outpost.conf $$conf && \
	    if [ "$$(id -u)" = 0 ] && getent group outpost >/dev/null; then \
	        chown root:outpost $$conf; fi; \
	fi
	# the shipped rules are replaced; site rules go in bounce_rules_local
	install -m 644 etc/bounce-rules $(DESTDIR)$(SYSCONFDIR)/outpost/bounce-rules
	for u in etc/systemd/*.service; do \
	    sed 's|@SBINDIR@|$(SBINDIR)|g' $$u > $(DESTDIR)$(PREFIX)/lib/systemd/system/$${u##*/}; \
	done

# deps first, then a fresh make (the pkg-config flags are read at start).
demo:
	sh .ci/deps
	$(MAKE) all
	t/demo start
demo-stop:
	t/demo stop

clean:
	rm -f $(PROGRAMS) */*.o */*.a t/*/*.o t/unit/*.t $(TOOL_BIN) $(BENCH_BIN) $(BENCH_NULL) $(BUILD_FLAGS)
	rm -rf t/fuzz/bin
