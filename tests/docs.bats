#!/usr/bin/env bats
# Every tool's -h equals its man page's SYNOPSIS, and every page is complete.

load helper

tools() {
	sed -n 's/^TOOLS[[:space:]]*=[[:space:]]*//p' "$IA_TOP/GNUmakefile"
}

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
