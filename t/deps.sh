#!/bin/sh
# Install the Debian packages that building and testing need, only those
# that are missing, so a second run costs a dpkg query and nothing more.
set -eu

PKGS="gcc make musl-tools pkg-config check libsubunit-dev libldns-dev ldnsutils
libidn2-dev liblmdb-dev libssl-dev libcurl4-openssl-dev zlib1g-dev openssl libmilter-dev postfix nsd mandoc cppcheck
clang-format clang-tidy python3 procps
libc6 libcrypt1 libdb5.3 libgnutls-dane0 libgnutls30 libidn12 libidn2-0
libnsl2 libpcre2-8-0 util-linux passwd"
# The line above: what Exim 4.96 needs to run from its packages unpacked
# by t/lib/exim.sh (exim4 itself conflicts with postfix and is fetched
# with "apt-get download" into /var/cache/smtpdirect-tests, never
# installed), plus unshare/flock and useradd.
# The resolver's tests: ip (network namespace), mdb_stat (cache size).
PKGS="$PKGS iproute2 lmdb-utils"
# The TLS tests: a validating resolver for DANE (82-dane).
PKGS="$PKGS unbound"
# The milter's tests: miltertest, a scripted MTA side (90-milter).
PKGS="$PKGS miltertest"
# 91-milter-postfix, 92-readme-milter: the pcre: milter_header_checks table.
PKGS="$PKGS postfix-pcre"
# The static checks: hardening-check on every installed program
# (t/hardening.sh).
PKGS="$PKGS devscripts"
# make bench also needs the references it compares with.
# deliver.sh: /usr/bin/time (peak RSS) and strace (system call counts);
# linking.sh: perf (perf stat -e task-clock).
[ "${1:-}" = bench ] && PKGS="$PKGS hyperfine unbound msmtp time strace linux-perf"
# make fuzz: clang and its libFuzzer runtime (t/fuzz).
[ "${1:-}" = fuzz ] && PKGS="$PKGS clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: not root; install these packages:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix is only needed for its smtp-sink and for test instances of our
# own: keep its package from configuring a system mail server.
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
