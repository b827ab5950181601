#!/bin/sh
# demo.sh: the `make demo` runner. Builds the station and the desktop app into
# a temporary folder, seeds a demo station there (`station demo`), serves it
# on loopback with its beacon, issues an enrollment token, and starts Case
# Viewer enrolled against it (the fingerprints it pinned are in its log).
# Stopping the app (or Ctrl+C) stops the station and removes the folder.
# It never touches the desktop's own keyring when gnome-keyring is
# installed: the app then runs with a throwaway, unlocked one.
set -eu
if [ "${CV_DEMO_INNER:-}" = 1 ]; then
	# Inside the demo's private D-Bus session: start a throwaway, unlocked
	# keyring (stopped with us), then run the app.
	mkdir -p "$HOME/.local/share/keyrings"
	printf 'demo' | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
	keyring_pid=$!
	trap 'kill "$keyring_pid" 2>/dev/null || true' EXIT
	i=0
	until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true; do
		i=$((i + 1))
		[ $i -gt 50 ] && break
		sleep 0.1
	done
	"$@"
	exit $?
fi
cd "$(dirname "$0")/.."
PATH="$PATH:/usr/local/go/bin"
say() { printf 'demo: %s\n' "$*"; }

if [ ! -f cmd/station/main.go ] || [ ! -f cmd/caseviewer/main.go ]; then
	say "the station or the desktop app is not built yet in this checkout; nothing to run."
	exit 0
fi
if ! command -v go >/dev/null 2>&1; then
	say "Go is not installed. Install Go 1.26 (https://go.dev/dl/) and run 'make demo' again."
	exit 0
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
	say "no graphical display: run 'make demo' from a desktop session (or set DISPLAY)."
	exit 0
fi
secrets_owner() {
	command -v dbus-send >/dev/null 2>&1 || return 1
	[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || return 1
	for m in NameHasOwner; do
		dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
			org.freedesktop.DBus.$m string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true' && return 0
	done
	dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.ListActivatableNames 2>/dev/null | grep -q '"org.freedesktop.secrets"'
}
keyring=""
if command -v gnome-keyring-daemon >/dev/null 2>&1 && command -v dbus-run-session >/dev/null 2>&1 &&
	command -v dbus-send >/dev/null 2>&1; then
	keyring=private
elif secrets_owner; then
	keyring=desktop
else
	say "no desktop keyring found. Case Viewer keeps its device keys in the desktop keyring"
	say "(the freedesktop Secret Service), and none answers on this session's D-Bus."
	say "Install one and run 'make demo' again, e.g. on Debian or Ubuntu:"
	say "    sudo apt-get install gnome-keyring dbus-x11"
	exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/caseviewer-demo.XXXXXX")"
spid=""
cleanup() {
	trap '' INT TERM # a second Ctrl+C must not cut the clean-up short
	if [ -n "$spid" ]; then kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bin="$work/bin"
mkdir -p "$bin" "$work/home"
say "building the station and the app (the first build compiles GLFW and takes a few minutes)..."
go build -o "$bin/station" ./cmd/station
go build -o "$bin/caseviewer" ./cmd/caseviewer

data="$work/station"
"$bin/station" demo --data "$data" >"$work/accounts.txt"
# Port 0: the system picks free ports; the station prints the ones it got.
"$bin/station" serve --data "$data" --listen "127.0.0.1:${CASEVIEWER_DEMO_PORT:-0}" \
	--beacon "127.0.0.1:${CASEVIEWER_DEMO_BEACON_PORT:-0}" >"$work/station.log" 2>&1 &
spid=$!
i=0
until grep -q "serving https://" "$work/station.log" 2>/dev/null; do
	i=$((i + 1))
	if ! kill -0 "$spid" 2>/dev/null || [ $i -gt 100 ]; then
		say "the demo station did not start:"
		cat "$work/station.log" >&2
		exit 1
	fi
	sleep 0.1
done
addr="$(sed -n 's/.*serving https:\/\/\([^ ]*\).*/\1/p' "$work/station.log" | head -n 1)"
baddr="$(sed -n 's/.*beacon udp \([^ ]*\).*/\1/p' "$work/station.log" | head -n 1)"

# `station demo` issues a first enrollment token; ask for one if it did not.
token="$(sed -n 's/^Enrollment token .*): *//p' "$work/accounts.txt" | head -n 1)"
if [ -z "$token" ]; then
	token="$("$bin/station" enroll --officer D-1001 --data "$data" | sed -n 's/^Enrollment token for [^:]*: *//p' | head -n 1)"
fi

echo
awk '/^Demo accounts/ { p = 1 } /^Enrollment token/ { p = 0 } p' "$work/accounts.txt" >"$work/shown.txt"
if [ -s "$work/shown.txt" ]; then cat "$work/shown.txt"; else cat "$work/accounts.txt"; fi
echo
say "station: https://$addr (beacon udp $baddr), log in $work/station.log"
cat <<GUIDE

Try it:
  1. Detective: log in as D-1001 (rivera-demo-pass), open case 2026-0412 and a document.
     Every page carries your name, ID, the case, the time and a session code.
  2. Still D-1001: type 2026-0433 in the case search, press Find case, Request access
     (give a reason), then Log out.
  3. Supervisor of the Burglary unit: log in as S-2002 (natarajan-demo-pass), open
     Requests > Unit queue, Approve (D-1001's older request for 2026-0419 is there too).
  4. Evidence technician: log in as E-3001 (ortiz-demo-pass), open a document of
     2026-0412, tick Draw highlight, drag over a passage and write a note.
  5. The wipe: with a document open, stop the station in another terminal:
         kill $spid
     Within seconds the app locks: "Left the station network: case data was wiped".

GUIDE
say "starting Case Viewer..."

export CASEVIEWER_STATION="$addr" CASEVIEWER_ENROLL_TOKEN="$token"
case "${LANG:-C}" in C | C.* | POSIX) export LANG=en_US.UTF-8 ;; esac # Fyne cannot parse "C"
if [ "$keyring" = private ]; then
	say "using a throwaway keyring for the demo (your own keyring is not touched)"
	export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share" \
		XDG_STATE_HOME="$work/home/.local/state" XDG_CACHE_HOME="$work/home/.cache"
	# Ctrl+C is ignored by this script, the private D-Bus and the keyring
	# while the app runs; the app, which asks for it, still gets it, quits
	# and wipes through the keyring, and only then does the session end and
	# the clean-up delete the folder. (Without this the bus and keyring died
	# at once and the folder went while the app was still quitting.)
	trap '' INT
	CV_DEMO_INNER=1 dbus-run-session -- "$PWD/scripts/demo.sh" "$bin/caseviewer" || true
	trap 'exit 130' INT TERM
else
	export XDG_CONFIG_HOME="$work/home/.config" XDG_STATE_HOME="$work/home/.local/state" XDG_CACHE_HOME="$work/home/.cache" \
		CASEVIEWER_KEYRING_SERVICE=org.caseviewer.CaseViewer.demo
	"$bin/caseviewer" || true
fi
say "Case Viewer closed; stopping the demo station."
