#!/bin/sh
# install-deps.sh PKG...: installs the Debian/Ubuntu packages that are missing.
# Uses sudo only when not root; on other systems it says what to install and
# carries on. With INSTALL_DEPS_SOFT=1 (`make demo`) a failed install is
# reported and skipped too, so the demo never fails just because it cannot
# install; `make test` needs its tools and fails instead.
set -eu
missing=""
soft="${INSTALL_DEPS_SOFT:-}"
give_up() {
	echo "install-deps: $1; please install:$missing" >&2
	[ -n "$soft" ] && exit 0
	exit 1
}
if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: this is not a Debian or Ubuntu system; please install the equivalents of: $*" >&2
	exit 0
fi
for p in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
sudo=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		give_up "not root and no sudo"
	fi
fi
export DEBIAN_FRONTEND=noninteractive
# A stale package index makes installs fail; refresh it once when needed.
$sudo apt-get install -y -q $missing >/dev/null 2>&1 || {
	$sudo apt-get update -q >/dev/null || true
	$sudo apt-get install -y -q $missing || give_up "apt-get could not install them"
}
