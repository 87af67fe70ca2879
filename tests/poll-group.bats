#!/usr/bin/env bats
# ia-poll(1) following groups, the {"group_id", "custom_ids"} records of
# ia-group(1), against ia-mock: ia-group | ia-poll, each generation printed
# the moment it is final, the listing's 404 until the group is available,
# custom_ids listed that the group does not have, a listed subset, groups
# without custom_ids, Failed generations, the deadline, bad group records,
# --once --pending, one request per group per poll, faults, and groups mixed
# with ids and error records.

load helper
bats_require_minimum_version 1.5.0

# mkgroup REQUEST...: create one group straight on the mock (not through
# ia-group) from the request bodies given, and print its groupId.
mkgroup() {
	local code
	code=$(http POST /v1/async/group/chat/completions \
	    "$(printf '%s\n' "$@" | jq -sc '{requests: .}')")
	if [ "$code" != 200 ]; then
		echo "POST group: HTTP $code: $(body)" >&2
		return 1
	fi
	body | jq -r .groupId
}

# ggets: the group listings (GET /v1/async/group/{id}/generations) the mock
# has answered.
ggets() {
	stats '.requests["GET /v1/async/group/{id}/generations"] // 0'
}

# --- the pipeline ------------------------------------------------------------------

@test "ia-group | ia-poll: 120 requests, each custom_id once with its answer, by group listings only" {
	mock_start --complete-after 0.2,1 --group-delay 0.2
	reqs 120 > "$IN"
	run bash -c 'set -o pipefail; ia-group < "$1" | ia-poll "${@:3}" > "$2"' _ \
	    "$IN" "$OUT" "${POLL_OPTS[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(file_lines "$OUT")" -eq 120 ]
	check_answers "$IN" "$OUT"
	# Three groups (50, 50, 20), followed by their listings, never id by id.
	[ "$(stats .groups)" -eq 3 ]
	[ "$(ggets)" -ge 3 ]
	[ "$(gets)" -eq 0 ]
}

