package weights

import (
	"bytes"
	"encoding/binary"
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
