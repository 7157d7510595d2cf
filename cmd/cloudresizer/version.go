package main

import (
	"fmt"
	"runtime/debug"

	"github.com/cloudresizer/cloudresizer/vips"
)

type versionCmd struct{}

// Run prints the module version (from the build info) and libvips'.
func (versionCmd) Run(e env) error {
	v := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	fmt.Fprintf(e.stdout, "cloudresizer %s (libvips %s)\n", v, vips.Version())
	return nil
}
