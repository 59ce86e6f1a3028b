#!/bin/sh
# make bench: run every t/bench/NAME.sh (each prints a markdown section:
# what it measured, the exact command, the figures and the reference it
# was compared with in the same run) and write BENCHMARKS.md.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
export TOP
out="$TOP/BENCHMARKS.md"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

{
	echo "# smtpdirect benchmarks"
	echo
	echo "Written by \`make bench\` ($(date -u +%Y-%m-%d)). Each figure"
	echo "stands beside the command that produced it; references were"
	echo "measured in the same run on the same machine."
	echo
	echo "## Machine"
	echo
	echo '```'
	echo "cpu:    $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores)"
	echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "kernel: $(uname -sr)"
	echo "os:     $(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "cc:     $(gcc --version | head -n 1)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo '```'
	echo
} >"$tmp"

# Glob order, but linking.sh right after drain.sh: its section runs
# drain.sh again with two builds and stands beside the drain's own (and
# after deliver.sh, whose LINK=static build it shares).
order=$(for b in t/bench/*.sh; do
	case $b in
	t/bench/run.sh | t/bench/linking.sh) ;;
	*) echo "$b" ;;
	esac
done | awk '{ print } $0 == "t/bench/drain.sh" { print "t/bench/linking.sh"; d = 1 }
    END { if (!d) print "t/bench/linking.sh" }')
for b in $order; do
	echo "bench: $b" >&2
	if ! sh "$b" >>"$tmp"; then
		echo "bench: $b failed" >&2
		exit 1
	fi
	echo >>"$tmp"
done
mv "$tmp" "$out"
trap - EXIT
echo "bench: wrote $out" >&2
