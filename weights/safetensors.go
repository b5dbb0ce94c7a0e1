// Package weights reads and writes model weights in the safetensors format.
//
// We write our own reader rather than use github.com/nlpodyssey/safetensors: that package
// rejects scalar (rank-0) tensors, and every CLIP checkpoint carries one (logit_scale). The
// format is small (an 8-byte little-endian header length, a JSON header, then the raw data),
// so a careful reader with explicit limits is shorter than working around the library.
package weights

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
)

// MaxHeaderSize limits the JSON header we are willing to parse: the header length is an
// attacker-controlled 64-bit number at the start of the file. The largest public CLIP
// checkpoints have headers well under 1 MiB.
const MaxHeaderSize = 64 << 20

// DType is a safetensors element type name, as written in the header.
type DType string

// The element types we read and write.
const (
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I8   DType = "I8"
	U8   DType = "U8"
	I32  DType = "I32"
	I64  DType = "I64"
)

// Size returns the size in bytes of one element, or 0 for an unknown type.
func (d DType) Size() int {
	switch d {
	case F32, I32:
		return 4
	case F16, BF16:
		return 2
	case I8, U8:
		return 1
	case I64:
		return 8
	}
	return 0
}

// Tensor is one named array: its element type, shape (empty for a scalar) and raw
// little-endian data.
type Tensor struct {
	DType DType
	Shape []int
	Data  []byte
}

// NumElements is the product of the shape (1 for a scalar).
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// File is the content of a safetensors file: named tensors and the free-form metadata.
type File struct {
	Tensors  map[string]*Tensor
	Metadata map[string]string
}

// NewFile returns an empty File.
func NewFile() *File {
	return &File{Tensors: map[string]*Tensor{}, Metadata: map[string]string{}}
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Tensors))
	for n := range f.Tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

