#!/usr/bin/env bats
# Every bad input on every tool.  The table below lists inputs that are not
# what a tool expects, or are at its edge; each test feeds one of them to
# ia-submit, ia-group, ia-poll and ia-collect in turn, between good records,
# from a named file, and checks what the user sees: an error record of stage
# input naming FILE:LINE, or the record taken as it should be; the good
# records around it unaffected; exit 1 for an error and 0 otherwise, never a
# signal; nothing on stderr, so no sanitizer report either; and no hang
# (timeout 60).  Then ids with special characters through ia-poll: each one
# is one percent-encoded path segment, and never reaches another route.
# tests/README.md has the table of what each tool gives for each input.

load helper
bats_require_minimum_version 1.5.0

TOOLS="submit group poll collect"

setup_file() {
	BIG=$BATS_FILE_TMPDIR/big
	mkdir -p "$BIG"
	head -c $((20 << 20)) /dev/zero | tr '\0' x > "$BIG/20m"
	python3 - "$BIG" <<-'PY'
	import random, sys
	d = sys.argv[1]
	open(d + "/random", "wb").write(random.Random(7).randbytes(1 << 20))
	open(d + "/nested", "wb").write(b"[" * 100000 + b"]" * 100000)
	PY
	export BIG
}

setup() {
	default_setup
	T=$BATS_TEST_TMPDIR
}

# --- making the bytes --------------------------------------------------------------

# rec CUSTOM_ID [CONTENT [EXTRA]]: a good record in the shape $TOOL reads,
# with no newline: a chat request (ia-submit, ia-group), an acknowledgement
# of the generation $GOOD_ID (ia-poll; CONTENT goes in a "note"), an answer
# (ia-collect).  CONTENT defaults to "question CUSTOM_ID"; EXTRA, a JSON
# object, is merged in.
rec() {
	local c=${2-"question $1"} x=${3:-'{}'}
	case $TOOL in
	submit|group)
		jq -ncj --arg id "$1" --arg c "$c" --argjson x "$x" \
		    '{model: "m", messages: [{role: "user", content: $c}], metadata: {custom_id: $id}} + $x' ;;
	poll)
		jq -ncj --arg id "$1" --arg c "$c" --arg g "$GOOD_ID" --argjson x "$x" \
		    '{custom_id: $id, id: $g, note: $c} + $x' ;;
	collect)
		jq -ncj --arg id "$1" --arg c "$c" --argjson x "$x" '{custom_id: $id, content: $c} + $x' ;;
	esac
}

# swap FROM TO: stdin with each FROM replaced by TO, in which \xHH is a
# byte, so that bytes jq would never write can be put in a record.
swap() {
	python3 -c 'import sys
d = sys.stdin.buffer.read()
to = sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
sys.stdout.buffer.write(d.replace(sys.argv[1].encode(), to))' "$1" "$2"
}

# pad_to N: stdin with @PAD@ replaced by as many x as make it N bytes.
pad_to() {
	python3 -c 'import sys
d = sys.stdin.buffer.read()
n = int(sys.argv[1]) - (len(d) - 5)
sys.stdout.buffer.write(d.replace(b"@PAD@", b"x" * n))' "$1"
}

# repeat FROM C N: stdin with FROM replaced by N times the character C.
repeat() {
	python3 -c 'import sys
d = sys.stdin.buffer.read()
sys.stdout.buffer.write(d.replace(sys.argv[1].encode(), sys.argv[2].encode() * int(sys.argv[3])))' "$@"
}

# nul_custom_id: a record whose custom_id is "nul", a NUL, "id", escaped.
nul_custom_id() {
	rec nul@@id | sed 's/@@/\\u0000/g'
}

# A string where an object belongs, in each tool's own records.
string_for_object() {
	case $TOOL in
	submit|group) printf '%s' '{"model": "m", "messages": ["hello"], "metadata": {"custom_id": "str"}}' ;;
	poll) printf '%s' '{"group_id": "G", "custom_ids": "str"}' ;;
	collect) printf '%s' '{"custom_id": "str", "id": "g", "state": "Success", "response": "not an object"}' ;;
	esac
}

# Each key twice, the first value wrong.
dup_keys() {
	case $TOOL in
	submit|group)
		printf '%s' '{"model": "m", "messages": [{"role": "user", "content": "first"}],' \
		    ' "messages": [{"role": "user", "content": "second"}],' \
		    ' "metadata": {"custom_id": "dup-1", "custom_id": "dup-2"}}' ;;
	poll)
		printf '{"custom_id": "dup-1", "id": "no-such-id", "custom_id": "dup-2", "id": "%s"}' "$GOOD_ID" ;;
	collect)
		printf '%s' '{"custom_id": "dup-1", "content": "first", "custom_id": "dup-2", "content": "second"}' ;;
	esac
}

