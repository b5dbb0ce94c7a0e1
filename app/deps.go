//go:build js && wasm

package main

// The code vugugen generates from the .vugu files imports vjson; importing it here too
// keeps it in go.mod when the generated files are absent (they are built, not committed).
import _ "github.com/vugu/vjson"
