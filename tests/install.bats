#!/usr/bin/env bats
# make install and uninstall, in a copy of the sources: the tools, the
# pages and the completions go where they belong, and no test program is
# built on the way.

load helper

# make_copy: the sources make needs, test programs' included, in $SRC,
# and nothing built.
make_copy() {
	SRC=$BATS_TEST_TMPDIR/src
	DEST=$BATS_TEST_TMPDIR/dest
	mkdir -p "$SRC/tests/fuzz"
	cp -R "$IA_TOP/GNUmakefile" "$IA_TOP/Makefile" "$IA_TOP/bin" "$IA_TOP/lib" "$IA_TOP/man" \
	    "$IA_TOP/completion" "$SRC/"
	cp "$IA_TOP"/tests/t_*.c "$IA_TOP"/tests/t.h "$SRC/tests/"
	# t_http links the harnesses' stand-in for libjq's parser.
	cp "$IA_TOP"/tests/fuzz/jq16.c "$IA_TOP"/tests/fuzz/fuzz.h "$SRC/tests/fuzz/"
	in_copy clean >/dev/null
	[ -z "$(find "$SRC" -name '*.o' -o -name '*.a')" ]
}

# in_copy TARGET [VAR=value...]: make in the copy (helper.bash has unset
# the flags and jobserver of a make check that runs us).
in_copy() {
	make --no-print-directory -C "$SRC" "$@"
}

@test "make install DESTDIR=... PREFIX=/usr: tools, pages, completions; no test program built" {
	local t c
	make_copy
	run in_copy install DESTDIR="$DEST" PREFIX=/usr
	echo "$output"
	[ "$status" -eq 0 ]
	for t in $(tools); do
		[ -x "$DEST/usr/bin/$t" ] || { echo "no $DEST/usr/bin/$t"; return 1; }
		[ -f "$DEST/usr/share/man/man1/$t.1" ] || { echo "no man1/$t.1"; return 1; }
		c=$DEST/usr/share/bash-completion/completions/$t
		cmp "$IA_TOP/completion/ia.bash" "$c" || { echo "no completion $c"; return 1; }
	done
	[ -f "$DEST/usr/share/man/man7/ia.7" ]
	"$DEST/usr/bin/ia-submit" -V
	"$DEST/usr/bin/ia-run" -V
	# Not one test program, nor its object.
	run find "$SRC/tests" -type f ! -name '*.[ch]'
	[ -z "$output" ] || { echo "built in tests/: $output"; return 1; }
	# man finds the pages where they went.
	if command -v man >/dev/null; then
		[ "$(MANPATH=$DEST/usr/share/man man -w ia-submit)" = \
		    "$DEST/usr/share/man/man1/ia-submit.1" ]
		[ "$(MANPATH=$DEST/usr/share/man man -w 7 ia)" = \
		    "$DEST/usr/share/man/man7/ia.7" ]
	fi
	run in_copy uninstall DESTDIR="$DEST" PREFIX=/usr
	[ "$status" -eq 0 ]
	run find "$DEST" ! -type d
	[ -z "$output" ] || { echo "left after uninstall: $output"; return 1; }
}

@test "make testbin builds the test programs that make all does not" {
	local c
	make_copy
	run in_copy -j2 all
	[ "$status" -eq 0 ]
	[ -z "$(find "$SRC/tests" -type f ! -name '*.[ch]')" ]
	run in_copy -j2 testbin
	echo "$output"
	[ "$status" -eq 0 ]
	for c in "$SRC"/tests/t_*.c; do
		[ -x "${c%.c}" ] || { echo "testbin did not build ${c%.c}"; return 1; }
	done
}

@test "the README's way to read a page from the build tree works" {
	command -v man >/dev/null ||
	    { echo "no man(1): install man-db (make deps)" >&2; return 1; }
	grep -q '^    man -l man/ia-submit.1' "$IA_TOP/README.md"
	run env MANPAGER=cat man -l "$IA_TOP/man/ia-submit.1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ia-submit"* ]]
}
