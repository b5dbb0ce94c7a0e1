package weights

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sample() *File {
	f := NewFile()
	f.Metadata["format"] = "pt"
	f.Tensors["logit_scale"] = FromFloat32s(nil, []float32{4.6052})
	f.Tensors["w"] = FromFloat32s([]int{2, 3}, []float32{1, -2, 3, 4.5, 5, -6})
	f.Tensors["ids"] = FromInt64s([]int{3}, []int64{49406, 7, 49407})
	f.Tensors["h"] = FromFloat16s([]int{2}, []float32{0.5, -1.25})
	f.Tensors["q"] = &Tensor{DType: I8, Shape: []int{3}, Data: []byte{0xff, 0, 127}}
	return f
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := WriteFile(path, sample()); err != nil {
		t.Fatal(err)
	}
	g, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("written with mode %v, want 0644", st.Mode().Perm())
	}
	if g.Metadata["format"] != "pt" {
		t.Errorf("metadata lost: %v", g.Metadata)
	}
	tests := []struct {
		name  string
		shape []int
		want  []float32
	}{
		{"logit_scale", []int{}, []float32{4.6052}},
		{"w", []int{2, 3}, []float32{1, -2, 3, 4.5, 5, -6}},
		{"ids", []int{3}, []float32{49406, 7, 49407}},
		{"h", []int{2}, []float32{0.5, -1.25}},
		{"q", []int{3}, []float32{-1, 0, 127}},
	}
	for _, tc := range tests {
		tt := g.Tensors[tc.name]
		if tt == nil {
			t.Fatalf("%s missing", tc.name)
		}
		if len(tt.Shape) != len(tc.shape) {
			t.Errorf("%s: shape %v, want %v", tc.name, tt.Shape, tc.shape)
		}
		got, err := tt.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s[%d] = %v, want %v", tc.name, i, got[i], tc.want[i])
			}
		}
	}
	ids, _ := g.Tensors["ids"].Int64s()
	if ids[0] != 49406 || ids[2] != 49407 {
		t.Errorf("ids = %v", ids)
	}
}

func TestParseRejectsBadInput(t *testing.T) {
	var good bytes.Buffer
	if err := Write(&good, sample()); err != nil {
		t.Fatal(err)
	}
	b := good.Bytes()
	hdrLen := binary.LittleEndian.Uint64(b[:8])
	withHeader := func(h string) []byte {
		out := make([]byte, 8, 8+len(h)+16)
		binary.LittleEndian.PutUint64(out, uint64(len(h)))
		out = append(out, h...)
		return append(out, make([]byte, 16)...)
	}
	huge := make([]byte, 16)
	binary.LittleEndian.PutUint64(huge, 1<<40)
	tests := []struct {
		name, want string
		data       []byte
	}{
		{"empty", "too short", nil},
		{"huge header", "exceeds the limit", huge},
		{"truncated header", "truncated", b[:8+hdrLen/2]},
		{"truncated data", "truncated", b[:len(b)-3]},
		{"not json", "corrupt", withHeader("{nope")},
		{"bad dtype", "unsupported dtype", withHeader(`{"a":{"dtype":"Q9","shape":[1],"data_offsets":[0,1]}}`)},
		{"size mismatch", "bytes of data", withHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`)},
		{"negative dim", "invalid shape", withHeader(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`)},
		{"overlap", "overlap", withHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`)},
		{"reversed offsets", "invalid data offsets", withHeader(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}`)},
	}
	for _, tc := range tests {
		_, err := Parse(tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

// TestTruncatedNamesFirstMissingTensor: a cut file names, on every run, the first
// tensor in file order whose data is missing (the header is a JSON object, read into a
// map whose order changes from run to run).
func TestTruncatedNamesFirstMissingTensor(t *testing.T) {
	f := NewFile()
	for i := range 12 {
		f.Tensors[fmt.Sprintf("t%02d", i)] = FromFloat32s([]int{4}, []float32{1, 2, 3, float32(i)})
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dataStart := len(b) - 12*16 // Write lays the tensors out in name order, 16 bytes each
	tests := []struct {
		name string
		size int    // bytes kept
		want string // the error names this tensor
		more string // and says how many follow it ("" for none)
	}{
		{"inside the fourth", dataStart + 3*16 + 5, `tensor "t03"`, "and 8 more"},
		{"on a boundary", dataStart + 6*16, `tensor "t06"`, "and 5 more"},
		{"no data", dataStart, `tensor "t00"`, "and 11 more"},
		{"last byte", len(b) - 1, `tensor "t11"`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cut := filepath.Join(t.TempDir(), "cut.safetensors")
			if err := os.WriteFile(cut, b[:tc.size], 0o644); err != nil {
				t.Fatal(err)
			}
			var first string
			for run := range 20 {
				_, err := ReadFile(cut)
				if err == nil {
					t.Fatal("a truncated file was read")
				}
				if run == 0 {
					first = err.Error()
				} else if err.Error() != first {
					t.Fatalf("run %d: %q, run 0: %q", run, err, first)
				}
			}
			if !strings.Contains(first, "truncated") || !strings.Contains(first, tc.want) ||
				(tc.more != "") != strings.Contains(first, "more") || !strings.Contains(first, tc.more) {
				t.Errorf("error %q, want it to say truncated, %s and %q", first, tc.want, tc.more)
			}
		})
	}
	// File order, not name order: "b" and "c" come first in the data section.
	h := `{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`
	buf := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	buf = append(append(buf, h...), make([]byte, 6)...)
	if _, err := Parse(buf); err == nil || !strings.Contains(err.Error(), `tensor "c"`) {
		t.Errorf("err = %v, want it to name tensor \"c\", the first one cut", err)
	}
}

func TestReadFileNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.safetensors")
	os.WriteFile(path, []byte("garbage!garbage!"), 0o644)
	_, err := ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), "broken.safetensors") {
		t.Fatalf("err = %v, want the file name in it", err)
	}
}

func FuzzParse(f *testing.F) {
	var good bytes.Buffer
	Write(&good, sample())
	f.Add(good.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		for _, tt := range file.Tensors {
			tt.Float32s()
		}
	})
}
