#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The hardening check of `make check` (t/run.sh, static part):
# hardening-check (Debian's devscripts) on every program that
# `make install` installs, from the build of the default LINK and from a
# build of the other LINK (build/hardening-LINK), each failing on a
# missing protection: position-independent, stack protector, fortified
# libc calls, full RELRO (read-only relocations, immediate binding),
# control-flow protection. Run from the top of the tree after `make all`.
#
# Two cases where hardening-check cannot see a protection that is there
# are handled here, each narrowly, by a check of our own in its place:
#
# - A static position-independent program (the front, smtpdirect)
#   imports no function, so hardening-check, which looks for imported
#   __stack_chk_fail and __*_chk, finds neither: for such a program its
#   stack-protector check is replaced by one that main() calls
#   __stack_chk_fail (the front's main() has a buffer on the stack; the
#   C library's own calls prove nothing: Debian builds musl with the
#   protector), its PIE check (it reports "regular shared library
#   (ignored)") by the PIE flag of the dynamic section, and its fortify
#   check by a count of calls to __*_chk functions when the C library
#   is glibc (Debian 12's glibc itself is not fortified). musl has no
#   _FORTIFY_SOURCE at all (its headers ignore it): the front linked
#   from musl (FRONT_LIBC=musl, the default) is the one program without
#   fortified libc calls, and the only exception to that check.
# - Control-flow protection is marked in a program only when every
#   object linked into it is marked; the start files of Debian 12's
#   glibc (Scrt1.o) and of musl (rcrt1.o) are not, so no program linked
#   with them is marked, ours or Debian's own. When the start files the
#   program was linked with carry no mark, the check is replaced by one
#   that its main() begins with an endbr64 landing pad, which
#   -fcf-protection puts there; with marked start files hardening-check
#   decides.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
command -v hardening-check >/dev/null ||
	{ echo "hardening: hardening-check is missing (sh t/deps.sh)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/smtpdirect-hardening.XXXXXX")
trap 'rm -rf "$T"' EXIT
bad=0

# marked FILE - true when the object FILE carries the IBT and SHSTK mark
marked() {
	readelf -n "$1" 2>/dev/null | grep -q 'x86 feature: IBT, SHSTK'
}

# calls PROG PATTERN [FUNCTION] - how many call instructions in PROG (in
# FUNCTION only, if given) go to a function whose name matches PATTERN
# (an extended regular expression)
calls() {
	objdump -d --no-show-raw-insn ${3:+--disassemble="$3"} "$1" |
	    grep -cE "call .*<($2)(@plt)?>" || true
}

# check PROG - hardening-check PROG, with the exceptions above
check() {
	p=$1 opts="" static=no libc=glibc start=""
	n=${p#"$T"/default} # its name as installed, or its build path
	if ! readelf -lW "$p" | grep -q ' INTERP '; then
		static=yes
		nm "$p" | grep -q ' __init_libc$' && libc=musl
	fi
	if [ $static = yes ]; then
		opts="$opts --nostackprotector"
		readelf -dW "$p" | grep -qE '\(FLAGS_1\).* PIE' ||
			{ echo "$n: not position-independent"; bad=1; }
		[ "$(calls "$p" __stack_chk_fail main)" -gt 0 ] ||
			{ echo "$n: main() calls no __stack_chk_fail"; bad=1; }
		if [ $libc = glibc ]; then
			[ "$(calls "$p" '__[a-z0-9_]+_chk')" -gt 0 ] ||
				{ echo "$n: no call to a fortified function"; bad=1; }
		else
			echo "$n: fortify: none in musl (the one exception)"
		fi
		start=$(readlink -f "$(${CC:-gcc} -print-file-name=rcrt1.o)")
		[ $libc = musl ] && start=/usr/lib/$(${CC:-gcc} -dumpmachine |
		    sed 's/-gnu$/-musl/')/rcrt1.o
	else
		start=$(readlink -f "$(${CC:-gcc} -print-file-name=Scrt1.o)")
	fi
	if ! marked "$start"; then
		opts="$opts --nocfprotection"
		objdump -d --disassemble=main "$p" |
		    grep -A1 '<main>:' | grep -q endbr64 ||
			{ echo "$n: main() has no endbr64 (-fcf-protection)"; bad=1; }
		echo "$n: control flow: $start is not marked: main() checked"
	fi
	# shellcheck disable=SC2086
	hardening-check $opts "$p" || bad=1
}

# Programs of the default build, as `make install` installs them.
make -s install DESTDIR="$T/default" PREFIX=/usr >/dev/null
for p in "$T"/default/usr/sbin/*; do
	check "$p"
done
# The other LINK, built beside the default.
case $("$T"/default/usr/sbin/smtpdirect-core --version) in
*"(built in)"*) other=shared ;;
*) other=static ;;
esac
ob=build/hardening-$other
make -s -j2 O="$ob" LINK="$other" "$ob/transport/smtpdirect" \
    "$ob/transport/smtpdirect-core" >/dev/null
for p in "$ob/transport/smtpdirect" "$ob/transport/smtpdirect-core"; do
	check "$p"
done
exit $bad
