package weights

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The quantized model file is one safetensors file that holds everything the engine
// needs, so a browser can run it from a single download:
//
//   - quantized matrices as NAME.q (I8, or U8 with two 4-bit values per byte) and
//     NAME.scale (F16, one per block), see QuantizeMatrix; each matrix has its own bit
//     width (a 4-bit model may keep some at 8 bits), "bits" is the model's nominal one;
//   - the small tensors (norms, biases, position and class embeddings, logit scale) as F32
//     under their own names;
//   - the tokenizer's vocab.json and merges.txt, gzipped, as U8 tensors under TokVocab
//     and TokMerges;
//   - in the metadata: the format and its version, bits, block, the model's hub
//     config.json, the image preprocessing, the original shape of every quantized
//     matrix, and a SHA-256 of all of the above, so a truncated, corrupted or edited file
//     is refused instead of producing wrong embeddings.
const (
	QuantFormat        = "clip-go-quant"
	QuantFormatVersion = 1

	TokVocab  = "tokenizer/vocab.json.gz"
	TokMerges = "tokenizer/merges.txt.gz"

	quantSuffix = ".q"
	scaleSuffix = ".scale"
)

// Metadata keys.
const (
	metaFormat       = "format"
	metaVersion      = "format_version"
	metaBits         = "bits"
	metaBlock        = "block"
	metaConfig       = "config"
	metaPreprocessor = "preprocessor"
	metaQuantized    = "quantized"
	metaChecksum     = "checksum"
	metaActBits      = "activation_bits"
)

// quantEntry is a quantized matrix's entry in the metadata.
type quantEntry struct {
	Bits  int   `json:"bits"`
	Shape []int `json:"shape"`
}

// maxTokenizerBytes bounds the decompressed tokenizer files (the CLIP vocabulary is
// about 1.5 MB), so a crafted file cannot inflate to gigabytes.
const maxTokenizerBytes = 64 << 20

// QuantFile is the content of a quantized model file.
type QuantFile struct {
	Bits, Block int // the nominal bit width (matrices have their own, see QTensor.Bits)
	// ActBits is the width engines quantize activations to: 8 (0 means 8), or 7, which
	// costs a little accuracy and lets WebAssembly's relaxed SIMD multiply int8 weights
	// by activations (plus 64, 0..127) in one exact instruction per 16 inputs. Files with
	// 8 do not record it, so they stay byte for byte what earlier versions wrote.
	ActBits      int
	Config       []byte // the model's config.json (hub schema)
	Preprocessor []byte // JSON {"size": n, "mean": [r, g, b], "std": [r, g, b]}
	Vocab        []byte // tokenizer vocab.json
	Merges       []byte // tokenizer merges.txt
	Float        map[string]*Tensor
	Quant        map[string]*QTensor
	// Checksum is "sha256:HEX" of the content; set by File and ParseQuant.
	Checksum string
}

// File lays the model out as a safetensors file, with its checksum.
func (qf *QuantFile) File() (*File, error) {
	f, err := qf.layout(true)
	if err != nil {
		return nil, err
	}
	qf.Checksum = checksum(f)
	f.Metadata[metaChecksum] = qf.Checksum
	return f, nil
}