type headerEntry struct {
	DType       DType    `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// ReadFile reads and validates a safetensors file. Errors name the file.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Parse decodes a safetensors file held in memory. The returned tensors share data with buf.
// It checks that the header is within limits, that every tensor's offsets lie inside the
// data section and agree with its dtype and shape, and that tensors do not overlap.
func Parse(buf []byte) (*File, error) {
	n, err := HeaderLength(buf)
	if err != nil {
		return nil, err
	}
	if uint64(len(buf)-8) < n {
		return nil, fmt.Errorf("truncated safetensors file: header needs %d bytes, file has %d", n, len(buf)-8)
	}
	h, err := ParseHeader(buf[8 : 8+n])
	if err != nil {
		return nil, err
	}
	data := buf[8+n:]
	f := NewFile()
	f.Metadata = h.Metadata
	for i, sp := range h.Tensors {
		if sp.End > int64(len(data)) {
			// In file order, the first tensor past the end is where the file was cut.
			more := ""
			if rest := len(h.Tensors) - i - 1; rest > 0 {
				more = fmt.Sprintf(" (and %d more tensors after it)", rest)
			}
			return nil, fmt.Errorf("truncated safetensors file: tensor %q needs bytes up to %d, data section has %d%s", sp.Name, sp.End, len(data), more)
		}
		f.Tensors[sp.Name] = &Tensor{DType: sp.DType, Shape: sp.Shape, Data: data[sp.Start:sp.End:sp.End]}
	}
	return f, nil
}

// HeaderLength reads the header length from a file's first 8 bytes, within MaxHeaderSize.
func HeaderLength(buf []byte) (uint64, error) {
	if len(buf) < 8 {
		return 0, fmt.Errorf("not a safetensors file: %d bytes, too short for the header length", len(buf))
	}
	n := binary.LittleEndian.Uint64(buf[:8])
	if n > MaxHeaderSize {
		return 0, fmt.Errorf("not a safetensors file: header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	return n, nil
}

// Header is a parsed safetensors header: the metadata and the tensors in file order.
type Header struct {
	Metadata map[string]string
	Tensors  []TensorSpan
}

// TensorSpan is one tensor's entry: where its data lies in the data section.
type TensorSpan struct {
	Name       string
	DType      DType
	Shape      []int
	Start, End int64
}

// DataSize is where the data section's last tensor ends.
func (h *Header) DataSize() int64 {
	if len(h.Tensors) == 0 {
		return 0
	}
	return h.Tensors[len(h.Tensors)-1].End
}

// ParseHeader decodes a safetensors JSON header (without its length prefix), checking
// every entry's dtype, shape and offsets and that tensors do not overlap; tensors come
// in file order, so a reader can take them as the bytes arrive.
func ParseHeader(hdr []byte) (*Header, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, fmt.Errorf("corrupt safetensors header: %v", err)
	}
	h := &Header{Metadata: map[string]string{}}
	if msg, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(msg, &h.Metadata); err != nil {
			return nil, fmt.Errorf("corrupt safetensors metadata: %v", err)
		}
		delete(raw, "__metadata__")
	}
	// Entries are checked in name order and their data in file order, not in the map's
	// random order: a broken file gets the same error on every run.
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		var e headerEntry
		if err := json.Unmarshal(raw[name], &e); err != nil {
			return nil, fmt.Errorf("corrupt safetensors header entry %q: %v", name, err)
		}
		size := int64(e.DType.Size())
		if size == 0 {
			return nil, fmt.Errorf("tensor %q: unsupported dtype %q", name, e.DType)
		}
		count := int64(1)
		for _, d := range e.Shape {
			if d < 0 || (d > 0 && count > math.MaxInt64/int64(d)/size) {
				return nil, fmt.Errorf("tensor %q: invalid shape %v", name, e.Shape)
			}
			count *= int64(d)
		}
		start, end := e.DataOffsets[0], e.DataOffsets[1]
		if start < 0 || end < start {
			return nil, fmt.Errorf("tensor %q: invalid data offsets [%d, %d]", name, start, end)
		}
		if end-start != count*size {
			return nil, fmt.Errorf("tensor %q: %d bytes of data for dtype %s and shape %v (want %d)", name, end-start, e.DType, e.Shape, count*size)
		}
		shape := e.Shape
		if shape == nil {
			shape = []int{}
		}
		h.Tensors = append(h.Tensors, TensorSpan{name, e.DType, shape, start, end})
	}
	slices.SortFunc(h.Tensors, func(a, b TensorSpan) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.End, b.End), strings.Compare(a.Name, b.Name))
	})
	for i := 1; i < len(h.Tensors); i++ {
		if h.Tensors[i].Start < h.Tensors[i-1].End {
			return nil, fmt.Errorf("tensors %q and %q overlap", h.Tensors[i-1].Name, h.Tensors[i].Name)
		}
	}
	return h, nil
}

// WriteFile writes f atomically: to a temporary file in the same folder, then renamed, so a
// crash never leaves a half-written file under the final name. Tensors are laid out in
// sorted name order, each aligned to 8 bytes as the reference writer does.
func WriteFile(path string, f *File) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := Write(tmp, f); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// CreateTemp makes the file private (0600); a model file is meant to be shared.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Write serialises f to w.
func Write(w io.Writer, f *File) error {
	hdr, names, err := encodeHeader(f, false)
	if err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := w.Write(f.Tensors[name].Data); err != nil {
			return err
		}
	}
	return nil
}

// encodeHeader returns the start of f's file, the 8-byte header length and the JSON
// header padded with spaces so the data section starts 8-byte aligned, and the tensor
// names in the order their data follows (sorted). Every writer goes through it, so a
// file laid out in place (QuantWriter) is byte-for-byte what Write writes. planned takes
// each tensor's size from its dtype and shape, for a layout whose data is not there yet.
func encodeHeader(f *File, planned bool) ([]byte, []string, error) {
	header := map[string]any{}
	if len(f.Metadata) > 0 {
		header["__metadata__"] = f.Metadata
	}
	var offset int64
	names := f.Names()
	for _, name := range names {
		t := f.Tensors[name]
		want := int64(t.NumElements() * t.DType.Size())
		if (!planned && want != int64(len(t.Data))) || t.DType.Size() == 0 {
			return nil, nil, fmt.Errorf("tensor %q: %d bytes for dtype %q and shape %v", name, len(t.Data), t.DType, t.Shape)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[name] = headerEntry{DType: t.DType, Shape: shape, DataOffsets: [2]int64{offset, offset + want}}
		offset += want
	}
	hdr, err := json.Marshal(header)
	if err != nil {
		return nil, nil, err
	}
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	out := binary.LittleEndian.AppendUint64(make([]byte, 0, 8+len(hdr)), uint64(len(hdr)))
	return append(out, hdr...), names, nil
}

// Float32s converts a floating-point or integer tensor to float32 values.
func (t *Tensor) Float32s() ([]float32, error) {
	out := make([]float32, t.NumElements())
	if err := decodeFloat32s(t.DType, t.Data, out); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeFloat32s converts len(out) little-endian values of dtype d from b to float32.
func decodeFloat32s(d DType, b []byte, out []float32) error {
	switch d {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case F16:
		for i := range out {
			out[i] = float16.Float16(binary.LittleEndian.Uint16(b[2*i:])).Float32()
		}
	case BF16:
		for i := range out {
			out[i] = bfloat16.BFloat16(binary.LittleEndian.Uint16(b[2*i:])).Float32()
		}
	case I8:
		for i := range out {
			out[i] = float32(int8(b[i]))
		}
	case U8:
		for i := range out {
			out[i] = float32(b[i])
		}
	case I32:
		for i := range out {
			out[i] = float32(int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
	case I64:
		for i := range out {
			out[i] = float32(int64(binary.LittleEndian.Uint64(b[8*i:])))
		}
	default:
		return fmt.Errorf("unsupported dtype %q", d)
	}
	return nil
}

// Int64s converts an integer tensor to int64 values.
func (t *Tensor) Int64s() ([]int64, error) {
	n := t.NumElements()
	out := make([]int64, n)
	b := t.Data
	switch t.DType {
	case I64:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
	case I32:
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
	case I8:
		for i := range out {
			out[i] = int64(int8(b[i]))
		}
	case U8:
		for i := range out {
			out[i] = int64(b[i])
		}
	default:
		return nil, fmt.Errorf("dtype %q is not an integer type", t.DType)
	}
	return out, nil
}

// FromFloat32s builds an F32 tensor. The shape's product must equal len(values).
func FromFloat32s(shape []int, values []float32) *Tensor {
	b := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return &Tensor{DType: F32, Shape: slices.Clone(shape), Data: b}
}

// FromInt64s builds an I64 tensor.
func FromInt64s(shape []int, values []int64) *Tensor {
	b := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return &Tensor{DType: I64, Shape: slices.Clone(shape), Data: b}
}

// FromFloat16s converts float32 values to an F16 tensor (round to nearest even).
func FromFloat16s(shape []int, values []float32) *Tensor {
	b := make([]byte, 2*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(float16.FromFloat32(v)))
	}
	return &Tensor{DType: F16, Shape: slices.Clone(shape), Data: b}
}