# --- the table ---------------------------------------------------------------------

# row NAME LAYOUT SUBMIT GROUP POLL COLLECT -- COMMAND...: one bad input.
# COMMAND prints its bytes, with $TOOL set to the tool under test.
# LAYOUT says where they go in the file the tool reads:
#   mid    after a good record, line 1, and before another: the bytes start
#          on line 2, and a newline ends them
#   last   after two good records: the bytes end the file, no newline after
#   alone  the whole file; it is then read again between two files of one
#          good record each
# Then what each tool gives for it; "=" is what the tool to its left gives:
#   err ERE  an error record of stage input for the line, status null,
#            attempts 0, whose message is "FILE:LINE: " and then text that
#            matches the extended regex ERE
#   ok JQ    one record taken besides the good ones; JQ holds of
#            {custom_id, got}: the custom_id the tool gives it, and got, what
#            it made of it: the request the mock received (ia-submit,
#            ia-group), the generation printed (ia-poll), the answer
#            printed (ia-collect)
#   pass     passed through as it came, byte for byte (ia-poll)
#   other    passed over and counted as not results (ia-collect)
#   none     nothing comes of it: no record, no request
#   errs     many lines, each one that is not blank an error record of its
#            own with its line; ia-poll passes a line that is JSON through,
#            and follows one that looks like a bare id until --grace ends
#            it; ia-collect passes over a line that is JSON
table() {
	row invalid-json mid \
	    'err ^not JSON: Unfinished ' = \
	    'err ^not JSON, nor a generation id$' 'err ^not JSON$' \
	    -- eval 'rec cut | head -c 20'
	row json-array mid \
	    'err ^a request must be a JSON object, not array$' = pass other \
	    -- printf '%s' '[1, 2]'
	row json-number mid \
	    'err ^a request must be a JSON object, not number$' = pass other \
	    -- printf '%s' '42'
	row json-string mid \
	    'err ^a request must be a JSON object, not string$' = pass other \
	    -- printf '%s' '"a string"'
	# In a field: messages[0] of a request, custom_ids of a group record.
	# ia-collect reads a success whose response is no object as an answer
	# with what it lacks null, as it does any odd generation.
	row string-for-object mid \
	    'err ^messages\[0\] must be an object$' = \
	    'err ^custom_ids must be an array of strings$' \
	    'ok .custom_id == "str" and .got.content == null' \
	    -- string_for_object
	# As jq reads it: each byte that is not UTF-8 becomes U+FFFD, in the
	# custom_id too; the record is taken.
	row invalid-utf8 mid \
	    'ok .custom_id == "utf8-\ufffd\ufffd" and .got.messages[0].content == "a\ufffd\ufffdb"' = \
	    'ok .custom_id == "utf8-\ufffd\ufffd"' \
	    'ok .custom_id == "utf8-\ufffd\ufffd" and .got.content == "a\ufffd\ufffdb"' \
	    -- eval "rec utf8-@@ a@@b | swap @@ '\\xff\\xfe'"
	# A raw NUL inside a string: jq takes a control character there, and
	# so do the tools; it travels as \u0000.
	row nul-in-string mid \
	    'ok .custom_id == "nul" and .got.messages[0].content == "a\u0000b"' = \
	    'ok .custom_id == "nul"' \
	    'ok .custom_id == "nul" and .got.content == "a\u0000b"' \
	    -- eval "rec nul a@@b | swap @@ '\\x00'"
	# custom_ids are C strings in the tools: cut at the NUL, the custom_id
	# would be another, so it is refused.
	row nul-in-custom_id mid \
	    'err ^custom_id must not hold a NUL byte$' = = = \
	    -- nul_custom_id
	# Between tokens a NUL is no JSON.
	row nul-between-tokens mid \
	    'err ^not JSON: ' = 'err ^not JSON, nor a generation id$' 'err ^not JSON$' \
	    -- eval "rec nul | swap , ',\\x00'"
	# Two values with no separator: libjq 1.6 refuses them and leaks the
	# second when it is a string; the tools refuse it first (seen under
	# the sanitizers, which report the leak).
	row no-separator mid \
	    'err ^not JSON: Expected separator between values' = \
	    'err ^not JSON, nor a generation id$' 'err ^not JSON$' \
	    -- eval "rec sep | sed 's/,\"/ \"/'"
	# libjq 1.6 stops at a byte 0x1e (RS) as at the end of the input, and
	# would take the record before it; a line is one JSON text, and JSON
	# has no RS, so it is no JSON.
	row rs-byte mid \
	    'err ^not JSON: a byte 0x1e \(RS\) at column [0-9]+$' = \
	    'err ^not JSON, nor a generation id$' 'err ^not JSON$' \
	    -- eval "rec rs; printf '\\x1egarbage {'"
	row line-over-max-line mid \
	    'err ^line longer than --max-line \(16777216 bytes\)$' = = = \
	    -- cat "$BIG/20m"
	# A line of exactly the default --max-line, 16 MiB, is taken whole.
	row line-at-max-line mid \
	    'ok .custom_id == "at-max" and (.got.messages[0].content | length) > 16000000' = \
	    'ok .custom_id == "at-max"' \
	    'ok .custom_id == "at-max" and (.got.content | length) > 16000000' \
	    -- eval 'rec at-max @PAD@ | pad_to 16777216'
	row nested-100000 mid \
	    'err ^not JSON: Exceeds depth limit for parsing' = \
	    'err ^not JSON, nor a generation id$' 'err ^not JSON$' \
	    -- cat "$BIG/nested"
	# jq reads 1e400 as infinity and writes it as the largest double: the
	# request goes with that, and the API judges it, as it judges any
	# parameter.
	row max_tokens-1e400 mid \
	    'ok .custom_id == "big" and .got.max_tokens == 1.7976931348623157e+308' = \
	    'ok .custom_id == "big"' \
	    'ok .custom_id == "big" and .got.usage.total_tokens == 1.7976931348623157e+308' \
	    -- eval "rec big question '{\"max_tokens\": 7777, \"usage\": {\"total_tokens\": 7777}}' | swap 7777 1e400"
	# A custom_id that overflows (jq reads infinity, and would write the
	# largest double) is one nobody wrote: ia-submit and ia-group refuse
	# it.  ia-poll takes no custom_id that is not a string from an
	# acknowledgement, and gives the generation's own; ia-collect reads
	# results, not input, and prints the number as jq does.
	row custom_id-1e400 mid \
	    'err ^custom_id is a number out of range \(give it as a string\)$' = \
	    'ok .custom_id == "gen-cid"' \
	    'ok .custom_id == "1.7976931348623157e+308" and .got.content == "question big"' \
	    -- eval "rec 7777 'question big' | sed 's/\"7777\"/1e400/'"
	# jq keeps the last of each key, and so does every tool.
	row duplicate-keys mid \
	    'ok .custom_id == "dup-2" and .got.messages == [{"role": "user", "content": "second"}]' = \
	    'ok .custom_id == "dup-2" and .got.id == env.GOOD_ID' \
	    'ok .custom_id == "dup-2" and .got.content == "second"' \
	    -- dup_keys
	# A CRLF record, then a line of a lone CR, which is blank.
	row crlf mid \
	    'ok .custom_id == "crlf" and .got.messages[0].content == "question crlf"' = \
	    'ok .custom_id == "crlf"' \
	    'ok .custom_id == "crlf" and .got.content == "question crlf"' \
	    -- eval "rec crlf; printf '\\r\\n\\r'"
	row no-final-newline last \
	    'ok .custom_id == "last" and .got.messages[0].content == "question last"' = \
	    'ok .custom_id == "last"' 'ok .custom_id == "last" and .got.content == "question last"' \
	    -- rec last
	row empty-file alone none = = = -- true
	row only-newlines alone none = = = -- printf '\n\n\r\n \t\n\n'
	row random-1MiB mid errs = = = -- cat "$BIG/random"
	row custom_id-1MiB mid \
	    'ok (.custom_id | length) == 1048576 and .got.metadata.custom_id == .custom_id' = \
	    'ok (.custom_id | length) == 1048576' 'ok (.custom_id | length) == 1048576' \
	    -- eval 'rec @ID@ hello | repeat @ID@ h 1048576'
	# custom_ids travel in JSON, escaped there, and are kept as they are.
	row custom_id-slash mid 'ok .custom_id == "a/b"' = = = -- rec a/b
	row custom_id-dotdot mid 'ok .custom_id == ".."' = = = -- rec ..
	row custom_id-query-fragment mid 'ok .custom_id == "?q=1#frag"' = = = -- rec '?q=1#frag'
	row custom_id-percent mid 'ok .custom_id == "100%25%"' = = = -- rec '100%25%'
	row custom_id-space mid 'ok .custom_id == "two words"' = = = -- rec 'two words'
	row custom_id-cr mid 'ok .custom_id == "cr\rhere"' = = = -- rec $'cr\rhere'
	row custom_id-lf mid 'ok .custom_id == "lf\nhere"' = = = -- rec $'lf\nhere'
}

