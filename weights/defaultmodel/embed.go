//go:build !nomodel

package defaultmodel

import _ "embed"

//go:embed model-int8.safetensors
var file []byte
