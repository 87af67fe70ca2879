# shellcheck shell=bash
# Bash completion for the ia tools: ia-submit, ia-group, ia-poll, ia-collect,
# ia-mock and ia-run.  It needs bash-completion, which loads it on demand:
# make install puts a copy under each tool's name in
# share/bash-completion/completions.  Every option of each tool's --help,
# long and short, a file where a file goes, and ia-collect's -f formats;
# tests/completion.bats holds it to the tools.

# _ia_options TOOL: set flags (the options that take no argument), args
# (those that take one) and files (those of args that take a file).
_ia_options() {
	local http='-j --base-url --api-key-file --timeout --retries --rate'
	local input='-e -m --system --webhook-id --skip-done --journal'

	flags='-h --help -V --version'
	args='' files=''
	case $1 in
	ia-submit | ia-group)
		flags+=' -q -t -v --dry-run --requests-only'
		args="$input $http --max-line"
		files='--skip-done --journal --api-key-file'
		[[ $1 == ia-group ]] && args+=' -n --linger'
		;;
	ia-poll)
		flags+=' -q -v --once'
		args="--interval --max-interval --deadline --grace --pending $http"
		args+=' --max-line'
		files='--pending --api-key-file'
		;;
	ia-collect)
		flags+=' -0 -q -r -s -t --failed --pending --status --sort'
		args='-e -f -m --input --input-filter --system --webhook-id --summary-json --max-line'
		files='--input --summary-json'
		;;
	ia-mock)
		flags+=' -v'
		args='-b -p --port-file --key --models --complete-after'
		args+=' --group-delay --fail-rate --error-rate --429-rate'
		args+=' --reset-rate --stall-rate --lose-rate --garbage-rate'
		args+=' --garbage --garbage-routes --redirect-to --latency --seed'
		args+=' --threads --max-generations --rate-limit'
		files='--port-file'
		;;
	ia-run)
		flags+=' -g -q -t -v --status'
		args='-e -j -m --system --rounds --interval --max-interval'
		args+=' --deadline --rate'
		;;
	esac
}

# _ia_takes_arg WORD: whether WORD is an option whose argument is the next
# word: one of args, or a bundle of short options ending in one (-qj).
_ia_takes_arg() {
	local w=$1 i
	[[ $w == -* && $w != *=* ]] || return 1
	[[ " $args " == *" $w "* ]] && return 0
	[[ $w == -[!-]?* ]] || return 1
	for ((i = 1; i < ${#w}; i++)); do
		if [[ " $args " == *" -${w:i:1} "* ]]; then
			((i == ${#w} - 1))
			return
		fi
	done
	return 1
}

_ia() {
	local cur prev words cword split
	_init_completion -s || return

	local tool=${words[0]##*/} flags args files
	local i w operands=0 dashdash=false status=false in_arg=false
	_ia_options "$tool"

	# What comes before the word: operands so far, --, --status, and
	# whether the word is the argument of an option.
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if $in_arg; then
			in_arg=false
		elif $dashdash || [[ $w != -?* ]]; then
			operands=$((operands + 1))
		elif [[ $w == -- ]]; then
			dashdash=true
		else
			[[ $w == --status ]] && status=true
			_ia_takes_arg "$w" && in_arg=true
		fi
	done

	if $split || $in_arg; then
		# A bundle (-rf) takes the argument of its last option.
		[[ $prev == -[!-]?* ]] && prev=-${prev: -1}
		if [[ " $files " == *" $prev "* ]]; then
			_filedir
		elif [[ $tool == ia-collect && $prev == -f ]]; then
			mapfile -t COMPREPLY < <(compgen -W 'ndjson openai tsv csv' -- "$cur")
		elif [[ $tool == ia-mock && $prev == --garbage-routes ]]; then
			mapfile -t COMPREPLY < <(compgen -W 'get post all' -- "$cur")
		elif [[ $tool == ia-mock && $prev == --garbage ]]; then
			# kind,kind,...: the kinds for the word after the last comma.
			local done=
			[[ $cur == *,* ]] && done=${cur%,*},
			mapfile -t COMPREPLY < <(compgen -P "$done" -W 'json html
			    short huge types empty drip retry-after redirect all' \
			    -- "${cur##*,}")
		fi
		return
	fi
	if ! $dashdash && [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$flags $args" -- "$cur")
		return
	fi
	case $tool in
	ia-mock) ;;
	ia-run)
		# prompts dir, or --status dir
		if $status; then
			((operands == 0)) && _filedir -d
		elif ((operands == 0)); then
			_filedir
		elif ((operands == 1)); then
			_filedir -d
		fi
		;;
	*) _filedir ;;
	esac
}

complete -F _ia ia-submit ia-group ia-poll ia-collect ia-mock ia-run
