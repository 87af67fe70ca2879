#!/usr/bin/env bats
# Every tool's -h equals its man page's SYNOPSIS, and every page is complete.

load helper

# words: collapse white space, drop "usage:", so layouts can differ.
words() {
	tr -s ' \t\n' ' ' | sed 's/^ *usage: *//; s/^ *//; s/ *$//'
}

@test "the Makefile lists every tool in bin/" {
	local c
	for c in "$IA_TOP"/bin/ia-*.c; do
		[[ " $(tools) " == *" $(basename "$c" .c) "* ]]
	done
}

@test "-h prints the man page's SYNOPSIS, on stdout, and exits 0" {
	local t usage synopsis
	for t in $(tools); do
		usage=$("$IA_TOP/bin/$t" -h | words)
		synopsis=$(mandoc -Tascii "$IA_TOP/man/$t.1" | col -b |
		    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | words)
		echo "$t: usage:    $usage"
		echo "$t: synopsis: $synopsis"
		[ -n "$usage" ]
		[ "$usage" = "$synopsis" ]
	done
}

@test "-V prints the tool's name and version" {
	local t
	for t in $(tools); do
		run "$IA_TOP/bin/$t" -V
		[ "$status" -eq 0 ]
		[[ "$output" =~ ^$t\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	done
}

@test "every man page is mandoc -Tlint clean" {
	run mandoc -Tlint -W warning "$IA_TOP"/man/*.1 "$IA_TOP"/man/*.7
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "every tool's page has INPUT, OUTPUT, EXIT STATUS and EXAMPLES" {
	local t s
	for t in $(tools); do
		for s in INPUT OUTPUT "EXIT STATUS" EXAMPLES; do
			grep -q "^\.Sh $s\$" "$IA_TOP/man/$t.1" ||
			    { echo "man/$t.1 has no $s section"; return 1; }
		done
	done
}

# man_options TOOL: the options the page's DESCRIPTION lists (its .It Fl
# entries), long and short, one a line, sorted.
man_options() {
	awk '/^\.Sh / { d = ($0 == ".Sh DESCRIPTION") } d && /^\.It Fl /' \
	    "$IA_TOP/man/$1.1" |
	    awk '{ for (i = 1; i < NF; i++) if ($i == "Fl") print "-" $(i + 1) }' |
	    sed 's/\\-/-/g' | sort -u
}

# help_matches TOOL: the --help text on stdin names (help_options, in
# helper.bash) every option of the page and nothing else; says what differs.
help_matches() {
	local got want
	got=$(help_options)
	want=$(man_options "$1")
	[ -n "$want" ] || { echo "$1: no options found in man/$1.1"; return 1; }
	if [ "$got" != "$want" ]; then
		echo "$1: --help and man/$1.1 differ (<: only in --help, >: only in the page):"
		diff <(echo "$got") <(echo "$want") | grep '^[<>]'
		return 1
	fi
}

@test "--help: the -h output, then a line for each option of the man page and no other" {
	local t usage
	for t in $(tools); do
		"$IA_TOP/bin/$t" --help >"$BATS_TEST_TMPDIR/help" 2>"$BATS_TEST_TMPDIR/err" ||
		    { echo "$t --help exited $?"; return 1; }
		[ ! -s "$BATS_TEST_TMPDIR/err" ] || { echo "$t --help wrote on stderr"; return 1; }
		usage=$("$IA_TOP/bin/$t" -h)
		[ -n "$usage" ]
		[ "$(head -n "$(printf '%s\n' "$usage" | wc -l)" "$BATS_TEST_TMPDIR/help")" = "$usage" ] ||
		    { echo "$t --help does not start with the -h output"; return 1; }
		help_matches "$t" <"$BATS_TEST_TMPDIR/help"
		# Each line fits in 80 columns.
		if awk 'length > 79 { print; bad = 1 } END { exit !bad }' "$BATS_TEST_TMPDIR/help"; then
			echo "$t --help: lines over 79 columns, above"
			return 1
		fi
	done
}

@test "the --help check catches a line missing, and one too many" {
	local full
	full=$("$IA_TOP/bin/ia-poll" --help)
	help_matches ia-poll <<<"$full"
	run help_matches ia-poll < <(grep -v -- '--interval' <<<"$full")
	[ "$status" -eq 1 ]
	[[ "$output" == *"> --interval"* ]]
	run help_matches ia-poll < <(grep -v -- '-V, --version' <<<"$full")
	[ "$status" -eq 1 ]
	[[ "$output" == *"> --version"* ]]
	run help_matches ia-poll < <(printf '%s\n  --bogus n            not an option\n' "$full")
	[ "$status" -eq 1 ]
	[[ "$output" == *"< --bogus"* ]]
	run help_matches ia-mock < <("$IA_TOP/bin/ia-mock" --help | grep -v -- '--lose-rate')
	[ "$status" -eq 1 ]
	[[ "$output" == *"> --lose-rate"* ]]
}
