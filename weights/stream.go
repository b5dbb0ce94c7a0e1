package weights

import (
	"fmt"
)

// Stream reads a safetensors file as its bytes arrive (a download), without holding
// it: once the header is complete it calls OnHeader, then hands every tensor's bytes to
// OnData in file order, in pieces as they come. Bytes between tensors and after the
// last one are skipped, as Parse ignores them.
type Stream struct {
	// OnHeader is called once with the parsed header; an error stops the stream.
	OnHeader func(h *Header) error
	// OnData gets the next piece of a tensor's data (a sub-slice of what Write got).
	OnData func(t *TensorSpan, piece []byte) error
	// MaxHeader bounds the header's size (default MaxHeaderSize): its length is the
	// file's first, attacker-controlled, 8 bytes.
	MaxHeader int

	pos    int64  // bytes received
	hdr    []byte // the length prefix and the header, until the header is complete
	hdrEnd int64  // where the data section starts, once known
	header *Header
	next   int // the tensor whose data comes next
	err    error
}

// Received is the number of bytes given to Write.
func (s *Stream) Received() int64 { return s.pos }

// Total is the file's size as the header says (the end of the last tensor's data), or 0
// before the header is complete.
func (s *Stream) Total() int64 {
	if s.header == nil {
		return 0
	}
	return s.hdrEnd + s.header.DataSize()
}

// Write takes the next bytes of the file. After an error every call returns it.
func (s *Stream) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := len(p)
	if err := s.write(p); err != nil {
		s.err = err
		return 0, err
	}
	return n, nil
}

func (s *Stream) write(p []byte) error {
	if s.header == nil {
		limit := s.MaxHeader
		if limit <= 0 {
			limit = MaxHeaderSize
		}
		need := 8
		if len(s.hdr) >= 8 {
			n, err := HeaderLength(s.hdr)
			if err != nil {
				return err
			}
			if n > uint64(limit) {
				return fmt.Errorf("not a safetensors file: header length %d exceeds the limit of %d bytes", n, limit)
			}
			need = 8 + int(n)
		}
		for len(s.hdr) < need && len(p) > 0 {
			k := min(need-len(s.hdr), len(p))
			s.hdr = append(s.hdr, p[:k]...)
			p, s.pos = p[k:], s.pos+int64(k)
			if len(s.hdr) == 8 {
				return s.write(p) // now the header's length is known
			}
		}
		if len(s.hdr) < need {
			return nil
		}
		h, err := ParseHeader(s.hdr[8:])
		if err != nil {
			return err
		}
		s.header, s.hdrEnd, s.hdr = h, s.pos, nil
		if s.OnHeader != nil {
			if err := s.OnHeader(h); err != nil {
				return err
			}
		}
	}
	for len(p) > 0 && s.next < len(s.header.Tensors) {
		t := &s.header.Tensors[s.next]
		off := s.pos - s.hdrEnd // the position in the data section
		if off < t.Start {      // a gap before the tensor
			k := min(t.Start-off, int64(len(p)))
			p, s.pos = p[k:], s.pos+k
			continue
		}
		k := min(t.End-off, int64(len(p)))
		if k > 0 && s.OnData != nil {
			if err := s.OnData(t, p[:k]); err != nil {
				return err
			}
		}
		p, s.pos = p[k:], s.pos+k
		if s.pos-s.hdrEnd >= t.End {
			s.next++
		}
	}
	s.pos += int64(len(p)) // past the last tensor
	return nil
}

// Close reports a file that ended early: before its header was complete, or before the
// end of its last tensor.
func (s *Stream) Close() error {
	if s.err != nil {
		return s.err
	}
	switch {
	case s.header == nil && s.pos == 0:
		s.err = fmt.Errorf("truncated safetensors file: it is empty")
	case s.header == nil:
		s.err = fmt.Errorf("truncated safetensors file: %d bytes, the header is not complete", s.pos)
	case s.pos < s.Total():
		s.err = fmt.Errorf("truncated safetensors file: %d of its %d bytes (tensor %q is incomplete)", s.pos, s.Total(), s.header.Tensors[s.next].Name)
	}
	return s.err
}