@test "each generation of a group is printed the moment it is final, not when the group is" {
	mock_start --seed 4 --complete-after 0.2,4 --group-delay 0.1
	reqs 10 > "$IN"
	ia-group -n 10 < "$IN" > "$BATS_TEST_TMPDIR/group"
	[ "$(file_lines "$BATS_TEST_TMPDIR/group")" -eq 1 ]
	# Each line out with the time it came.
	run bash -c 'set -o pipefail; ia-poll "${@:3}" < "$1" |
	    while IFS= read -r l; do printf "%s\t%s\n" "$(date +%s.%N)" "$l"; done > "$2"' _ \
	    "$BATS_TEST_TMPDIR/group" "$OUT" "${POLL_OPTS[@]}"
	echo "$output"
	cat "$OUT"
	[ "$status" -eq 0 ]
	cut -f 2- "$OUT" > "$BATS_TEST_TMPDIR/gens"
	check_answers "$IN" "$BATS_TEST_TMPDIR/gens"
	first=$(head -n 1 "$OUT" | cut -f 1)
	last=$(tail -n 1 "$OUT" | cut -f 1)
	# When the last generation of the group became final, by the mock's clock.
	complete=$(jq -s 'map((.finishedAt[0:19] + "Z" | fromdateiso8601)
	    + (.finishedAt[20:23] | tonumber / 1000)) | max' "$BATS_TEST_TMPDIR/gens")
	echo "first $first, last $last, group complete $complete"
	ge "$(awk -v a="$last" -v b="$first" 'BEGIN { print a - b }')" 1.5
	# The first came out long before the group was complete.
	# (printf: awk prints a number as %.6g, which rounds an epoch time.)
	lt "$first" "$(awk -v c="$complete" 'BEGIN { printf "%.3f", c - 1 }')"
	# Each came out within a poll (--max-interval 0.5) of becoming final.
	late=$(jq -R -r 'split("\t") | (.[0] | tonumber) as $t | (.[1] | fromjson) as $g
	    | ($g.finishedAt[0:19] + "Z" | fromdateiso8601) + ($g.finishedAt[20:23] | tonumber / 1000)
	    | select($t - . > 1 or $t - . < -0.1) | "\($g.custom_id): \($t - .) s"' "$OUT")
	echo "late: $late"
	[ -z "$late" ]
}

# --- a group not available yet -------------------------------------------------------

@test "a group listing that answers 404 at first is asked again, and all come out once" {
	mock_start --complete-after 0.2,0.5 --group-delay 2
	reqs 5 > "$IN"
	g=$(mapfile -t r < "$IN"; mkgroup "${r[@]}")
	jq -nc --arg g "$g" '{group_id: $g, custom_ids: ["c1", "c2", "c3", "c4", "c5"]}' |
	    poll -q > "$OUT"
	cat "$OUT"
	check_answers "$IN" "$OUT"
	[ "$(stats '.responses["404"]')" -ge 2 ]
	[ "$(ggets)" -ge 3 ]
}

@test "a group still 404 at --deadline: a poll error record for each custom_id listed" {
	mock_start --group-delay 30
	reqs 3 > "$IN"
	g=$(mapfile -t r < "$IN"; mkgroup "${r[@]}")
	jq -nc --arg g "$g" '{group_id: $g, custom_ids: ["c1", "c2", "c3"]}' > "$IN"
	t=$(now)
	run --separate-stderr poll --deadline 1 < "$IN"
	took=$(since "$t")
	echo "$output"
	echo "took $took s"
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" > "$OUT"
	[ "$(file_lines "$OUT")" -eq 3 ]
	[ "$(jq -s -c 'map(.custom_id) | sort' "$OUT")" = '["c1","c2","c3"]' ]
	[ "$(jq -s --arg g "$g" 'all(keys_unsorted == ["custom_id", "error", "request", "line"]
	    and .error.stage == "poll" and .error.status == 404 and .line == 1
	    and .request == {group_id: $g, custom_ids: [.custom_id]})' "$OUT")" = true ]
	[ "$(jq -s --arg g "$g" 'all(.error.message | startswith("group " + $g + " not available")
	    and contains("--deadline"))' "$OUT")" = true ]
	ge "$took" 1
	lt "$took" 4

	# Without custom_ids nothing is known of it but its id: one record.
	jq -nc --arg g "$g" '{group_id: $g}' > "$IN"
	run --separate-stderr poll --deadline 1 < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(jq -c '[.custom_id, .error.stage, .error.status, .line, .request]' <<<"$output")" = \
	    "$(jq -nc --arg g "$g" '[null, "poll", 404, 1, {group_id: $g}]')" ]
	[[ "$(jq -r .error.message <<<"$output")" == "group $g not available "*--deadline* ]]
}

# --- custom_ids listed -------------------------------------------------------------------

@test "a custom_id the group does not have: one more look, then a poll error record; the rest come out" {
	mock_start --complete-after 0.1 --group-delay 0.1
	reqs 2 r > "$IN"
	g=$(mapfile -t r < "$IN"; mkgroup "${r[@]}")
	# All final before ia-poll asks.
	sleep 0.5
	jq -nc --arg g "$g" '{group_id: $g, custom_ids: ["r1", "ghost", "r2"]}' > "$BATS_TEST_TMPDIR/rec"
	run --separate-stderr poll < "$BATS_TEST_TMPDIR/rec"
	echo "$output"
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" > "$OUT"
	[ "$(file_lines "$OUT")" -eq 3 ]
	jq -c 'select(has("state"))' "$OUT" > "$BATS_TEST_TMPDIR/gens"
	check_answers "$IN" "$BATS_TEST_TMPDIR/gens"
	[ "$(jq -c 'select(has("error")) | [keys_unsorted[0], .custom_id, .error.stage, .error.status, .line, .request]' "$OUT")" = \
	    "$(jq -nc --arg g "$g" '["custom_id", "ghost", "poll", 200, 1, {group_id: $g, custom_ids: ["ghost"]}]')" ]
	[ "$(jq -r 'select(has("error")) | .error.message' "$OUT")" = \
	    "group $g is complete but has no generation for this custom_id" ]
	# The listing that found the group complete, and one more look.
	[ "$(ggets)" -eq 2 ]

	# --once gives no second look: the error comes on the one poll.
	run --separate-stderr ia-poll --once --pending "$BATS_TEST_TMPDIR/p" < "$BATS_TEST_TMPDIR/rec"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$output" | jq -s -c 'map(.custom_id) | sort')" = '["ghost","r1","r2"]' ]
	[ "$(printf '%s\n' "$output" | jq -r 'select(has("error")) | .error.message')" = \
	    "group $g is complete but has no generation for this custom_id" ]
	[ ! -s "$BATS_TEST_TMPDIR/p" ]
	[ "$(ggets)" -eq 3 ]
}