# row, called by table: sets LAYOUT, EXPECT and BYTES for the row $CASE,
# and adds each name to ROWS.
row() {
	local name=$1 t left=
	ROWS+=("$name")
	[ "$name" = "${CASE:-}" ] || return 0
	LAYOUT=$2
	shift 2
	for t in $TOOLS; do
		[ "$1" = = ] || left=$1
		EXPECT[$t]=$left
		shift
	done
	[ "$1" = -- ] && shift
	BYTES=("$@")
}

# --- running and checking --------------------------------------------------------

# tool_run FILE...: the tool under test on FILEs, output in $OUT, exit status
# in $status, stderr in $stderr.
tool_run() {
	local cmd
	case $TOOL in
	submit) cmd=(ia-submit -q) ;;
	group) cmd=(ia-group -q) ;;
	poll) cmd=(ia-poll -q "${POLL_OPTS[@]}" --grace 0.5) ;;
	collect) cmd=(ia-collect -q --summary-json "$T/summary") ;;
	esac
	# shellcheck disable=SC2016 # expanded by that bash
	run --separate-stderr bash -c 'out=$1; shift; exec timeout 60 "$@" > "$out"' _ \
	    "$OUT" "${cmd[@]}" "$@"
}

# digest: after a run, the records of $OUT that are JSON into $T/recs,
# the error records among them into $T/errs, and the custom_ids the tool
# under test took into $T/taken, one a line, as JSON.
digest() {
	local f
	case $TOOL in
	submit) f='select(keys == ["custom_id", "id"]) | .custom_id' ;;
	group) f='select(has("group_id") and has("custom_ids")) | .custom_ids[]' ;;
	poll) f='select(has("state") and has("id") and (has("error") | not)) | .custom_id' ;;
	collect) f='select(has("content") and has("finish_reason")) | .custom_id' ;;
	esac
	jq -R -c 'fromjson? // empty' "$OUT" > "$T/recs"
	jq -c 'objects | select(.error | type == "object" and has("stage"))' "$T/recs" > "$T/errs"
	jq -c "objects | $f" "$T/recs" > "$T/taken"
}

