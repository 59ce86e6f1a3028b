#!/bin/sh
# What Postfix pays per message: one whole `smtpdirect route` process
# (load config, load a map, match, print), next to `true` (the
# fork/exec floor), timed with hyperfine: on a 100k-line map as before
# (since issue 17 the map is compiled into state_dir in the warm-up and
# mapped by each run), then on a 1M-line map compiled and parsed, the
# first use after an edit, and 8 processes started together after one.
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
echo "CONF's state_dir is the run's own directory: since the compiled map"
echo "(issue 17) the first warm-up run compiles the map there and every"
echo "timed run maps it."
echo
sed 's|'"$dir"'|DIR|g; s|'"$SD"'|smtpdirect|g' "$dir/md"

# The 1M-line map: compiled (built first by smtpdirect compile) and
# parsed (a state_dir every user may write: no compiled map there).
rm -f "$dir/map" "$dir/ovr.cmap"
"$TOP/build/normal/t/tools/ovr_bench" -g 1000000 -o "$dir/map" >/dev/null
mkdir "$dir/s" "$dir/w"
chmod 700 "$dir/s"
chmod 1777 "$dir/w"
printf 'dns_overrides = %s\nstate_dir = %s\n' "$dir/map" "$dir/s" >"$dir/c"
printf 'dns_overrides = %s\nstate_dir = %s\n' "$dir/map" "$dir/w" >"$dir/p"
"$SD" compile -c "$dir/c" >"$dir/compile" 2>&1
q="-o postfix user@mx.z500000.example"
hyperfine -N --warmup 5 --runs 100 --export-markdown "$dir/md1" \
    "true" "$SD route -c $dir/c $q" >/dev/null 2>&1
hyperfine -N --warmup 1 --runs 10 --export-markdown "$dir/md2" \
    "$SD route -c $dir/p $q" >/dev/null 2>&1
hyperfine -N --warmup 1 --runs 5 --prepare "touch $dir/map" \
    --export-markdown "$dir/md3" "$SD route -c $dir/c $q" >/dev/null 2>&1
# Eight at once after an edit: how many rebuilt, and how long all took.
touch "$dir/map"
t0=$(date +%s%N)
for i in 1 2 3 4 5 6 7 8; do
	"$SD" route -c "$dir/c" $q >/dev/null 2>"$dir/e$i" &
done
wait
t1=$(date +%s%N)
rebuilds=$(cat "$dir"/e? | grep -c 'compiled into' || :)
echo
echo "## One \`smtpdirect route\` process, 1M-line map: compiled and parsed"
echo
echo "The map is made by \`ovr_bench -g 1000000\` ($(wc -c <"$dir/map") bytes);"
echo "\`smtpdirect compile\` wrote the compiled map first:"
echo "\`$(sed 's|'"$dir"'|DIR|g' "$dir/compile")\`."
echo "The lookup is the one Postfix's transport map makes, a wildcard line"
echo "in the middle of the map: \`smtpdirect route -c CONF -o postfix"
echo "user@mx.z500000.example\`. CONF's state_dir is the compiled map's"
echo "(\`c\`), or one every user may write (\`p\`: no compiled map is used"
echo "there, the map is parsed as before issue 17). Commands:"
echo "\`hyperfine -N --warmup 5 --runs 100 true 'smtpdirect route -c c ...'\`,"
echo "\`hyperfine -N --warmup 1 --runs 10 'smtpdirect route -c p ...'\`, and"
echo "for the first use after an edit \`hyperfine -N --warmup 1 --runs 5"
echo "--prepare 'touch MAP' 'smtpdirect route -c c ...'\` (each run rebuilds)."
echo "Goal: compiled within 2 ms of \`true\`."
echo
sed 's|'"$dir"'|DIR|g; s|'"$SD"'|smtpdirect|g' "$dir/md1"
echo
echo "Parsed in each process (state_dir \`p\`):"
echo
sed 's|'"$dir"'|DIR|g; s|'"$SD"'|smtpdirect|g' "$dir/md2"
echo
echo "First use after an edit (state_dir \`c\`, each run rebuilds):"
echo
sed 's|'"$dir"'|DIR|g; s|'"$SD"'|smtpdirect|g' "$dir/md3"
echo
echo "Eight \`route -c c\` processes started together after \`touch MAP\`:"
echo "$rebuilds rebuild(s) logged, all eight done in $(((t1 - t0) / 1000000)) ms."
