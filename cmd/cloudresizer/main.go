// Command cloudresizer resizes images: as a service (serve, later), or on
// local files (resize). Every flag is also a CLOUDRESIZER_* environment variable.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1 // the command ran, and some of its work failed
	exitUsage   = 2 // the command line was wrong
	exitTrouble = 3 // the command could not start (engine, storage…)
)

// cli is the command line: one field per subcommand.
type cli struct {
	Serve   serveCmd   `cmd:"" help:"Run the HTTP API and the batch workers."`
	Worker  workerCmd  `cmd:"" help:"Run batch workers only (needs --redis), apart from the front end."`
	Resize  resizeCmd  `cmd:"" help:"Resize local image files or folders, no server needed."`
	Migrate migrateCmd `cmd:"" help:"Copy originals, owner indexes (and variants) from one storage URL to another."`
	Version versionCmd `cmd:"" help:"Print the version of Cloud Resizer and of libvips."`
}

// env holds what commands need from the process, so tests can run them in
// process with their own streams.
type env struct {
	stdout, stderr io.Writer
	isTerminal     bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, isTerminal: stderrIsTerminal()})
	stop()
	os.Exit(code)
}

// run parses args and runs the chosen command, returning the exit status.
func run(ctx context.Context, args []string, e env) int {
	var c cli
	exit := -1
	parser, err := kong.New(&c,
		kong.Name("cloudresizer"),
		kong.Description("Cloud Resizer: a self-hosted image resizing service."),
		kong.DefaultEnvars("CLOUDRESIZER"),
		kong.Writers(e.stdout, e.stderr),
		kong.Exit(func(code int) { exit = code }),
		kong.BindTo(ctx, (*context.Context)(nil)),
		kong.Bind(e),
	)
	if err != nil {
		fmt.Fprintln(e.stderr, "cloudresizer:", err)
		return exitTrouble
	}
	kctx, err := parser.Parse(args)
	if exit >= 0 { // --help
		return exit
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "cloudresizer: %v\n(see cloudresizer --help)\n", err)
		return exitUsage
	}
	err = kctx.Run()
	var code exitCode
	if errors.As(err, &code) {
		return int(code)
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "cloudresizer:", err)
		return exitTrouble
	}
	return exitOK
}

// exitCode is returned by a command that has reported its own errors and
// only needs the process to end with a status.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }
