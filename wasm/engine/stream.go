package engine

import (
	"errors"
	"fmt"

	"github.com/clip-go/clip/weights"
)

// StreamQuantizer quantizes a float model-hub checkpoint (model.safetensors, in F32, F16
// or BF16) while it downloads: Write takes the file's bytes as they arrive, the header
// is parsed from the first ones, and each tensor is quantized into the output as its
// bytes come (weights.QuantWriter, the same code as Quantize, so the result is
// byte-for-byte the file `clip quantize` writes for the same folder and settings). It
// never holds the float file: its memory is the quantized file plus a row.
type StreamQuantizer struct {
	// Admit, when set, is called with the quantized file's size once the header shows it,
	// before the file is allocated; an error stops the stream (the page frees its current
	// model here when both would not fit).
	Admit func(size int64) error

	in     weights.Stream
	qf     *weights.QuantFile
	cfg    Config
	bits   int
	text   int
	limit  int64
	w      *weights.QuantWriter
	used   map[string]bool
	closed bool
}

// ErrNotCLIP marks a checkpoint that is not a CLIP model in the hub's naming (missing
// parameters, other shapes than its config.json says, not a safetensors file).
var ErrNotCLIP = errors.New("not a CLIP model")

// NewStreamQuantizer prepares to quantize a checkpoint with the given config.json (as
// the quantizer stores it, see HubFiles), tokenizer files and preprocessing; bits,
// textBits (0: TextBitsFor(bits)) and block as for Quantize. A quantized file larger
// than limit bytes (limit > 0) is refused as soon as the header shows it.
func NewStreamQuantizer(configJSON, vocab, merges []byte, pre Preprocessor, bits, textBits, block int, limit int64) (*StreamQuantizer, error) {
	if textBits == 0 {
		textBits = TextBitsFor(bits)
	}
	qf, cfg, err := newQuantFile(configJSON, vocab, merges, pre, bits, block)
	if err != nil {
		return nil, err
	}
	s := &StreamQuantizer{qf: qf, cfg: cfg, bits: bits, text: textBits, limit: limit}
	s.in.OnHeader = s.onHeader
	s.in.OnData = func(t *weights.TensorSpan, piece []byte) error {
		if !s.used[t.Name] {
			return nil // buffers the model does not use (position_ids)
		}
		if err := s.w.Feed(t.Name, piece, t.DType); err != nil {
			return fmt.Errorf("parameter %q: %w", t.Name, err)
		}
		return nil
	}
	// The hub's CLIP headers are tens of kB; a megabyte leaves room without letting a
	// crafted length make the page allocate.
	s.in.MaxHeader = 1 << 20
	return s, nil
}

func (s *StreamQuantizer) onHeader(h *weights.Header) error {
	shapes := map[string][]int{}
	for _, t := range h.Tensors {
		shapes[t.Name] = t.Shape
	}
	specs, err := quantSpecs(s.cfg, func(name string) ([]int, bool) {
		sh, ok := shapes[name]
		return sh, ok
	}, s.bits, s.text, s.qf.Block)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotCLIP, err)
	}
	s.used = map[string]bool{}
	for _, sp := range specs {
		s.used[sp.Name] = true
	}
	for _, t := range h.Tensors {
		if s.used[t.Name] && t.DType != weights.F32 && t.DType != weights.F16 && t.DType != weights.BF16 {
			return fmt.Errorf("%w: parameter %q is %s, not a float type", ErrNotCLIP, t.Name, t.DType)
		}
	}
	s.w, err = weights.NewQuantWriter(s.qf, specs, func(size int64) error {
		if s.limit > 0 && size > s.limit {
			return &weights.TooLargeError{Size: size, Limit: s.limit}
		}
		if s.Admit != nil {
			return s.Admit(size)
		}
		return nil
	})
	return err
}

// Write takes the next bytes of model.safetensors.
func (s *StreamQuantizer) Write(p []byte) (int, error) {
	n, err := s.in.Write(p)
	if err != nil && s.w == nil && s.in.Total() == 0 {
		var tooLarge *weights.TooLargeError
		if !errors.Is(err, ErrNotCLIP) && !errors.As(err, &tooLarge) {
			err = fmt.Errorf("%w: %v", ErrNotCLIP, err) // not a safetensors file at all
		}
	}
	return n, err
}

// Received and Total are the bytes given so far and the checkpoint's size (0 until its
// header has arrived).
func (s *StreamQuantizer) Received() int64 { return s.in.Received() }
func (s *StreamQuantizer) Total() int64    { return s.in.Total() }

// OutputSize is the quantized file's size, known once the header has arrived (else 0).
func (s *StreamQuantizer) OutputSize() int64 {
	if s.w == nil {
		return 0
	}
	return s.w.Size()
}

// Finish checks that the whole checkpoint arrived and returns the quantized file.
func (s *StreamQuantizer) Finish() ([]byte, error) {
	if s.closed {
		return nil, fmt.Errorf("the quantizer was already finished")
	}
	s.closed = true
	if err := s.in.Close(); err != nil {
		return nil, err
	}
	return s.w.Finish()
}

// SetActBits sets the activation width the file records (weights.QuantFile.ActBits: 8,
// or 7); before the checkpoint's header arrives, as the file's metadata is laid out then.
func (s *StreamQuantizer) SetActBits(n int) error {
	if s.w != nil {
		return fmt.Errorf("the activation width must be set before the checkpoint's header")
	}
	if n != 8 && n != 7 {
		return fmt.Errorf("unsupported activation width %d (supported: 8, 7)", n)
	}
	s.qf.ActBits = n
	return nil
}

// Checksum is the quantized file's checksum (its ID once loaded), after Finish.
func (s *StreamQuantizer) Checksum() string { return s.qf.Checksum }
