package evaluate

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/clip-go/clip/model/zeroshot"
)

// Encoder is what evaluation needs of a model: the GoMLX float model and the quantized
// engine both are one.
type Encoder interface {
	zeroshot.TextEncoder
	EncodeImageFiles(paths []string) ([][]float32, []error, error)
}

// bytesEncoder encodes images held in memory (the quantized engine does): shard members
// need no temporary files with it.
type bytesEncoder interface {
	EncodeImages(images [][]byte) ([][]float32, []error, error)
}

// Features are the image features of a set's items, in order: Vecs[i] is nil and Errs[i]
// says why when item i could not be read or decoded.
type Features struct {
	Vecs [][]float32
	Errs []string
	// Cached is true when they were read from the cache rather than computed.
	Cached bool `json:"-"`
}

// FeatureOptions say where features are cached and how progress is shown.
type FeatureOptions struct {
	// ModelID identifies the model's weights (a quantized file's checksum, a hash of a
	// float folder's files): features are cached per (ModelID, set). "" turns the cache off.
	ModelID string
	// CacheDir holds the cached features; "" turns the cache off.
	CacheDir string
	// Progress, when set, is called after each batch with the images done and in all.
	Progress func(done, total int)
}

// encodeBatch is how many images are encoded between progress reports: large enough
// to keep the encoder's workers busy, small enough to report every few seconds.
const encodeBatch = 128

// Encode returns the features of s's items, from the cache when it holds them (and
// then storing them there).
func Encode(enc Encoder, s *Set, opt FeatureOptions) (*Features, error) {
	cache := opt.cachePath(s)
	if cache != "" {
		if f, ok := readCache(cache, len(s.Items)); ok {
			f.Cached = true
			return f, nil
		}
	}
	f := &Features{Vecs: make([][]float32, len(s.Items)), Errs: make([]string, len(s.Items))}
	for lo := 0; lo < len(s.Items); lo += encodeBatch {
		hi := min(lo+encodeBatch, len(s.Items))
		vecs, errs, err := encodeItems(enc, s.Items[lo:hi])
		if err != nil {
			return nil, fmt.Errorf("eval set %s: %w", s.Source, err)
		}
		for i := range vecs {
			f.Vecs[lo+i] = vecs[i]
			if errs[i] != nil {
				f.Vecs[lo+i], f.Errs[lo+i] = nil, errs[i].Error()
			}
		}
		if opt.Progress != nil {
			opt.Progress(hi, len(s.Items))
		}
	}
	if cache != "" {
		if err := writeCache(cache, f); err != nil {
			return nil, fmt.Errorf("feature cache: %w", err)
		}
	}
	return f, nil
}

// encodeItems encodes files by path and shard members from memory (through temporary
// files for an encoder that only reads files).
func encodeItems(enc Encoder, items []Item) ([][]float32, []error, error) {
	if items[0].path != "" { // a set's items come from one kind of source
		paths := make([]string, len(items))
		for i, it := range items {
			paths[i] = it.path
		}
		return enc.EncodeImageFiles(paths)
	}
	images := make([][]byte, len(items))
	for i, it := range items {
		images[i] = it.data
	}
	if be, ok := enc.(bytesEncoder); ok {
		return be.EncodeImages(images)
	}
	dir, err := os.MkdirTemp("", "clip-eval-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	paths := make([]string, len(items))
	for i, b := range images {
		// The decoder sniffs the format from the content, not the name.
		paths[i] = filepath.Join(dir, fmt.Sprintf("%06d.img", i))
		if err := os.WriteFile(paths[i], b, 0o600); err != nil {
			return nil, nil, err
		}
	}
	vecs, errs, err := enc.EncodeImageFiles(paths)
	for i, e := range errs {
		if e != nil {
			errs[i] = fmt.Errorf("%s: %w", items[i].Name, e)
		}
	}
	return vecs, errs, err
}

// Usable returns the indices of the items that have features.
func (f *Features) Usable() []int {
	var idx []int
	for i, v := range f.Vecs {
		if v != nil {
			idx = append(idx, i)
		}
	}
	return idx
}
