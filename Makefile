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
# float-cast-overflow: gcc's undefined does not include it (clang's does).
SAN_CFLAGS = -O1 -g -fsanitize=address,undefined,float-cast-overflow \
	-fno-sanitize-recover=undefined,float-cast-overflow -fno-omit-frame-pointer

.PHONY: all check demo install uninstall clean deps lint bench sanitize \
	fuzz fuzz-smoke fuzz-build fuzz-clean

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

# libFuzzer harnesses (tests/fuzz/README.md): the lib objects built again with
# clang, coverage and the sanitizers, into tests/fuzz/build/, apart from the
# normal build.  make fuzz runs each for FUZZ_SECONDS; fuzz-smoke for 20 s.
FUZZ_CC	?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_CFLAGS = -O1 -g $(FUZZ_SAN)
FUZZ_DIR = tests/fuzz
FUZZ_BUILD = $(FUZZ_DIR)/build
FUZZERS	= reader input poll result parse
FUZZ_BIN = $(FUZZERS:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_LIBOBJ = $(patsubst lib/%.c,$(FUZZ_BUILD)/lib/%.o,$(wildcard lib/*.c))
# -max_len per harness: a few lines of records, a header or an option.
FUZZ_MAXLEN_reader = 4096
FUZZ_MAXLEN_input = 4096
FUZZ_MAXLEN_poll = 8192
FUZZ_MAXLEN_result = 8192
FUZZ_MAXLEN_parse = 256
FUZZ_DICT_reader =
FUZZ_DICT_input = -dict=$(FUZZ_DIR)/json.dict
FUZZ_DICT_poll = -dict=$(FUZZ_DIR)/json.dict
FUZZ_DICT_result = -dict=$(FUZZ_DIR)/json.dict
FUZZ_DICT_parse = -dict=$(FUZZ_DIR)/parse.dict

$(FUZZ_BUILD)/lib/%.o: lib/%.c lib/ia.h
	@mkdir -p $(FUZZ_BUILD)/lib
	$(FUZZ_CC) $(IA_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# jq16.c stands between ia and libjq's parser: not a target, so not traced.
$(FUZZ_BUILD)/jq16.o: $(FUZZ_DIR)/jq16.c $(FUZZ_DIR)/fuzz.h lib/ia.h
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CC) $(IA_CFLAGS) $(FUZZ_CFLAGS) -c -o $@ $(FUZZ_DIR)/jq16.c

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_DIR)/fuzz_%.c $(FUZZ_DIR)/fuzz.h $(FUZZ_BUILD)/jq16.o \
    $(FUZZ_LIBOBJ)
	$(FUZZ_CC) $(IA_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_BUILD)/jq16.o $(FUZZ_LIBOBJ) $(LDLIBS) -ldl

# Named here, the objects are no intermediate files to delete after.
fuzz-build: $(FUZZ_LIBOBJ) $(FUZZ_BUILD)/jq16.o $(FUZZ_BIN)

# One harness: new inputs go to build/corpus/NAME (never committed), the
# seeds of corpus/NAME are only read; a crash, a leak or a broken invariant
# is kept as build/NAME-crash-... (or leak-, timeout-) and fails the run.
fuzz-run-%: fuzz-build
	@mkdir -p $(FUZZ_BUILD)/corpus/$*
	@echo "fuzz_$*: $(FUZZ_SECONDS) s"
	@$(FUZZ_BUILD)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=$(FUZZ_MAXLEN_$*) $(FUZZ_DICT_$*) -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/$*- \
	    $(FUZZ_BUILD)/corpus/$* $(FUZZ_DIR)/corpus/$* \
	    >$(FUZZ_BUILD)/$*.log 2>&1 || { tail -n 60 $(FUZZ_BUILD)/$*.log; \
	    echo "fuzz_$*: FAILED (log: $(FUZZ_BUILD)/$*.log)"; exit 1; }
	@sed -n 's/^stat::\(number_of_executed_units\|average_exec_per_sec\|peak_rss_mb\):[[:space:]]*/  \1 /p' \
	    $(FUZZ_BUILD)/$*.log

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@$(MAKE) --no-print-directory $(FUZZERS:%=fuzz-run-%)

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

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
