package weights

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// QuantSpec is one tensor of a quantized model file: a matrix quantized to Bits (8 or
// 4), or, with Bits 0, a tensor kept as F32.
type QuantSpec struct {
	Name  string
	Shape []int
	Bits  int
}

// QuantWriter builds a quantized model file in place, tensor by tensor and piece by
// piece: every size in the file follows from the specs, so the file is allocated once
// at its final size and each tensor's values are quantized straight into their place as
// they are fed. Nothing holds a float tensor whole, so a model can be quantized while it
// downloads (the page's streaming quantizer) with memory near the output's size; `clip
// quantize` feeds it whole tensors. Finish writes the checksum and the header, and the
// bytes are exactly what Write writes for the same QuantFile.
type QuantWriter struct {
	qf     *QuantFile
	f      *File
	buf    []byte
	hdrLen int
	slots  map[string]*slot
}

// slot is a tensor being fed: where its values go and what has arrived.
type slot struct {
	q     *QTensor // the quantized matrix, or nil for a float tensor
	f32   *Tensor  // the float tensor's F32 data, or nil
	total int      // values in the tensor
	got   int      // values received
	dtype DType    // the source's dtype, set by the first Feed
	pend  []byte   // the bytes of an incomplete row (or value)
}

// checksumPlaceholder has a checksum's length, so the header written before the
// checksum is known has the final header's size.
var checksumPlaceholder = "sha256:" + strings.Repeat("0", 64)

// NewQuantWriter lays out the file for qf's metadata (Bits, Block, Config,
// Preprocessor, Vocab, Merges; its tensor maps are filled here) and the tensors in specs.
// admit, when not nil, is asked about the file's size before anything is allocated (a
// limit returns a *TooLargeError).
func NewQuantWriter(qf *QuantFile, specs []QuantSpec, admit func(size int64) error) (*QuantWriter, error) {
	if err := CheckQuantParams(qf.Bits, qf.Block); err != nil {
		return nil, err
	}
	qf.Quant, qf.Float = map[string]*QTensor{}, map[string]*Tensor{}
	w := &QuantWriter{qf: qf, slots: map[string]*slot{}}
	for _, sp := range specs {
		if _, dup := w.slots[sp.Name]; dup {
			return nil, fmt.Errorf("tensor %q is listed twice", sp.Name)
		}
		n := 1
		for _, d := range sp.Shape {
			if d <= 0 || n > math.MaxInt32/d {
				return nil, fmt.Errorf("tensor %q: invalid shape %v", sp.Name, sp.Shape)
			}
			n *= d
		}
		s := &slot{total: n}
		if sp.Bits == 0 {
			s.f32 = &Tensor{DType: F32, Shape: sp.Shape}
			qf.Float[sp.Name] = s.f32
		} else {
			if err := CheckQuantParams(sp.Bits, qf.Block); err != nil {
				return nil, fmt.Errorf("tensor %q: %w", sp.Name, err)
			}
			if len(sp.Shape) < 2 {
				return nil, fmt.Errorf("tensor %q: only tensors of rank ≥ 2 are quantized, got shape %v", sp.Name, sp.Shape)
			}
			s.q = newQTensor(sp.Shape, sp.Bits, qf.Block)
			qf.Quant[sp.Name] = s.q
		}
		w.slots[sp.Name] = s
	}
	f, err := qf.layout(false)
	if err != nil {
		return nil, err
	}
	f.Metadata[metaChecksum] = checksumPlaceholder
	hdr, names, err := encodeHeader(f, true)
	if err != nil {
		return nil, err
	}
	size := int64(len(hdr))
	for _, name := range names {
		t := f.Tensors[name]
		size += int64(t.NumElements() * t.DType.Size())
	}
	if admit != nil {
		if err := admit(size); err != nil {
			return nil, err
		}
	}
	w.f, w.buf, w.hdrLen = f, make([]byte, size), len(hdr)
	off := len(hdr)
	for _, name := range names {
		t := f.Tensors[name]
		n := t.NumElements() * t.DType.Size()
		dst := w.buf[off : off+n : off+n]
		copy(dst, t.Data) // the gzipped tokenizer; the rest arrives by Feed
		t.Data = dst
		off += n
	}
	return w, nil
}