// layout is File without the checksum; validate checks the tensors' data (a QuantWriter
// lays the file out before its data exists).
func (qf *QuantFile) layout(validate bool) (*File, error) {
	if err := CheckQuantParams(qf.Bits, qf.Block); err != nil {
		return nil, err
	}
	f := NewFile()
	shapes := map[string]quantEntry{}
	for name, q := range qf.Quant {
		if q.Block != qf.Block {
			return nil, fmt.Errorf("tensor %q is quantized in blocks of %d, the file in blocks of %d", name, q.Block, qf.Block)
		}
		if validate {
			if err := q.Validate(); err != nil {
				return nil, fmt.Errorf("tensor %q: %w", name, err)
			}
		}
		f.Tensors[name+quantSuffix] = q.Q
		f.Tensors[name+scaleSuffix] = q.Scale
		shapes[name] = quantEntry{Bits: q.Bits, Shape: q.Shape}
	}
	for name, t := range qf.Float {
		if _, dup := f.Tensors[name]; dup {
			return nil, fmt.Errorf("tensor name %q is used twice", name)
		}
		if t.DType != F32 {
			return nil, fmt.Errorf("tensor %q: float tensors are stored as F32, got %s", name, t.DType)
		}
		f.Tensors[name] = t
	}
	for name, data := range map[string][]byte{TokVocab: qf.Vocab, TokMerges: qf.Merges} {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(data)
		zw.Close()
		f.Tensors[name] = &Tensor{DType: U8, Shape: []int{buf.Len()}, Data: buf.Bytes()}
	}
	shapesJSON, err := json.Marshal(shapes)
	if err != nil {
		return nil, err
	}
	f.Metadata = map[string]string{
		metaFormat:       QuantFormat,
		metaVersion:      strconv.Itoa(QuantFormatVersion),
		metaBits:         strconv.Itoa(qf.Bits),
		metaBlock:        strconv.Itoa(qf.Block),
		metaConfig:       string(qf.Config),
		metaPreprocessor: string(qf.Preprocessor),
		metaQuantized:    string(shapesJSON),
	}
	switch qf.ActBits {
	case 0, 8:
	case 7:
		f.Metadata[metaActBits] = "7"
	default:
		return nil, fmt.Errorf("unsupported activation width %d (supported: 8, 7)", qf.ActBits)
	}
	return f, nil
}

// WriteQuantFile writes the model atomically (see WriteFile).
func WriteQuantFile(path string, qf *QuantFile) error {
	f, err := qf.File()
	if err != nil {
		return err
	}
	return WriteFile(path, f)
}