@test "only the custom_ids listed are followed, each printed once even when the group has it twice" {
	mock_start --complete-after 0.2,1 --group-delay 0.1
	reqs 5 > "$BATS_TEST_TMPDIR/all"
	# A sixth request that carries c4 again.
	g=$(mapfile -t r < "$BATS_TEST_TMPDIR/all"; mkgroup "${r[@]}" "${r[3]}")
	jq -c 'select(.metadata.custom_id == "c2" or .metadata.custom_id == "c4")' \
	    "$BATS_TEST_TMPDIR/all" > "$IN"
	jq -nc --arg g "$g" '{group_id: $g, custom_ids: ["c4", "c2"]}' |
	    poll -q > "$OUT"
	cat "$OUT"
	[ "$(file_lines "$OUT")" -eq 2 ]
	check_answers "$IN" "$OUT"
}

# --- groups without custom_ids ---------------------------------------------------------

@test "a group record without custom_ids: every generation once, custom_id from its request or null" {
	mock_start --complete-after 0.2,1 --group-delay 0.1
	g=$(mkgroup "$(chat "first" '{"metadata": {"custom_id": "m1"}}')" \
	    "$(chat "second")" "$(chat "third" '{"metadata": {"custom_id": "m3"}}')" \
	    "$(chat "fourth" '{"metadata": {"custom_id": "m3"}}')")
	# shellcheck disable=SC2016 # jq programs, $g is jq's
	for rec in '{"group_id": $g}' '{"group_id": $g, "custom_ids": null}'; do
		jq -nc --arg g "$g" "$rec" | poll -q > "$OUT"
		cat "$OUT"
		[ "$(file_lines "$OUT")" -eq 4 ]
		# Four generations, none twice.
		[ "$(jq -s 'map(.id) | unique | length' "$OUT")" -eq 4 ]
		[ "$(jq -s 'all(keys_unsorted[0] == "custom_id" and .state == "Success")' "$OUT")" = true ]
		[ "$(jq -s -c 'map([.custom_id, .response.choices[0].message.content]) | sort' "$OUT")" = \
		    '[[null,"Answer to: second"],["m1","Answer to: first"],["m3","Answer to: fourth"],["m3","Answer to: third"]]' ]
	done
}

# --- failures -------------------------------------------------------------------------------

