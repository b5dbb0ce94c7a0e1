//go:build !noxla && linux && (amd64 || arm64)

package model

import (
	"github.com/gomlx/go-xla/compute/xla" // the XLA (PJRT) backend: "xla:cpu", "xla:cuda", ...
)

// The XLA backend would download missing PJRT plugins from the internet the first time it
// is asked for one. We never fetch anything at run time: the plugin must be installed
// (PJRT_PLUGIN_LIBRARY_PATH, or an absolute path as in "xla:/opt/pjrt/xla_cuda_plugin.so";
// see the README's "Training on a GPU host"). Build with -tags noxla to leave XLA out.
func init() { xla.EnableAutoInstall(false) }