// checksum hashes the metadata (without the checksum itself) and every tensor's name,
// dtype, shape and data, in sorted order, with lengths so no two contents collide.
func checksum(f *File) string {
	h := sha256.New()
	var n [8]byte
	put := func(b []byte) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	keys := make([]string, 0, len(f.Metadata))
	for k := range f.Metadata {
		if k != metaChecksum {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		put([]byte(k))
		put([]byte(f.Metadata[k]))
	}
	for _, name := range f.Names() {
		t := f.Tensors[name]
		put([]byte(name))
		put([]byte(t.DType))
		put([]byte(fmt.Sprint(t.Shape)))
		put(t.Data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// IsQuant reports whether a parsed safetensors file is a quantized model file.
func IsQuant(f *File) bool { return f.Metadata[metaFormat] == QuantFormat }

// ReadQuantFile reads and validates a quantized model file; errors name the file.
func ReadQuantFile(path string) (*QuantFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	qf, err := ParseQuant(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return qf, nil
}

// ParseQuant decodes and validates a quantized model file held in memory. Tensor data
// shares memory with buf. It checks the format and version, the bit width and block,
// that every quantized matrix has its data and scales with consistent shapes, that no
// tensor is unaccounted for, and the checksum.
func ParseQuant(buf []byte) (*QuantFile, error) { return ParseQuantVerified(buf, "") }

// ParseQuantVerified is ParseQuant for a copy of a file whose checksum, verified, was
// checked moments ago by another parse (the page's engine workers each load a copy of
// the file the first one verified): when the file's recorded checksum is verified it is
// not computed again, which takes seconds for a large model in WebAssembly. Every other
// check is made; any other checksum is computed and compared as ParseQuant does.
func ParseQuantVerified(buf []byte, verified string) (*QuantFile, error) {
	f, err := Parse(buf)
	if err != nil {
		return nil, err
	}
	md := f.Metadata
	if md[metaFormat] != QuantFormat {
		if len(md) == 0 || md[metaFormat] == "" {
			return nil, fmt.Errorf("not a quantized CLIP model: a plain safetensors file (quantize it with `clip quantize`)")
		}
		return nil, fmt.Errorf("not a quantized CLIP model: format %q, want %q", md[metaFormat], QuantFormat)
	}
	if v := md[metaVersion]; v != strconv.Itoa(QuantFormatVersion) {
		return nil, fmt.Errorf("quantized model format version %q is not supported (this build reads version %d)", v, QuantFormatVersion)
	}
	// The checksum comes first: any later error in a file that passes it is a bug in the
	// writer, not damage.
	want := md[metaChecksum]
	if want == "" {
		return nil, fmt.Errorf("quantized model has no checksum")
	}
	if want != verified {
		if got := checksum(f); want != got {
			return nil, fmt.Errorf("checksum mismatch: the file is damaged or was modified (stored %s, content %s)", short(want), short(got))
		}
	}
	qf := &QuantFile{Float: map[string]*Tensor{}, Quant: map[string]*QTensor{}, Checksum: md[metaChecksum]}
	if qf.Bits, err = strconv.Atoi(md[metaBits]); err != nil {
		return nil, fmt.Errorf("bad bit width %q", md[metaBits])
	}
	if qf.Block, err = strconv.Atoi(md[metaBlock]); err != nil {
		return nil, fmt.Errorf("bad block size %q", md[metaBlock])
	}
	if err := CheckQuantParams(qf.Bits, qf.Block); err != nil {
		return nil, err
	}
	switch v, ok := md[metaActBits]; {
	case !ok:
		qf.ActBits = 8
	case v == "7":
		qf.ActBits = 7
	default:
		return nil, fmt.Errorf("unsupported activation width %q (supported: 8, 7)", v)
	}
	qf.Config, qf.Preprocessor = []byte(md[metaConfig]), []byte(md[metaPreprocessor])
	if !json.Valid(qf.Config) || !json.Valid(qf.Preprocessor) {
		return nil, fmt.Errorf("config or preprocessor metadata is not valid JSON")
	}
	var entries map[string]quantEntry
	if err := json.Unmarshal([]byte(md[metaQuantized]), &entries); err != nil {
		return nil, fmt.Errorf("bad list of quantized tensors: %v", err)
	}
	used := map[string]bool{}
	// In sorted order, not the maps' random one: a bad file gets the same error every run.
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		e := entries[name]
		shape := e.Shape
		q := &QTensor{Shape: shape, Bits: e.Bits, Block: qf.Block, Q: f.Tensors[name+quantSuffix], Scale: f.Tensors[name+scaleSuffix]}
		if len(shape) > 0 {
			q.Rows = shape[0]
			q.Cols = 1
			for _, d := range shape[1:] {
				if d <= 0 || q.Cols > 1<<40/d {
					return nil, fmt.Errorf("tensor %q: invalid shape %v", name, shape)
				}
				q.Cols *= d
			}
		}
		if err := q.Validate(); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		qf.Quant[name] = q
		used[name+quantSuffix], used[name+scaleSuffix] = true, true
	}
	for _, tf := range []struct {
		name string
		dst  *[]byte
	}{{TokVocab, &qf.Vocab}, {TokMerges, &qf.Merges}} {
		t, ok := f.Tensors[tf.name]
		if !ok || t.DType != U8 {
			return nil, fmt.Errorf("missing tokenizer file %s", tf.name)
		}
		if *tf.dst, err = gunzip(t.Data); err != nil {
			return nil, fmt.Errorf("tokenizer file %s: %v", tf.name, err)
		}
		used[tf.name] = true
	}
	for _, name := range f.Names() {
		t := f.Tensors[name]
		if used[name] {
			continue
		}
		if t.DType != F32 {
			return nil, fmt.Errorf("tensor %q: %s is neither a quantized matrix nor an F32 tensor", name, t.DType)
		}
		qf.Float[name] = t
	}
	return qf, nil
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxTokenizerBytes+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxTokenizerBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxTokenizerBytes)
	}
	return out, nil
}

func short(sum string) string {
	if len(sum) > 23 {
		return sum[:23] + "…"
	}
	return sum
}

// IsQuantFile reports whether path is a quantized model file, reading only its header.
// It returns false without error for folders and for files that are not safetensors.
func IsQuantFile(path string) bool {
	fh, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	if st, err := fh.Stat(); err != nil || st.IsDir() {
		return false
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(fh, lenBuf[:]); err != nil {
		return false
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderSize {
		return false
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(fh, hdr); err != nil {
		// A truncated header still shows its format key: let ParseQuant say what is wrong.
		return bytes.Contains(hdr, []byte(`"`+QuantFormat+`"`))
	}
	var h struct {
		Meta map[string]string `json:"__metadata__"`
	}
	if json.Unmarshal(hdr, &h) != nil {
		return strings.Contains(string(hdr), `"`+QuantFormat+`"`)
	}
	return h.Meta[metaFormat] == QuantFormat
}