@test "Failed generations of a group are printed with state Failed and a stateMessage, exit 1" {
	mock_start --seed 5 --fail-rate 0.5 --complete-after 0.2,0.5 --group-delay 0.1
	reqs 12 > "$IN"
	run bash -c 'ia-group < "$1" | ia-poll "${@:3}" > "$2"' _ "$IN" "$OUT" "${POLL_OPTS[@]}"
	echo "$output"
	cat "$OUT"
	[ "$status" -eq 1 ]
	[ "$(file_lines "$OUT")" -eq 12 ]
	[ "$(jq -s -c 'map(.custom_id) | sort' "$OUT")" = "$(jq -s -c 'map(.metadata.custom_id) | sort' "$IN")" ]
	[ "$(jq -s 'all(keys_unsorted[0] == "custom_id")' "$OUT")" = true ]
	failed=$(jq -s 'map(select(.state == "Failed")) | length' "$OUT")
	[ "$failed" -ge 1 ]
	[ "$failed" -lt 12 ]
	[ "$failed" -eq "$(stats .generations.Failed)" ]
	[ "$(jq -s 'map(select(.state == "Failed")) | all((.stateMessage | type == "string" and length > 0)
	    and (has("response") | not))' "$OUT")" = true ]
	jq -c 'select(.state == "Success")' "$OUT" > "$BATS_TEST_TMPDIR/ok"
	jq -c --slurpfile ok "$BATS_TEST_TMPDIR/ok" 'select(.metadata.custom_id as $c | $ok | map(.custom_id) | index($c))' \
	    "$IN" > "$BATS_TEST_TMPDIR/okin"
	check_answers "$BATS_TEST_TMPDIR/okin" "$BATS_TEST_TMPDIR/ok"
}

@test "--deadline with generations still running: an error record for each, and the run ends" {
	mock_start --complete-after 30 --group-delay 0.1
	reqs 3 > "$IN"
	ia-group < "$IN" > "$BATS_TEST_TMPDIR/group"
	g=$(jq -r .group_id "$BATS_TEST_TMPDIR/group")
	t=$(now)
	run --separate-stderr poll --deadline 1 < "$BATS_TEST_TMPDIR/group"
	took=$(since "$t")
	echo "$output"
	echo "took $took s"
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" > "$OUT"
	[ "$(jq -s -c 'map(.custom_id) | sort' "$OUT")" = '["c1","c2","c3"]' ]
	[ "$(jq -s --arg g "$g" 'all(.error.stage == "poll" and .error.status == 200 and .line == 1
	    and (.error.message | startswith("deadline passed: group " + $g + " still running"))
	    and .request == {group_id: $g, custom_ids: [.custom_id]})' "$OUT")" = true ]
	ge "$took" 1
	lt "$took" 4

	# Without custom_ids: one for each generation running, as an id record.
	jq -nc --arg g "$g" '{group_id: $g}' > "$IN"
	run --separate-stderr poll --deadline 1 < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" > "$OUT"
	[ "$(jq -s -c 'map(.custom_id) | sort' "$OUT")" = '["c1","c2","c3"]' ]
	[ "$(jq -s 'map(.request.id) | unique | length' "$OUT")" -eq 3 ]
	[ "$(jq -s --arg g "$g" 'all(.error.stage == "poll"
	    and (.error.message | startswith("deadline passed: group " + $g + " still running"))
	    and (.request | keys) == ["custom_id", "id"] and .request.custom_id == .custom_id)' "$OUT")" = true ]
}

# --- bad group records ----------------------------------------------------------------------