# got FILTER: what the tool made of the record whose custom_id FILTER
# selects: the request the mock received, or the record printed.
got() {
	local id
	case $TOOL in
	submit)
		id=$(jq -r "objects | select(keys == [\"custom_id\", \"id\"]) |
		    select(.custom_id | $1) | .id" "$T/recs")
		[ "$(http GET "/v1/generation/$id")" = 200 ]
		body | jq -c .request ;;
	group)
		id=$(jq -r "objects | select(has(\"group_id\")) |
		    select(any(.custom_ids[]; $1)) | .group_id" "$T/recs")
		[ "$(http GET "/v1/async/group/$id/generations")" = 200 ]
		body | jq -c ".generations[] | .request | select(.metadata.custom_id | $1)" ;;
	poll)
		jq -c "objects | select(has(\"state\")) | select(.custom_id | $1)" "$T/recs" ;;
	collect)
		jq -c "objects | select(has(\"content\")) | select(.custom_id | $1)" "$T/recs" ;;
	esac
}

# posts: what the mock was sent: POSTs of requests and of groups.
posts() {
	stats '[.requests | to_entries[] | select(.key | startswith("POST")) | .value] | add'
}

# check_goods: the good records before and after came out, once each, and
# right.
check_goods() {
	local c g
	[ "$(jq -s -c 'map(select(. == "before" or . == "after")) | sort' "$T/taken")" = '["after","before"]' ]
	case $TOOL in
	submit|group)
		for c in before after; do
			g=$(got ". == \"$c\"")
			[ "$(jq -r '.messages[0].content' <<<"$g")" = "question $c" ]
		done ;;
	poll)
		[ "$(jq -c --arg g "$GOOD_ID" 'objects | select(.custom_id == "before" or .custom_id == "after")
		    | [.id == $g, .state]' "$T/recs" | sort -u)" = '[true,"Success"]' ] ;;
	collect)
		[ "$(jq -r 'objects | select(.custom_id == "before" or .custom_id == "after")
		    | .content' "$T/recs" | sort | tr '\n' ,)" = 'question after,question before,' ] ;;
	esac
}

