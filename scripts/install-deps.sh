#!/bin/sh
# install-deps.sh PKG...: installs the Debian/Ubuntu packages that are missing.
# Uses sudo only when not root; on other systems it says what to install and
# carries on, so that `make demo` never fails just because it cannot install.
set -eu
missing=""
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
		echo "install-deps: not root and no sudo; please install:$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
# A stale package index makes installs fail; refresh it once when needed.
$sudo apt-get install -y -q $missing >/dev/null 2>&1 || {
	$sudo apt-get update -q >/dev/null
	$sudo apt-get install -y -q $missing
}