@test "bad group records are input error records naming the line; a good group goes on" {
	mock_start --complete-after 0.2,0.5 --group-delay 0.1
	reqs 2 > "$BATS_TEST_TMPDIR/reqs"
	ia-group < "$BATS_TEST_TMPDIR/reqs" > "$BATS_TEST_TMPDIR/good"
	cat > "$IN" <<-'EOF'
	{"group_id": "", "custom_ids": ["a"]}
	{"group_id": 5, "custom_ids": ["a"]}
	{"group_id": null}
	{"group_id": "G1", "custom_ids": "a"}
	{"group_id": "G1", "custom_ids": ["a", ""]}
	{"group_id": "G1", "custom_ids": ["a", 3]}
	{"group_id": "G1", "custom_ids": ["a", "b", "a"]}
	EOF
	cat "$BATS_TEST_TMPDIR/good" >> "$IN"
	run --separate-stderr poll < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" > "$OUT"
	[ "$(file_lines "$OUT")" -eq 9 ]
	jq -c 'select(has("error"))' "$OUT" > "$BATS_TEST_TMPDIR/errs"
	[ "$(file_lines "$BATS_TEST_TMPDIR/errs")" -eq 7 ]
	for n in 1 2 3 4 5 6 7; do
		e=$(jq -c --argjson n "$n" 'select(.line == $n)' "$BATS_TEST_TMPDIR/errs")
		echo "$n: $e"
		[ "$(jq -c '[.custom_id, .error.stage, .error.status]' <<<"$e")" = '[null,"input",null]' ]
		# The record itself is the request, to be mended and fed again.
		[ "$(jq -c .request <<<"$e")" = "$(sed -n "${n}p" "$IN" | jq -c .)" ]
		[[ "$(jq -r .error.message <<<"$e")" == "line $n: "* ]]
	done
	m() { jq -r --argjson n "$1" 'select(.line == $n) | .error.message' "$BATS_TEST_TMPDIR/errs"; }
	[[ "$(m 1)" == *group_id* ]]
	[[ "$(m 2)" == *group_id* ]]
	[[ "$(m 3)" == *group_id* ]]
	[[ "$(m 4)" == *custom_ids* ]]
	[[ "$(m 5)" == *custom_ids*non-empty* ]]
	[[ "$(m 6)" == *custom_ids* ]]
	[[ "$(m 7)" == *'"a"'*twice* ]]
	jq -c 'select(has("state"))' "$OUT" > "$BATS_TEST_TMPDIR/gens"
	check_answers "$BATS_TEST_TMPDIR/reqs" "$BATS_TEST_TMPDIR/gens"
	# Only the good group was asked for.
	[ "$(stats '.responses["404"] // 0')" -eq 0 ]
}

# --- --once --pending -------------------------------------------------------------------------