# others: the custom_ids taken other than those of the good records.
others() {
	jq -c 'select(. != "before" and . != "after")' "$T/taken"
}

# nonblank_lines FILE: the numbers of the lines of FILE that are not blank
# (only spaces, tabs and CRs), as the readers count them, one a line.
nonblank_lines() {
	python3 -c 'import sys
for i, l in enumerate(open(sys.argv[1], "rb").read().split(b"\n"), 1):
    if l.strip(b" \t\r"):
        print(i)' "$1"
}

# check_case FILE LINE: check what the tool did with FILE, whose bad bytes
# start on line LINE, against EXPECT for the tool.
check_case() {
	local file=$1 line=$2 kind want rec msg msg2 n
	kind=${EXPECT[$TOOL]%% *}
	want=${EXPECT[$TOOL]#"$kind"}
	want=${want# }
	echo "ia-$TOOL, $CASE: $kind $want: exit $status"
	[ -z "$stderr" ] || { echo "stderr: ${stderr:0:2000}"; return 1; }
	[ "$status" -lt 128 ]
	head -c 2000 "$OUT"
	digest
	case $kind in
	err|errs) [ "$status" -eq 1 ] ;;
	*) [ "$status" -eq 0 ] ;;
	esac
	check_goods
	case $kind in
	err)
		[ -z "$(others)" ]
		rec=$(cat "$T/errs")
		[ "$(grep -c . <<<"$rec")" -eq 1 ]
		[ "$(jq -c '[.error.stage, .error.status, .error.attempts, .line]' <<<"$rec")" = \
		    "[\"input\",null,0,$line]" ]
		msg=$(jq -r .error.message <<<"$rec")
		[[ "$msg" == "$file:$line: "* ]]
		msg=${msg#"$file:$line: "}
		[[ "$msg" =~ $want ]]
		;;
	ok)
		[ -z "$(cat "$T/errs")" ]
		[ "$(others | grep -c .)" -eq 1 ]
		others > "$T/cid"
		got '. != "before" and . != "after"' > "$T/got"
		[ "$(grep -c . "$T/got")" -eq 1 ]
		jq -e -n --slurpfile c "$T/cid" --slurpfile g "$T/got" \
		    "{custom_id: \$c[0], got: \$g[0]} | $want" >/dev/null
		if [ "$TOOL" = submit ]; then
			jq -e -n --slurpfile c "$T/cid" --slurpfile g "$T/got" \
			    '$g[0].metadata.custom_id == $c[0]' >/dev/null
		fi
		;;
	pass)
		[ -z "$(others)" ]
		[ -z "$(cat "$T/errs")" ]
		python3 -c 'import sys
line = open(sys.argv[1], "rb").read().split(b"\n")[int(sys.argv[3]) - 1]
sys.exit(open(sys.argv[2], "rb").read().split(b"\n").count(line) != 1)' "$file" "$OUT" "$line"
		;;
	other)
		[ -z "$(others)" ]
		[ -z "$(cat "$T/errs")" ]
		[ "$(jq -c '[.records, .success, .failed, .other_records]' "$T/summary")" = '[3,2,0,1]' ]
		;;
	none)
		[ -z "$(others)" ]
		[ -z "$(cat "$T/errs")" ]
		# The good records alone: one group holds both.
		[ "$(grep -c . "$OUT")" -eq "$([ "$TOOL" = group ] && echo 1 || echo 2)" ]
		;;
	errs)
		[ -z "$(others)" ]
		# The bad lines: those not blank, but the first and the last.
		nonblank_lines "$file" | sed '1d;$d' | sort > "$T/bad"
		jq -r .line "$T/errs" | sort > "$T/errlines"
		jq -r .error.stage "$T/errs" | sort -u | tr '\n' ' ' > "$T/stages"
		# No line has two records, and each is of a bad line.
		[ -z "$(uniq -d "$T/errlines")" ]
		[ -z "$(comm -13 "$T/bad" "$T/errlines")" ]
		n=$(grep -c . "$T/bad")
		case $TOOL in
		submit|group)
			[ "$(cat "$T/stages")" = "input " ]
			[ "$(grep -c . "$T/errlines")" -eq "$n" ] ;;
		poll)
			[[ "$(cat "$T/stages")" == "input "?(poll ) ]]
			# Every line is one line out: an error, passed, or a generation.
			[ "$(wc -l < "$OUT")" -eq $((n + 2)) ] ;;
		collect)
			[ "$(cat "$T/stages")" = "input " ]
			[ "$(jq -c '[.records, .success]' "$T/summary")" = "[$((n + 2)),2]" ]
			[ "$(jq '.failed + .other_records' "$T/summary")" -eq "$n" ]
			[ "$(grep -c . "$T/errlines")" -eq "$(jq .failed "$T/summary")" ] ;;
		esac
		;;
	*)
		echo "no such expectation: $kind"
		return 1
		;;
	esac
	case $TOOL in
	submit) [ "$(posts)" -eq $(($(grep -c . "$T/taken") + POSTS)) ] ;;
	group) [ "$(posts)" -eq $((1 + POSTS)) ] ;;
	esac
	if [ "$kind" = err ]; then
		# From stdin, the same message names the line alone.
		tool_run < "$file"
		[ "$status" -eq 1 ]
		# (The message of the file, cut short at 1 KiB, is the shorter.)
		msg2=$(jq -R -r 'fromjson? | objects | select(.error.stage == "input") | .error.message' "$OUT")
		[[ "$msg2" == "line $line: $msg"* ]]
	fi
}

