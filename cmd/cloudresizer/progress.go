package main

import (
	"fmt"
	"sync"

	"github.com/schollz/progressbar/v3"
)

// progress shows a bar on a terminal and plain lines elsewhere (logs, CI).
// Errors and warnings always go to stderr, one line each.
type progress struct {
	mu  sync.Mutex
	env env
	bar *progressbar.ProgressBar
}

func newProgress(e env) *progress { return &progress{env: e} }

// start shows the bar, once the number of files is known.
func (p *progress) start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.env.isTerminal && total > 0 {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(p.env.stderr),
			progressbar.OptionSetDescription("resizing"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		)
	}
}

func (p *progress) step() {
	if p.bar != nil {
		p.bar.Add(1)
	}
}

// line reports one finished file, on stdout when there is no bar.
func (p *progress) line(s string) {
	if p.bar == nil {
		p.mu.Lock()
		fmt.Fprintln(p.env.stdout, s)
		p.mu.Unlock()
	}
}

func (p *progress) errorf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Clear()
	}
	fmt.Fprintf(p.env.stderr, format+"\n", args...)
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