@test "--once --pending: a group partly done prints what is final and keeps the rest; a later run prints the rest" {
	mock_start --seed 11 --complete-after 0.2,3 --group-delay 0.1
	reqs 10 a > "$BATS_TEST_TMPDIR/a"
	ia-group < "$BATS_TEST_TMPDIR/a" > "$IN"
	# A second group, followed without custom_ids: three with one, three without.
	b=$(mkgroup "$(chat "question b1" '{"metadata": {"custom_id": "b1"}}')" \
	    "$(chat "question b2" '{"metadata": {"custom_id": "b2"}}')" \
	    "$(chat "question b3" '{"metadata": {"custom_id": "b3"}}')" \
	    "$(chat "question nob4")" "$(chat "question nob5")" "$(chat "question nob6")")
	jq -nc --arg g "$b" '{group_id: $g}' >> "$IN"
	a=$(jq -r 'select(.custom_ids[0] == "a1") | .group_id' "$IN")
	sleep 1.3
	p1=$BATS_TEST_TMPDIR/pending1 p2=$BATS_TEST_TMPDIR/pending2
	run --separate-stderr ia-poll --once --pending "$p1" < "$IN"
	echo "$output"
	echo "--- pending:"
	cat "$p1"
	[ "$status" -eq 3 ]	# some still pending
	printf '%s\n' "$output" | sed '/^$/d' > "$BATS_TEST_TMPDIR/out1"
	n1=$(file_lines "$BATS_TEST_TMPDIR/out1")
	# Partly done, or this test proves nothing.
	[ "$n1" -ge 2 ]
	[ "$n1" -le 14 ]
	[ "$(jq -s 'all(.state == "Success")' "$BATS_TEST_TMPDIR/out1")" = true ]
	# One listing per group, no more.
	[ "$(ggets)" -eq 2 ]
	# Group a: kept with exactly the custom_ids not printed.
	[ "$(jq -c --arg g "$a" 'select(.group_id == $g) | .custom_ids | sort' "$p1")" = \
	    "$(jq -s -c --slurpfile out "$BATS_TEST_TMPDIR/out1" '
	        map(.metadata.custom_id) - ($out | map(.custom_id)) | sort' "$BATS_TEST_TMPDIR/a")" ]

	sleep 2
	run --separate-stderr ia-poll --once --pending "$p2" < "$p1"
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | sed '/^$/d' > "$BATS_TEST_TMPDIR/out2"
	[ -f "$p2" ]
	[ ! -s "$p2" ]
	cat "$BATS_TEST_TMPDIR/out1" "$BATS_TEST_TMPDIR/out2" > "$OUT"
	# Both runs together: all 16 generations, each exactly once.
	[ "$(file_lines "$OUT")" -eq 16 ]
	[ "$(jq -s 'map(.id) | unique | length' "$OUT")" -eq 16 ]
	jq -c 'select(.custom_id != null and (.custom_id | startswith("a")))' "$OUT" > "$BATS_TEST_TMPDIR/outa"
	check_answers "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/outa"
	[ "$(jq -s -c 'map(select(.custom_id == null or (.custom_id | startswith("b")))
	    | [.custom_id, .response.choices[0].message.content]) | sort' "$OUT")" = \
	    '[[null,"Answer to: question nob4"],[null,"Answer to: question nob5"],[null,"Answer to: question nob6"],["b1","Answer to: question b1"],["b2","Answer to: question b2"],["b3","Answer to: question b3"]]' ]
	# Group b was kept as what was still running: its custom_ids listed,
	# the generations without one as {"id"} records.
	printed=$(jq -s -c 'map(.id)' "$BATS_TEST_TMPDIR/out1")
	[ "$(http GET "/v1/async/group/$b/generations")" = 200 ]
	body | jq -c --argjson p "$printed" '.generations[] | select(.id as $i | $p | index($i) | not)
	    | {custom_id: .request.metadata.custom_id, id}' > "$BATS_TEST_TMPDIR/b-left"
	cat "$BATS_TEST_TMPDIR/b-left"
	[ "$(jq -s -c 'map(select(.custom_id != null) | .custom_id) | sort' "$BATS_TEST_TMPDIR/b-left")" = \
	    "$(jq -s -c --arg g "$b" 'map(select(.group_id == $g) | .custom_ids) | add // [] | sort' "$p1")" ]
	[ "$(jq -s -c 'map(select(.custom_id == null) | {id}) | sort_by(.id)' "$BATS_TEST_TMPDIR/b-left")" = \
	    "$(jq -s -c 'map(select(has("id"))) | sort_by(.id)' "$p1")" ]
}

@test "--once: generations of a group without custom_ids that share a custom_id are kept so that a later run takes them" {
	mock_start --complete-after 30 --group-delay 0.1
	g=$(mkgroup "$(chat "one" '{"metadata": {"custom_id": "k"}}')" \
	    "$(chat "two" '{"metadata": {"custom_id": "k"}}')")
	sleep 0.2
	jq -nc --arg g "$g" '{group_id: $g}' > "$IN"
	p1=$BATS_TEST_TMPDIR/pending1 p2=$BATS_TEST_TMPDIR/pending2
	run --separate-stderr ia-poll --once --pending "$p1" < "$IN"
	cat "$p1"
	[ "$status" -eq 3 ]	# some still pending
	[ -z "$output" ]
	# Each is kept as a generation of its own, under its shared custom_id.
	[ "$(jq -s -c 'map(.custom_id)' "$p1")" = '["k","k"]' ]
	[ "$(jq -s 'map(.id) | unique | length' "$p1")" -eq 2 ]
	run --separate-stderr ia-poll --once --pending "$p2" < "$p1"
	echo "$output"
	cat "$p2"
	[ "$status" -eq 3 ]	# still pending
	[ -z "$output" ]
	[ -s "$p2" ]
}

@test "--once: a group not available yet (404) goes to --pending as it came" {
	mock_start --group-delay 30
	reqs 2 > "$IN"
	g=$(mapfile -t r < "$IN"; mkgroup "${r[@]}")
	{
		jq -nc --arg g "$g" '{group_id: $g, custom_ids: ["c1", "c2"]}'
		jq -nc --arg g "$g" '{group_id: $g}'
		echo '{"group_id": "noSuchGroup", "custom_ids": ["z"]}'
	} > "$IN"
	p=$BATS_TEST_TMPDIR/pending
	t=$(now)
	run --separate-stderr ia-poll --once --pending "$p" < "$IN"
	took=$(since "$t")
	echo "$output"
	cat "$p"
	[ "$status" -eq 3 ]	# some still pending
	[ -z "$output" ]
	[ "$(jq -S -s -c 'sort_by(.group_id, (.custom_ids | length))' "$p")" = \
	    "$(jq -S -s -c 'sort_by(.group_id, (.custom_ids | length))' "$IN")" ]
	[ "$(ggets)" -eq 3 ]
	lt "$took" 2
}

# --- one request per group per poll -------------------------------------------------------------

@test "one listing per group per poll, not one request per generation" {
	mock_start --complete-after 2 --group-delay 0.1
	reqs 150 > "$IN"
	ia-group < "$IN" > "$BATS_TEST_TMPDIR/groups"
	[ "$(file_lines "$BATS_TEST_TMPDIR/groups")" -eq 3 ]
	run --separate-stderr ia-poll --interval 0.5 --max-interval 0.5 < "$BATS_TEST_TMPDIR/groups"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" > "$OUT"
	check_answers "$IN" "$OUT"
	n=$(ggets)
	echo "$n group listings"
	# About 2 s / 0.5 s + 1 polls for each of 3 groups; per generation it
	# would be 150 for each poll.
	[ "$n" -ge 9 ]
	[ "$n" -le 30 ]
	[ "$(gets)" -eq 0 ]
}

# --- faults ---------------------------------------------------------------------------------------

@test "under faults, 300 requests through ia-group | ia-poll come out exactly once" {
	mock_start --seed 9 --error-rate 0.2 --429-rate 0.1 --reset-rate 0.1 \
	    --complete-after 0.2,1 --group-delay 0.2
	reqs 300 > "$IN"
	run bash -c 'set -o pipefail; ia-group --retries 20 < "$1" |
	    ia-poll --retries 20 "${@:3}" > "$2"' _ "$IN" "$OUT" "${POLL_OPTS[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(file_lines "$OUT")" -eq 300 ]
	[ "$(jq -s 'map(select(has("error"))) | length' "$OUT")" -eq 0 ]
	check_answers "$IN" "$OUT"
	stats .faults
	[ "$(stats '.faults | add')" -gt 0 ]
	[ "$(stats '.faults["429"]')" -gt 0 ]
	[ "$(stats '.faults.reset')" -gt 0 ]
}

# --- mixed input ---------------------------------------------------------------------------------

@test "groups, ids, error records and unknown records in one input: each handled, passed through untouched" {
	mock_start --complete-after 0.2,0.5 --group-delay 0.1
	reqs 3 s > "$BATS_TEST_TMPDIR/s"
	reqs 4 g > "$BATS_TEST_TMPDIR/g"
	ia-submit < "$BATS_TEST_TMPDIR/s" > "$BATS_TEST_TMPDIR/ids"
	ia-group < "$BATS_TEST_TMPDIR/g" > "$BATS_TEST_TMPDIR/group"
	pass=$BATS_TEST_TMPDIR/pass
	# Odd spacing: a re-encoded record would differ.
	{
		echo '{"custom_id":"e1",  "error":{"stage":"group","status":400,"message":"bad","attempts":1},"request":{"group_id":"x"},"line":3}'
		echo '{"foo":  1}'
	} > "$pass"
	{
		sed -n 1p "$BATS_TEST_TMPDIR/ids"
		sed -n 1p "$pass"
		cat "$BATS_TEST_TMPDIR/group"
		sed -n '2,$p' "$BATS_TEST_TMPDIR/ids"
		sed -n 2p "$pass"
	} > "$IN"
	run --separate-stderr poll < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" > "$OUT"
	[ "$(file_lines "$OUT")" -eq 9 ]
	# Untouched, byte for byte, and before any generation.
	[ "$(head -n 2 "$OUT")" = "$(cat "$pass")" ]
	sed -n '3,$p' "$OUT" > "$BATS_TEST_TMPDIR/gens"
	cat "$BATS_TEST_TMPDIR/s" "$BATS_TEST_TMPDIR/g" > "$BATS_TEST_TMPDIR/all"
	check_answers "$BATS_TEST_TMPDIR/all" "$BATS_TEST_TMPDIR/gens"
	[ "$(gets)" -ge 3 ]
	[ "$(ggets)" -ge 1 ]
}

@test "an empty custom_ids list follows the whole group, as no list does" {
	mock_start --complete-after 0.2 --group-delay 0.1
	g=$(mkgroup "$(chat "one" '{"metadata": {"custom_id": "e1"}}')" \
	    "$(chat "two" '{"metadata": {"custom_id": "e2"}}')")
	jq -nc --arg g "$g" '{group_id: $g, custom_ids: []}' > "$IN"
	run --separate-stderr ia-poll "${POLL_OPTS[@]}" < "$IN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -s -c 'map(.custom_id) | sort')" = '["e1","e2"]' ]
}

