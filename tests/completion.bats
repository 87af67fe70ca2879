#!/usr/bin/env bats
# completion/ia.bash, run as bash-completion runs it: COMP_WORDS and
# COMP_CWORD set, the function `complete -p TOOL` names called, COMPREPLY
# read.  It must offer every option of each tool's --help and nothing else,
# files where --help says a file goes, and ia-collect's formats.

load helper

# bash-completion itself (make deps installs it); BASH_COMPLETION may name it.
if [ -z "${BASH_COMPLETION:-}" ]; then
	BASH_COMPLETION=/usr/share/bash-completion/bash_completion
	[ -r "$BASH_COMPLETION" ] ||
	    BASH_COMPLETION=/usr/local/share/bash-completion/bash_completion
fi

setup() {
	default_setup
	[ -r "$BASH_COMPLETION" ] ||
	    { echo "no $BASH_COMPLETION: install bash-completion (make deps)"; return 1; }
	cd "$BATS_TEST_TMPDIR" || return 1
	touch alpha.jsonl beta.txt
	mkdir jobdir
}

# completions WORD...: what completing the last word of the command line
# WORD... offers, sorted, one a line.  A fresh bash each time.
completions() {
	# shellcheck disable=SC2016 # for the inner bash
	bash --norc --noprofile -c '
		source "$1" || exit 3
		source "$2" || exit 3
		shift 2
		fn=$(complete -p "$1" 2>/dev/null | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		[ -n "$fn" ] || { echo "no completion for $1" >&2; exit 4; }
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' bash "$BASH_COMPLETION" "$IA_TOP/completion/ia.bash" "$@" | sed '/^$/d' | sort
}

@test "ia-poll --i<TAB> completes to --interval" {
	run completions ia-poll --i
	[ "$status" -eq 0 ]
	[ "$output" = --interval ]
}

@test "every tool: - offers every option of --help and no other, -- every long one" {
	local t want
	for t in $(tools); do
		want=$("$IA_TOP/bin/$t" --help | help_options)
		[ -n "$want" ]
		run completions "$t" -
		[ "$status" -eq 0 ]
		if [ "$output" != "$want" ]; then
			echo "$t -<TAB> (<) and $t --help (>) differ:"
			diff <(echo "$output") <(echo "$want") | grep '^[<>]'
			return 1
		fi
		run completions "$t" --
		[ "$output" = "$(grep -e '^--' <<<"$want")" ]
	done
}

@test "every option whose argument --help calls file completes file names" {
	local t o seen=
	for t in $(tools); do
		for o in $("$IA_TOP/bin/$t" --help | sed -n 's/^  .*\(--[a-z-]*\) file  .*/\1/p;
		    s/^  .*\(--[a-z-]*\) file$/\1/p'); do
			run completions "$t" "$o" al
			[ "$output" = alpha.jsonl ] || { echo "$t $o al<TAB>: '$output'"; return 1; }
			run completions "$t" "$o=al"
			[ "$output" = alpha.jsonl ] || { echo "$t $o=al<TAB>: '$output'"; return 1; }
			seen+=" $o"
		done
	done
	# The parsing of --help found them all.
	for o in --skip-done --journal --input --pending --summary-json \
	    --api-key-file --port-file; do
		[[ "$seen " == *" $o "* ]] || { echo "no file option $o in any --help"; return 1; }
	done
}

@test "operands: files for the filters, prompts then a directory for ia-run" {
	local t
	for t in ia-submit ia-group ia-poll ia-collect; do
		run completions "$t" -q al
		[ "$output" = alpha.jsonl ]
		run completions "$t" -- -
		[ -z "$output" ]
	done
	run completions ia-collect --pending b
	[ "$output" = beta.txt ]
	run completions ia-run -j 4 al
	[ "$output" = alpha.jsonl ]
	run completions ia-run -g alpha.jsonl ""
	[ "$output" = jobdir ]
	run completions ia-run --status ""
	[ "$output" = jobdir ]
	run completions ia-run alpha.jsonl jobdir ""
	[ -z "$output" ]
	run completions ia-mock ""
	[ -z "$output" ]
}

@test "option arguments: formats for ia-collect -f, nothing where a value goes" {
	run completions ia-collect -f ""
	[ "$output" = "$(printf '%s\n' csv ndjson openai tsv)" ]
	run completions ia-collect -rf t
	[ "$output" = tsv ]
	run completions ia-submit -j ""
	[ -z "$output" ]
	run completions ia-poll --interval ""
	[ -z "$output" ]
	run completions ia-mock --error-rate ""
	[ -z "$output" ]
}

@test "ia-mock: --garbage-routes offers its routes, --garbage its kinds after a comma" {
	run completions ia-mock --garbage-ro
	[ "$output" = --garbage-routes ]
	run completions ia-mock --garbage-routes ""
	[ "$output" = "$(printf '%s\n' all get post)" ]
	run completions ia-mock --garbage h
	[ "$output" = "$(printf '%s\n' html huge)" ]
	run completions ia-mock --garbage json,sh
	[ "$output" = json,short ]
	run completions ia-mock --garbage=json,html,re
	[ "$output" = "$(printf '%s\n' json,html,redirect json,html,retry-after)" ]
	run completions ia-mock --redirect-to ""
	[ -z "$output" ]
}
