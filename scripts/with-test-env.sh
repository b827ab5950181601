#!/bin/sh
# with-test-env.sh CMD...: runs CMD with a real X server (Xvfb) and a D-Bus
# session holding an unlocked gnome-keyring, so tests see a real Secret
# Service and a real display. Everything started here is stopped on exit.
set -eu
if [ "${CV_IN_TEST_ENV:-}" = 1 ]; then
	# Inside the D-Bus session: unlock a fresh keyring, then run the command.
	mkdir -p "$HOME/.local/share/keyrings"
	# --foreground keeps the daemon our child, so it is stopped with us.
	printf 'testpass' | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
	keyring_pid=$!
	trap 'kill "$keyring_pid" 2>/dev/null || true' EXIT
	i=0
	until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then echo "with-test-env: gnome-keyring did not start" >&2; exit 1; fi
		sleep 0.1
	done
	set +e
	"$@"
	rc=$?
	kill "$keyring_pid" 2>/dev/null
	exit $rc
fi

# A private HOME keeps the test keyring apart from the user's own.
export CV_TEST_HOME="$(mktemp -d "${TMPDIR:-/tmp}/caseviewer-test-home.XXXXXX")"
display=""
cleanup() {
	[ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null || true
	rm -rf "$CV_TEST_HOME"
}
trap cleanup EXIT INT TERM

# Find a free display number and start Xvfb on it.
n=90
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
display=":$n"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
i=0
while [ ! -e "/tmp/.X11-unix/X$n" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then echo "with-test-env: Xvfb did not start on $display" >&2; exit 1; fi
	sleep 0.1
done
export DISPLAY="$display" LANG=en_US.UTF-8
# Keep Go's caches where they were: only the keyring must move.
if command -v go >/dev/null 2>&1; then
	GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)" GOPATH="$(go env GOPATH)"
	export GOCACHE GOMODCACHE GOPATH
fi
HOME="$CV_TEST_HOME" CV_IN_TEST_ENV=1 dbus-run-session -- "$0" "$@"
