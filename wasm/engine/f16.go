package engine

import (
	"sync"

	"github.com/gomlx/compute/dtypes/float16"
)

// f16Table maps every float16 bit pattern to its float32 value (exact): the scales are
// stored as float16 and read once per block in the portable kernel.
var f16Table = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = float16.Float16(uint16(i)).Float32()
	}
	return &t
})

// halfAt returns the float16 at index i of little-endian data as a float32.
func halfAt(t *[1 << 16]float32, data []byte, i int) float32 {
	return t[uint16(data[2*i])|uint16(data[2*i+1])<<8]
}
