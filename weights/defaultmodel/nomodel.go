//go:build nomodel

package defaultmodel

// file is empty in binaries built with -tags nomodel: the binaries that train on a GPU host
// (make xla-check-build) travel to it over a link that bounds their size, and training needs
// no built-in model.
var file []byte
