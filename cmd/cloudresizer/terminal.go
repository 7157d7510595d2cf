package main

import (
	"os"

	"golang.org/x/term"
)

// stderrIsTerminal decides between a progress bar and plain log lines.
func stderrIsTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }
