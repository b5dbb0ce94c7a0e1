//go:build !noxla && linux && amd64

package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/gomlx/go-xla/installer"
)

// pinnedCUDAPJRT is the jax-cuda13-pjrt release (and its NVIDIA libraries) that
// `clip xla-install` fetches. PJRT plugins keep ABI compatibility with frameworks built
// against older headers of the same major version; go-xla v0.4.1 uses PJRT C API 0.104.
const pinnedCUDAPJRT = "0.12.0.1"

// cmdXLAInstall installs the CUDA PJRT plugin for the XLA backend, or with --cpu XLA's CPU
// plugin (xlacpu.go). It is the one command that downloads (from PyPI, checking sha256):
// run it on a GPU host with internet, or on any linux/amd64 machine with internet and copy
// the folder to an air-gapped host.
func cmdXLAInstall(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("xla-install", flag.ContinueOnError)
	dir := fs.String("dir", "", "install folder (default ~/.local/lib; the plugin lands in DIR/go-xla/nvidia, with --cpu in DIR/go-xla/cpu)")
	version := fs.String("version", pinnedCUDAPJRT, "jax-cuda13-pjrt version")
	cpu := fs.Bool("cpu", false, "install XLA's CPU plugin instead ("+cpuWheel.Package+" "+cpuWheel.Version+" from PyPI, sha256-pinned) for --backend xla:cpu")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	if *cpu {
		if isFlagSet(fs, "version") {
			return fmt.Errorf("%w: --version is the CUDA plugin's; the CPU plugin is pinned to %s %s (its sha256 is in the binary)", errUsage, cpuWheel.Package, cpuWheel.Version)
		}
		return xlaInstallCPU(*dir, stdout, stderr)
	}
	if *dir == "" {
		if *dir, err = installer.DefaultHomeLibPath(); err != nil {
			return err
		}
	}
	target := filepath.Join(*dir, "go-xla")
	if err := installer.CudaInstall("cuda13", *version, target, true, installer.Normal); err != nil {
		return err
	}
	return writeJSON(stdout, map[string]string{
		"plugin":  filepath.Join(target, "nvidia", installer.NVIDIAPJRTPluginFileName),
		"version": *version,
		"use":     "--backend xla:cuda (set PJRT_PLUGIN_LIBRARY_PATH=" + filepath.Join(target, "nvidia") + " if DIR is not the default)",
	})
}

func init() {
	commands = append(commands, command{"xla-install", "xla-install [flags]",
		"install the CUDA PJRT plugin for --backend xla:cuda (downloads; GPU hosts), or with --cpu XLA's CPU plugin for --backend xla:cpu", cmdXLAInstall})
}
