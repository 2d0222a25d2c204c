#!/usr/bin/env bash
# bench/run.sh: every benchmark of `make bench`, then one summary table.
#
#   bench/run.sh            full sizes, 3 runs each (about 15 minutes on 2 cores)
#   QUICK=1 bench/run.sh    smaller sizes, 3 runs each (a few minutes)
#   BENCH_LOG=path          where the full output goes (default: a temporary file)
#
# Each benchmark measures its anchor in the same run and prints its figures
# as min / median / max with the ratio to the anchor; lines starting with
# SUMMARY| are collected into the table at the end. The GossipSub anchor is
# built from bench/gossipsub, its own Go module (go-libp2p pins an older
# quic-go than the library's), so the first run downloads its modules.
set -euo pipefail
cd "$(dirname "$0")/.."

log=${BENCH_LOG:-$(mktemp -t p2p-bench.XXXXXX)}
: >"$log"
quick=${QUICK:-0}
start=$(date +%s)

failed=()
run() { # run <title> <command...>: output to the terminal and the log
	local title=$1
	echo "==> $title" | tee -a "$log"
	shift
	if ! "$@" 2>&1 | tee -a "$log"; then
		failed+=("$title")
	fi
}

run "make build" make build
[ ${#failed[@]} -eq 0 ] || { echo "FAILED: make build"; exit 1; }

addrecord_args=()
[ "$quick" = 1 ] && addrecord_args=(-addrecord.n 500)
run "AddRecord against raw SQLite (bench/)" \
	go test -run '^$' -bench . -benchtime 1x -timeout 30m ./bench/ "${addrecord_args[@]}"
run "propagation, catch-up and memory (bench/mesh)" \
	go test -run '^$' -bench . -benchtime 1x -timeout 60m ./bench/mesh/
run "one group, many applications: attached against hosting (bench/sharing)" \
	go test -run '^$' -bench . -benchtime 1x -timeout 30m ./bench/sharing/
run "direct connections through the C ABI, idle and under a background load (bench/direct)" \
	go test -run '^$' -bench . -benchtime 1x -timeout 30m ./bench/direct/
# The DHT benchmark runs member processes against a private swarm, with
# the peer harness of the multi-process tests.
run "finding the group through a private DHT (tests/net TestDHTBench)" \
	env P2P_DHT_BENCH=1 go test -count=1 -run '^TestDHTBench$' -v -timeout 10m ./tests/net/
run "the C layer's own work per INCOMING_DATA event, without cgo or network (package main)" \
	go test -run '^$' -bench EventCost -benchtime 20000x -count 3 .
# The NAT lab (network namespaces, root only) lives with the
# multi-process tests it shares its lab and peer harness with.
if [ "$(id -u)" = 0 ]; then
	run "NAT traversal in a lab of network namespaces (tests/net TestNATBench)" \
		env P2P_NAT_BENCH=1 go test -count=1 -run '^TestNATBench$' -v -timeout 20m ./tests/net/
else
	echo "==> NAT lab skipped: it needs root (network namespaces)" | tee -a "$log"
fi

# The AddRecord benchmark reports metrics rather than a SUMMARY line.
addrecord=$(awk '/^BenchmarkAddRecord-/ {
	for (i = 3; i < NF; i++) m[$(i+1)] = $i
	printf "SUMMARY|AddRecord, 1 KiB records, records/s|%.0f / %.0f / %.0f|raw SQLite %.0f / %.0f / %.0f|%.2f (median)|-|-\n",
		m["min-records/s"], m["records/s"], m["max-records/s"], m["raw-min-records/s"], m["raw-records/s"], m["raw-max-records/s"], m["ratio"]
}' "$log")

echo
echo "Summary ($( [ "$quick" = 1 ] && echo "QUICK=1, " )min / median / max; $(($(date +%s) - start)) s; full output in $log)"
{
	echo "figure|ours|anchor (same run)|ratio|target|verdict"
	echo "$addrecord"
	grep '^SUMMARY|' "$log" | cut -d'|' -f2-
} | sed 's/^SUMMARY|//' | grep -v '^$' | column -t -s '|'

if [ ${#failed[@]} -gt 0 ]; then
	printf 'FAILED: %s\n' "${failed[@]}"
	exit 1
fi
