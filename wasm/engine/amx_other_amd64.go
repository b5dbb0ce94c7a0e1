//go:build !linux && amd64 && !purego

package engine

// requestAMX: the tile state is asked for on Linux only; elsewhere the AMX kernel stays off.
func requestAMX() bool { return false }