# every_tool NAME: the row NAME of the table through each tool, against one
# mock.
every_tool() {
	local file line
	declare -gA EXPECT
	CASE=$1
	ROWS=()
	table
	[ -n "${LAYOUT:-}" ] || { echo "no row $CASE in the table"; return 1; }
	mock_start --complete-after 0.05 --group-delay 0
	[ "$(http POST /v1/async/chat/completions "$(chat good '{"metadata": {"custom_id": "gen-cid"}}')")" = 200 ]
	GOOD_ID=$(body | jq -r .id)
	export GOOD_ID
	for TOOL in $TOOLS; do
		file=$T/in-$TOOL.jsonl
		POSTS=$(posts)
		case $LAYOUT in
		mid)
			{ rec before; echo; "${BYTES[@]}"; echo; rec after; echo; } > "$file"
			line=2 ;;
		last)
			{ rec before; echo; rec after; echo; "${BYTES[@]}"; } > "$file"
			line=3 ;;
		alone)
			"${BYTES[@]}" > "$file"
			tool_run "$file"
			echo "ia-$TOOL, $CASE alone: exit $status"
			[ "$status" -eq 0 ]
			[ -z "$stderr" ]
			[ ! -s "$OUT" ]
			[ "$(posts)" -eq "$POSTS" ]
			rec before > "$T/before.jsonl"
			rec after > "$T/after.jsonl"
			tool_run "$T/before.jsonl" "$file" "$T/after.jsonl"
			check_case "$file" 1
			continue ;;
		esac
		tool_run "$file"
		check_case "$file" "$line"
	done
}

# --- one test per row -------------------------------------------------------------

@test "the table: every row has a test" {
	local rows tests
	ROWS=()
	declare -gA EXPECT
	CASE=
	table
	rows=$(printf '%s\n' "${ROWS[@]}" | sort)
	tests=$(sed -n 's/^@test .*{ every_tool \([^ ;]*\); }$/\1/p' "$BATS_TEST_FILENAME" | sort)
	diff <(echo "$rows") <(echo "$tests")
}

@test "invalid JSON" { every_tool invalid-json; }
@test "a JSON array" { every_tool json-array; }
@test "a number" { every_tool json-number; }
@test "a string" { every_tool json-string; }
@test "a string where an object belongs" { every_tool string-for-object; }
@test "invalid UTF-8" { every_tool invalid-utf8; }
@test "a NUL byte inside a string" { every_tool nul-in-string; }
@test "a NUL byte in a custom_id" { every_tool nul-in-custom_id; }
@test "a NUL byte between tokens" { every_tool nul-between-tokens; }
@test "two values with no separator" { every_tool no-separator; }
@test "a byte 0x1e (RS) after a record" { every_tool rs-byte; }
@test "a 20 MiB line, over the default --max-line" { every_tool line-over-max-line; }
@test "a line of exactly the default --max-line, 16 MiB" { every_tool line-at-max-line; }
@test "100000 nested brackets" { every_tool nested-100000; }
@test "max_tokens 1e400" { every_tool max_tokens-1e400; }
@test "a custom_id 1e400" { every_tool custom_id-1e400; }
@test "duplicate keys" { every_tool duplicate-keys; }
@test "CRLF line ends" { every_tool crlf; }
@test "no final newline" { every_tool no-final-newline; }
@test "an empty file" { every_tool empty-file; }
@test "only newlines" { every_tool only-newlines; }
@test "1 MiB of random bytes" { every_tool random-1MiB; }
@test "a 1 MiB custom_id" { every_tool custom_id-1MiB; }
@test "a custom_id with a slash" { every_tool custom_id-slash; }
@test "a custom_id .." { every_tool custom_id-dotdot; }
@test "a custom_id with ? and #" { every_tool custom_id-query-fragment; }
@test "a custom_id with %" { every_tool custom_id-percent; }
@test "a custom_id with a space" { every_tool custom_id-space; }
@test "a custom_id with a CR" { every_tool custom_id-cr; }
@test "a custom_id with a LF" { every_tool custom_id-lf; }

