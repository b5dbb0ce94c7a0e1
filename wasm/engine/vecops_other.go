//go:build (!amd64 && !arm64) || purego

package engine

// opsFor: no native float helpers on this platform; the Go twins run.
func opsFor(k kernel) *vecOps { return nil }

// cpuOps lists the float helper sets this CPU runs (none here).
func cpuOps() []*vecOps { return nil }
