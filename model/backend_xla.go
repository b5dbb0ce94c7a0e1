//go:build !noxla && linux && (amd64 || arm64)

package model

import (
	"github.com/gomlx/go-xla/compute/xla" // the XLA (PJRT) backend: "xla:cpu", "xla:cuda", ...
)

// The XLA backend would download missing PJRT plugins from the internet the first time it
// is asked for one (go-xla v0.4.1: a CPU plugin from GitHub's gomlx/pjrt-cpu-binaries,
// unchecked, into ~/.local/lib/go-xla, for "xla:cpu" and "xla:cuda" alike, unless
// $GOMLX_NO_AUTO_INSTALL is set). We never fetch anything at run time: the plugin must be
// installed (`clip xla-install [--cpu]`, then PJRT_PLUGIN_LIBRARY_PATH, or an absolute path
// as in "xla:/opt/pjrt/xla_cuda_plugin.so"; see docs/training.md). This runs after go-xla's
// own init, so it holds whatever the environment says; TestXLAWithoutPluginIsAClearError
// checks it. Build with -tags noxla to leave XLA out.
func init() { xla.EnableAutoInstall(false) }
