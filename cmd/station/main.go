// Command station is the Case Viewer station server and its admin command
// line. See doc/station.md ("Run a station") or run `station --help`.
package main

import (
	"os"

	"caseviewer/station/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Env{}))
}
