// Package wasmtest runs the WebAssembly build of the engine (wasm/cmd/clipwasm) under
// Node.js and checks it against the native engine; it holds only tests.
package wasmtest
