#!/bin/sh
# Print the fuzzing totals of t/fuzz/log.tsv as the Markdown table that
# SECURITY.md shows: per target, the seconds and executions of every
# run added up, the highest coverage seen and the latest corpus size.
set -eu
cd "$(dirname "$0")"
echo '| target | seconds | executions | coverage (edges) | features | corpus files |'
echo '|---|---:|---:|---:|---:|---:|'
awk -F '\t' '
{
	t = $2
	if (!(t in sec)) order[n++] = t
	sec[t] += $3; ex[t] += $4
	if ($5 > cov[t]) cov[t] = $5
	if ($6 > ft[t]) ft[t] = $6
	files[t] = $7
}
END {
	for (i = 0; i < n; i++) {
		t = order[i]
		printf "| %s | %d | %d | %d | %d | %d |\n", t, sec[t], ex[t], cov[t], ft[t], files[t]
	}
}' log.tsv | sort
