package cli_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"caseviewer/station/cli"
)

// Main runs the station program's commands; cmd/station passes os.Args and
// exits with the code it returns.
func ExampleMain() {
	tmp, _ := os.MkdirTemp("", "station-cli-example-")
	defer os.RemoveAll(tmp)
	var out, errs bytes.Buffer
	env := cli.Env{Stdout: &out, Stderr: &errs}

	code := cli.Main([]string{"init", "--data", filepath.Join(tmp, "st"), "--id", "ST-EXAMPLE"}, env)
	fmt.Println(code, strings.HasPrefix(out.String(), "Station ST-EXAMPLE created"))

	code = cli.Main([]string{"officer", "add", "--data", filepath.Join(tmp, "st"), "--id", "D-1"}, env)
	fmt.Println(code, errs.String())
	// Output:
	// 0 true
	// 2 station officer add: --name is required (see `station officer add --help`)
}
