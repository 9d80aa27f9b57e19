// Command goshellwords reads a JSON array of command strings on stdin and writes, for each,
// what go-shellwords v1.0.12 makes of it the way compose-go calls it (shellwords.Parse, whose
// parser has ParseEnv and ParseBacktick off): {"args": [...]} or {"error": "..."}, and
// "position", the parser's Position (the rune index where it stopped, -1 when it read all).
// pgconf-fix's tests use it as the oracle for pgconf_fix.documents.shellwords.
package main

import (
	"encoding/json"
	"os"

	"github.com/mattn/go-shellwords"
)

type reading struct {
	Args     []string `json:"args"`
	Error    string   `json:"error,omitempty"`
	Position int      `json:"position"`
}

func main() {
	var lines []string
	if err := json.NewDecoder(os.Stdin).Decode(&lines); err != nil {
		os.Stderr.WriteString("goshellwords: " + err.Error() + "\n")
		os.Exit(2)
	}
	out := make([]reading, 0, len(lines))
	for _, line := range lines {
		// shellwords.Parse(line) is NewParser().Parse(line); the parser is kept for Position.
		parser := shellwords.NewParser()
		args, err := parser.Parse(line)
		one := reading{Args: args, Position: parser.Position}
		if err != nil {
			one.Error = err.Error()
		}
		out = append(out, one)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(2)
	}
}