# --- ids with special characters through ia-poll ------------------------------

# IDS: ids that must each reach the server as one path segment,
# percent-encoded, and come back as they were.
IDS=('a/b' '..' '.' '?q=1#frag' '100%25%' 'two words' $'cr\rhere' $'lf\nhere' $'tab\there'
    '../../mock/stats' 'x/../../v1/async/chat/completions' 'é')

# bare ID: whether ID can be a bare id line: printable ASCII, no space.
bare() {
	[ "$(printf '%s' "$1" | LC_ALL=C tr -d '!-~'; echo .)" = . ]
}

# special_input: an acknowledgement and a group record for each of IDS, and
# each one that can be also as a bare id; the acknowledgement of the id
# number i has custom_id "ack i", the group lists the group id itself.
special_input() {
	local i
	for i in "${!IDS[@]}"; do
		jq -nc --arg id "${IDS[$i]}" --arg c "ack $i" '{custom_id: $c, id: $id}'
		jq -nc --arg id "${IDS[$i]}" '{group_id: $id, custom_ids: [$id]}'
		if bare "${IDS[$i]}"; then
			printf '%s\n' "${IDS[$i]}"
		fi
	done
}

# encoded ID: ID as one path segment, percent-encoded as curl does.
encoded() {
	python3 -c 'import sys, urllib.parse
s = urllib.parse.quote(sys.argv[1], safe="")
print({".": "%2E", "..": "%2E%2E"}.get(s, s))' "$1"
}

@test "ia-poll: an id with / .. ? # %, spaces, CR or LF is one path segment, and comes back as it was" {
	local paths=$T/paths i want
	py_server "$paths" <<-'PY'
	import json, urllib.parse
	log = open(sys.argv[2], "a")
	gen, grp, gens = "/v1/generation/", "/v1/async/group/", "/generations"
	def generation(i, cid):
	    return {"id": i, "state": "Success", "request": {"model": "m",
	        "messages": [{"role": "user", "content": i}], "metadata": {"custom_id": cid}},
	        "response": {"choices": [{"message": {"role": "assistant", "content": "a"}}]}}
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        log.write(json.dumps(self.path) + "\n")
	        log.flush()
	        p, body = self.path, None
	        if p.startswith(gen) and "/" not in p[len(gen):]:
	            i = urllib.parse.unquote(p[len(gen):])
	            body = generation(i, "gen " + i)
	        elif p.startswith(grp) and p.endswith(gens) and "/" not in p[len(grp):-len(gens)]:
	            g = urllib.parse.unquote(p[len(grp):-len(gens)])
	            body = {"generations": [generation("in " + g, g)]}
	        b = json.dumps(body if body else {"error": {"message": "no"}}).encode()
	        self.send_response(200 if body else 404)
	        self.send_header("Content-Length", str(len(b)))
	        self.end_headers()
	        self.wfile.write(b)
	PY
	special_input > "$IN"
	run --separate-stderr timeout 60 ia-poll -q "${POLL_OPTS[@]}" --grace 1 --deadline 10 \
	    --base-url "$SERVER_URL" "$IN"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	# Each GET was for one of the ids, whole, percent-encoded.
	for i in "${IDS[@]}"; do
		jq -nc --arg p "/v1/generation/$(encoded "$i")" '$p'
		jq -nc --arg p "/v1/async/group/$(encoded "$i")/generations" '$p'
	done | sort -u > "$T/want"
	sort -u "$paths" > "$T/got"
	diff "$T/want" "$T/got"
	# And came back as it was: the acknowledgement's custom_id, the bare
	# id's from the generation, the group's as listed.
	for i in "${!IDS[@]}"; do
		want=$(jq -nc --arg id "${IDS[$i]}" --arg c "ack $i" '[$c, $id]')
		[ "$(jq -c --arg c "ack $i" 'select(.custom_id == $c) | [.custom_id, .id]' <<<"$output")" = "$want" ]
		want=$(jq -nc --arg id "${IDS[$i]}" '[$id, "in " + $id]')
		[ "$(jq -c --arg g "${IDS[$i]}" 'select(.custom_id == $g) | [.custom_id, .id]' <<<"$output")" = "$want" ]
		bare "${IDS[$i]}" || continue
		want=$(jq -nc --arg id "${IDS[$i]}" '["gen " + $id, $id]')
		[ "$(jq -c --arg c "gen ${IDS[$i]}" 'select(.custom_id == $c) | [.custom_id, .id]' <<<"$output")" = "$want" ]
	done
	[ "$(nlines)" -eq "$(grep -c . "$IN")" ]
}

