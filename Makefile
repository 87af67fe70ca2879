# ia: Unix filters for the inference.net Asynchronous Inference API.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DESTDIR	?=

IA_VERSION = $(shell sed -n 's/^#define IA_VERSION[^"]*"\(.*\)"/\1/p' lib/ia.h)
CC	?= cc
AR	?= ar
PKG_CONFIG ?= pkg-config
CFLAGS	?= -O2 -g
WERROR	?= $(if $(CI),-Werror)
IA_CFLAGS = -std=c11 -Wall -Wextra $(WERROR) -D_DEFAULT_SOURCE -D_GNU_SOURCE -Ilib \
	$(shell $(PKG_CONFIG) --cflags libcurl libmicrohttpd 2>/dev/null)
# libjq 1.6 ships no pkg-config file: use it when a newer one does, else -ljq -lonig.
JQ_LIBS	= $(shell $(PKG_CONFIG) --libs libjq 2>/dev/null || echo -ljq -lonig)
CURL_LIBS = $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null || echo -lcurl)
MHD_LIBS = $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
LDLIBS	= $(CURL_LIBS) $(JQ_LIBS) -lm -lpthread

TOOLS	= ia-mock ia-submit ia-group ia-poll ia-collect ia-run
LIBOBJ	= $(patsubst %.c,%.o,$(wildcard lib/*.c))
# ia-mock's parts, private to it (bin/mock/mock.h).
MOCKOBJ	= $(patsubst %.c,%.o,$(wildcard bin/mock/*.c))
MAN1	= $(TOOLS:%=man/%.1)
MAN7	= $(wildcard man/*.7)
# Small C programs that test the library's pure parts, run from tests/*.bats.
TESTBIN	= $(patsubst %.c,%,$(wildcard tests/t_*.c))

BATS	?= bats
SAN_CFLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer

.PHONY: all check demo install uninstall clean deps lint bench sanitize

all: $(TOOLS:%=bin/%) $(TESTBIN)

lib/libia.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

$(LIBOBJ) $(TOOLS:%=bin/%.o) bin/tool.o $(TESTBIN:%=%.o) $(MOCKOBJ): lib/ia.h
$(TOOLS:%=bin/%.o) bin/tool.o: bin/tool.h
bin/ia-mock.o $(MOCKOBJ): bin/mock/mock.h

.c.o:
	$(CC) $(IA_CFLAGS) $(CFLAGS) -c -o $@ $<

bin/ia-mock: bin/ia-mock.o $(MOCKOBJ) lib/libia.a
	$(CC) $(LDFLAGS) -o $@ bin/ia-mock.o $(MOCKOBJ) lib/libia.a $(MHD_LIBS) $(LDLIBS)

# ia-run is a bash script: the version goes in, and it becomes executable.
bin/ia-run: bin/ia-run.sh
	sed 's/@VERSION@/$(IA_VERSION)/' bin/ia-run.sh >$@.tmp
	chmod 755 $@.tmp
	mv $@.tmp $@

# Every tool but the mock links the tool layer, bin/tool.o.
bin/ia-%: bin/ia-%.o bin/tool.o lib/libia.a
	$(CC) $(LDFLAGS) -o $@ $@.o bin/tool.o lib/libia.a $(LDLIBS)

$(TESTBIN): %: %.o lib/libia.a
	$(CC) $(LDFLAGS) -o $@ $@.o lib/libia.a $(LDLIBS)

deps:
	@sh .ci/deps

check: deps
	@$(MAKE) --no-print-directory all
	@sh tests/run

demo: deps
	@$(MAKE) --no-print-directory all
	@sh examples/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@sh bench/run

# The whole suite against tools built with AddressSanitizer and UBSan; any
# report fails the test that provoked it.  Leaves the tree clean.
sanitize: deps
	@$(MAKE) -s clean
	@$(MAKE) --no-print-directory all CFLAGS="$(SAN_CFLAGS)" LDFLAGS="$(SAN_CFLAGS)"
	@ASAN_OPTIONS=abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    sh tests/run; rc=$$?; $(MAKE) -s clean; exit $$rc

lint:
	mandoc -Tlint -W warning $(MAN1) $(MAN7)
	shellcheck -s sh .ci/deps .ci/run tests/run examples/demo.sh bench/run bench/*.sh
	shellcheck -s bash tests/*.bash bin/ia-run.sh
	@# bats: run sets $$output, $$status and $$stderr; each test is a subshell.
	shellcheck -s bash -e SC2030,SC2031,SC2153,SC2154 tests/*.bats

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	for t in $(TOOLS); do install -m 755 bin/$$t $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MAN1); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/; done
	for m in $(MAN7); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man7/; done

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MAN1); do rm -f $(DESTDIR)$(MANDIR)/man1/$${m#man/}; done
	for m in $(MAN7); do rm -f $(DESTDIR)$(MANDIR)/man7/$${m#man/}; done

clean:
	rm -f bin/*.o $(MOCKOBJ) lib/*.o tests/*.o lib/libia.a $(TOOLS:%=bin/%) $(TESTBIN)
