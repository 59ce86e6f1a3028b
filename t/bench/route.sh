#!/bin/sh
# What Postfix pays per message: one whole `smtpdirect route` process
# (load config, load and index a 100k-line map, match, print), next to
# `true` (the fork/exec floor), timed with hyperfine.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SD="$TOP/transport/smtpdirect"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$TOP/build/normal/t/tools/ovr_bench" -g 100000 -o "$dir/map" >/dev/null
printf 'dns_overrides = %s\nstate_dir = %s\n' "$dir/map" "$dir" >"$dir/conf"

cmd_route="$SD route -c $dir/conf -s 20M user@d50000.example"
hyperfine -N --warmup 5 --runs 100 --export-markdown "$dir/md" \
    "true" "$cmd_route" >/dev/null 2>&1
echo "## One \`smtpdirect route\` process, 100k-line map"
echo
echo "The map is made by \`ovr_bench -g 100000\` (the generator of the"
echo "map benchmark above). Command: \`hyperfine -N --warmup 5 --runs 100 true"
echo "'smtpdirect route -c CONF -s 20M user@d50000.example'\`."
echo
sed 's|'"$dir"'|DIR|g; s|'"$SD"'|smtpdirect|g' "$dir/md"
