#!/bin/sh
# demo.sh: builds and runs Case Viewer against an embedded demo station.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d cmd/station ] || [ ! -d cmd/caseviewer ]; then
	echo "Case Viewer demo: the station and the desktop app are still being built."
	echo "Coming next: 'station demo' seeds officers, cases and documents; the app"
	echo "enrolls against it and opens the login screen."
	go build ./... && echo "Everything that exists builds."
	exit 0
fi
