#!/bin/sh
# ia-submit | ia-poll | ia-collect with default flags against the everyday
# Python client (bench/seq_client.py: sequential submissions with requests,
# then 5 threads polling once a second), over 1,000 prompts with 20 ms of
# latency, each generation done 0.5 to 0.75 s after submission.
# Target: ia at least 10x faster.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
TARGET=10
N=1000		# the issue's size, at every scale (the Python client takes ~25 s)
PYTHON=${PYTHON:-/usr/bin/python3}

bench_begin vs-python "ia-submit | ia-poll | ia-collect vs a sequential Python client" \
    "ia >= ${TARGET}x faster" \
    "$N chat requests against a fresh \`ia-mock --latency 20 --complete-after 0.5,0.75\` for each client: \`ia-submit -q | ia-poll -q | ia-collect -q\` (default flags; -q only hides the progress line), and \`$PYTHON bench/seq_client.py\` (requests: POSTs one after the other on one session, then rounds of GETs on 5 threads, a second apart, until all are final). Both print each answer's content; both are timed from the outside. Figure: the Python client's time over ia's. One size, $N, at every scale."

requests "$N" "$BTMP/req"
mock_start --latency 20 --complete-after 0.5,0.75
t0=$(now)
bin/ia-submit -q <"$BTMP/req" | bin/ia-poll -q | bin/ia-collect -q >"$BTMP/out.ia"
t_ia=$(since "$t0")
reqs_ia=$(mock_stats .requests.total)
mock_stop
mock_start --latency 20 --complete-after 0.5,0.75
t0=$(now)
"$PYTHON" bench/seq_client.py <"$BTMP/req" >"$BTMP/out.py"
t_py=$(since "$t0")
reqs_py=$(mock_stats .requests.total)
mock_stop
n_ia=$(wc -l <"$BTMP/out.ia")
n_py=$(wc -l <"$BTMP/out.py")
if [ "$n_ia" -ne "$N" ] || [ "$n_py" -ne "$N" ]; then
	bench_error "$N" "answers: ia $n_ia, Python $n_py, of $N"
else
	bench_result "$N" "ia $(fmt %.2f "$t_ia") s, $reqs_ia requests; Python $(fmt %.2f "$t_py") s, $reqs_py requests" \
	    "Python / ia" "$(fmt %.1f "$t_py / $t_ia")" ge "$TARGET" x
fi
bench_end