# stub BODY: a server that answers every GET with 200 and BODY; sets STUB_URL.
stub() {
	py_server "$1" <<-'PY'
	body = sys.argv[2].encode()
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        self.send_response(200)
	        self.send_header("Content-Type", "application/json")
	        self.send_header("Content-Length", str(len(body)))
	        self.end_headers()
	        self.wfile.write(body)
	PY
	STUB_URL=$SERVER_URL
}

@test "a group listed whole that answers no generations is not done: it is waited for until --deadline" {
	stub '{"generations": []}'
	echo '{"group_id": "empty"}' > "$IN"
	run --separate-stderr ia-poll "${POLL_OPTS[@]}" --deadline 1 --base-url "$STUB_URL" < "$IN"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r .error.stage)" = poll ]
	[[ "$(echo "$output" | jq -r .error.message)" == "group empty has no generations "*"--deadline 1 s)" ]]
	run --separate-stderr ia-poll --once --pending "$BATS_TEST_TMPDIR/p" --base-url "$STUB_URL" < "$IN"
	[ "$status" -eq 3 ]	# some still pending
	[ -z "$output" ]
	[ "$(cat "$BATS_TEST_TMPDIR/p")" = '{"group_id":"empty"}' ]
}

@test "a generation in a listing that is not an object is passed over, also under --once" {
	stub '{"generations": [{"id": "g1", "state": "Queued", "request": {"metadata": {"custom_id": "a"}}}, 5, "x"]}'
	echo '{"group_id": "odd"}' > "$IN"
	run --separate-stderr ia-poll --once --pending "$BATS_TEST_TMPDIR/p" --base-url "$STUB_URL" < "$IN"
	echo "$output $stderr"
	[ "$status" -eq 3 ]	# some still pending
	[ "$(cat "$BATS_TEST_TMPDIR/p")" = '{"group_id":"odd","custom_ids":["a"]}' ]
}

@test "--once: a listed custom_id printed while another generation with it runs leaves nothing pending" {
	stub '{"generations": [{"id": "g1", "state": "Queued", "request": {"metadata": {"custom_id": "a"}}}, {"id": "g2", "state": "Success", "request": {"metadata": {"custom_id": "a"}}}, {"id": "g3", "state": "Success", "request": {"metadata": {"custom_id": "b"}}}]}'
	echo '{"group_id": "dup", "custom_ids": ["a"]}' > "$IN"
	run --separate-stderr ia-poll --once --pending "$BATS_TEST_TMPDIR/p" --base-url "$STUB_URL" < "$IN"
	echo "$output"
	cat "$BATS_TEST_TMPDIR/p"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.custom_id, .id]' <<<"$output")" = '["a","g2"]' ]
	# Not {"group_id": "dup", "custom_ids": []}, which the next run would
	# follow whole, printing a again and b, which was never asked for.
	[ -f "$BATS_TEST_TMPDIR/p" ]
	[ ! -s "$BATS_TEST_TMPDIR/p" ]
}