@test "ia-poll -v against the mock: each id percent-encoded in the path, no request to another route" {
	local i enc
	mock_start
	special_input > "$IN"
	run --separate-stderr timeout 60 ia-poll -v "${POLL_OPTS[@]}" --grace 0.3 --deadline 1 "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	# Each line ends as a poll error that names its id: none is found.
	[ "$(nlines)" -eq "$(grep -c . "$IN")" ]
	[ "$(jq -r '.error.stage' <<<"$output" | sort -u)" = poll ]
	[ "$(jq -r '.error.status' <<<"$output" | sort -u)" = 404 ]
	diff <(jq -R -c 'fromjson? // . | if type == "object" then .id // .group_id else . end' "$IN" | sort) \
	    <(jq -c '.request.id // .request.group_id' <<<"$output" | sort)
	for i in "${IDS[@]}"; do
		enc=$(encoded "$i")
		[[ "$stderr" == *"> GET $MOCK_URL/v1/generation/$enc (attempt 1)"* ]]
		[[ "$stderr" == *"> GET $MOCK_URL/v1/async/group/$enc/generations (attempt 1)"* ]]
	done
	[ "$(stats '.requests.other')" -eq 0 ]
	[ "$(stats '.requests.total - .requests["GET /v1/generation/{id}"] - .requests["GET /v1/async/group/{id}/generations"]')" -eq 0 ]
}

# The id, the group_id or a custom_id listed cut at the NUL would be another:
# each such record is an input error, and the record after it is followed.
@test "a NUL in an id, a group_id or a custom_ids listed is an input error in ia-poll and ia-collect" {
	local msgs
	mock_start --complete-after 0.05
	[ "$(http POST /v1/async/chat/completions "$(chat good '{"metadata": {"custom_id": "good"}}')")" = 200 ]
	GOOD_ID=$(body | jq -r .id)
	export GOOD_ID
	{
		printf '{"custom_id": "a", "id": "%s\\u0000x"}\n' "$GOOD_ID"
		printf '{"group_id": "g\\u0000x", "custom_ids": ["b"]}\n'
		printf '{"group_id": "g", "custom_ids": ["b\\u0000x"]}\n'
		printf '{"custom_id": "after", "id": "%s"}\n' "$GOOD_ID"
	} > "$IN"
	run --separate-stderr timeout 60 ia-poll -q "${POLL_OPTS[@]}" "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	msgs=$(jq -r 'select(.error) | [.error.stage, .line, .error.message] | @tsv' <<<"$output")
	[ "$msgs" = "$(printf 'input\t%s\t%s\n' \
	    1 "$IN:1: id must not hold a NUL byte" \
	    2 "$IN:2: group_id must not hold a NUL byte" \
	    3 "$IN:3: custom_ids must not hold a NUL byte")" ]
	[ "$(jq -c 'select(.state) | [.custom_id, .id == env.GOOD_ID]' <<<"$output")" = '["after",true]' ]
	[ "$(gets)" -ge 1 ]
	[ "$(stats '.requests.total - .requests["GET /v1/generation/{id}"]')" -eq 1 ]
	# ia-collect: the group record, and a Batch line whose custom_id has one.
	{
		printf '{"group_id": "g", "custom_ids": ["b\\u0000x"]}\n'
		printf '{"id": "x", "custom_id": "c\\u0000x", "response": {"status_code": 200, "body": {}}, "error": null}\n'
		printf '{"custom_id": "after", "content": "yes"}\n'
	} > "$IN"
	run --separate-stderr ia-collect -q "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(jq -r 'select(.error) | [.error.stage, .line, .error.message] | @tsv' <<<"$output")" = \
	    "$(printf 'input\t%s\t%s\n' 1 "$IN:1: custom_id must not hold a NUL byte" \
	        2 "$IN:2: custom_id must not hold a NUL byte")" ]
	[ "$(jq -c 'select(.content) | [.custom_id, .content]' <<<"$output")" = '["after","yes"]' ]
}