// TooLargeError says that a quantized file would exceed a size limit.
type TooLargeError struct{ Size, Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the quantized file would be %.1f MB, more than the limit of %.1f MB", float64(e.Size)/1e6, float64(e.Limit)/1e6)
}

// Size is the size of the file being written.
func (w *QuantWriter) Size() int64 { return int64(len(w.buf)) }

// Feed gives the next bytes of tensor name's values, in dtype (any dtype Float32s
// converts), in order; pieces may end anywhere, even inside a value.
func (w *QuantWriter) Feed(name string, data []byte, dtype DType) error {
	s := w.slots[name]
	if s == nil {
		return fmt.Errorf("tensor %q is not part of the file", name)
	}
	if s.dtype == "" {
		if dtype.Size() == 0 {
			return fmt.Errorf("tensor %q: unsupported dtype %q", name, dtype)
		}
		s.dtype = dtype
	} else if dtype != s.dtype {
		return fmt.Errorf("tensor %q: fed as %s, then as %s", name, s.dtype, dtype)
	}
	unit := dtype.Size() // bytes per step: a row of a matrix, a value of a float tensor
	if s.q != nil {
		unit *= s.q.Cols
	}
	if len(data) > (s.total-s.got)*dtype.Size()-len(s.pend) {
		return fmt.Errorf("tensor %q: more data than its shape holds", name)
	}
	if len(s.pend) > 0 { // complete the pending step first
		k := min(unit-len(s.pend), len(data))
		s.pend = append(s.pend, data[:k]...)
		data = data[k:]
		if len(s.pend) < unit {
			return nil
		}
		if err := w.put(name, s, s.pend); err != nil {
			return err
		}
		s.pend = s.pend[:0]
	}
	whole := len(data) / unit * unit
	if whole > 0 {
		if err := w.put(name, s, data[:whole]); err != nil {
			return err
		}
	}
	if rest := data[whole:]; len(rest) > 0 {
		if s.pend == nil {
			s.pend = make([]byte, 0, unit)
		}
		s.pend = append(s.pend, rest...)
	}
	return nil
}

// put converts whole steps (rows, or values) into their place.
func (w *QuantWriter) put(name string, s *slot, data []byte) error {
	size := s.dtype.Size()
	if s.q == nil {
		vals := make([]float32, len(data)/size)
		if err := decodeFloat32s(s.dtype, data, vals); err != nil {
			return fmt.Errorf("tensor %q: %w", name, err)
		}
		dst := s.f32.Data[4*s.got:]
		for i, v := range vals {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
		s.got += len(vals)
		return nil
	}
	cols := s.q.Cols
	r0, n := s.got/cols, len(data)/(size*cols)
	err := s.q.quantizeRows(r0, n, func(r int, dst []float32) {
		decodeFloat32s(s.dtype, data[(r-r0)*cols*size:], dst) // the dtype was checked above
	})
	if err != nil {
		return fmt.Errorf("tensor %q: %w", name, err)
	}
	s.got += n * cols
	return nil
}

// Finish checks that every tensor was fed whole, writes the checksum and the header, and
// returns the file. The QuantFile given to NewQuantWriter then describes it (its tensors
// share the returned bytes).
func (w *QuantWriter) Finish() ([]byte, error) {
	for _, name := range slices.Sorted(maps.Keys(w.slots)) { // the same error every run
		if s := w.slots[name]; s.got != s.total {
			return nil, fmt.Errorf("tensor %q: %d of its %d values were given", name, s.got, s.total)
		}
	}
	delete(w.f.Metadata, metaChecksum)
	w.qf.Checksum = checksum(w.f)
	w.f.Metadata[metaChecksum] = w.qf.Checksum
	hdr, _, err := encodeHeader(w.f, false)
	if err != nil {
		return nil, err
	}
	if len(hdr) != w.hdrLen {
		return nil, fmt.Errorf("internal error: the header is %d bytes, %d were planned", len(hdr), w.hdrLen)
	}
	copy(w.buf, hdr)
	return w.buf, nil
}
