package weights

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestStreamMatchesParse: fed in random pieces, a stream hands over every tensor's bytes
// as Parse reads them, in file order, skipping a gap between tensors.
func TestStreamMatchesParse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	f := NewFile()
	f.Metadata["format"] = "pt"
	for i, shape := range [][]int{{3, 5}, {7}, {}, {2, 2, 2}, {0}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		vals := make([]float32, n)
		for k := range vals {
			vals[k] = rng.Float32()
		}
		f.Tensors[string(rune('a'+i))] = FromFloat32s(shape, vals)
	}
	var buf bytes.Buffer
	if err := Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	// A file with a gap: 8 bytes between two tensors, as another writer may align them.
	hdr := []byte(`{"x":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"y":{"dtype":"U8","shape":[2],"data_offsets":[11,13]}}`)
	gap := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	gap = append(append(gap, hdr...), 1, 2, 3, 9, 9, 9, 9, 9, 9, 9, 9, 4, 5, 7, 7)
	for _, file := range [][]byte{buf.Bytes(), gap} {
		want, err := Parse(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, maxPiece := range []int{1, 3, 50, len(file)} {
			got := map[string][]byte{}
			var order []string
			s := &Stream{OnData: func(ts *TensorSpan, piece []byte) error {
				if len(order) == 0 || order[len(order)-1] != ts.Name {
					order = append(order, ts.Name)
				}
				got[ts.Name] = append(got[ts.Name], piece...)
				return nil
			}}
			for rest := file; len(rest) > 0; {
				k := min(len(rest), 1+rng.IntN(maxPiece))
				if _, err := s.Write(rest[:k]); err != nil {
					t.Fatal(err)
				}
				rest = rest[k:]
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			for name, tt := range want.Tensors {
				if !bytes.Equal(got[name], tt.Data) {
					t.Errorf("pieces up to %d: tensor %s: %v, want %v", maxPiece, name, got[name], tt.Data)
				}
			}
			if s.Received() != int64(len(file)) || s.Total() > int64(len(file)) {
				t.Errorf("received %d, total %d, file %d", s.Received(), s.Total(), len(file))
			}
			if file[0] != gap[0] && strings.Join(order, "") != "abcd" { // e (empty) gets no bytes
				t.Errorf("tensors in order %v", order)
			}
		}
	}
}

// TestStreamErrors: a file cut in its length, its header or its data; a header length
// over the limit; a header that is not JSON.
func TestStreamErrors(t *testing.T) {
	f := NewFile()
	f.Tensors["w"] = FromFloat32s([]int{4}, []float32{1, 2, 3, 4})
	var buf bytes.Buffer
	Write(&buf, f)
	file := buf.Bytes()
	for _, c := range []struct {
		cut  int
		want string
	}{{0, "empty"}, {5, "header is not complete"}, {20, "header is not complete"}, {len(file) - 1, `"w" is incomplete`}} {
		s := &Stream{}
		s.Write(file[:c.cut])
		if err := s.Close(); err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("cut at %d: %v", c.cut, err)
		}
	}
	s := &Stream{MaxHeader: 16}
	if _, err := s.Write(file); err == nil || !strings.Contains(err.Error(), "exceeds the limit of 16") {
		t.Errorf("header over the limit: %v", err)
	}
	if _, err := s.Write(file); err == nil {
		t.Error("a stream that failed took more bytes")
	}
	bad := append(binary.LittleEndian.AppendUint64(nil, 8), "not json"...)
	if _, err := (&Stream{}).Write(bad); err == nil || !strings.Contains(err.Error(), "corrupt safetensors header") {
		t.Errorf("a header that is not JSON: %v", err)
	}
}
