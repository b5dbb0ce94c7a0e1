package evaluate

import (
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"os"
	"path/filepath"
)

// cacheVersion changes when the cache's layout or the features' meaning does, so that
// an old cache is recomputed rather than misread. 2: a model file's recorded "trim"
// (imageproc.Config.Trim) is applied, which binaries before it ignored for the same file.
const cacheVersion = "clip-eval-features-2"

// cachePath is the file holding s's features for the model: named by a hash of the model
// id and each item's name and content stamp (size and time), so a changed image or
// model is a miss rather than stale features.
func (o FeatureOptions) cachePath(s *Set) string {
	if o.CacheDir == "" || o.ModelID == "" {
		return ""
	}
	h := sha256.New()
	for _, part := range []string{cacheVersion, o.ModelID} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	for _, it := range s.Items {
		h.Write([]byte(it.Name))
		h.Write([]byte{0})
		h.Write([]byte(it.stamp))
		h.Write([]byte{0})
	}
	return filepath.Join(o.CacheDir, hex.EncodeToString(h.Sum(nil))[:32]+".gob")
}

// readCache loads cached features; ok is false for a missing, unreadable or mismatched
// file (then they are computed again).
func readCache(path string, n int) (*Features, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	var feats Features
	if gob.NewDecoder(f).Decode(&feats) != nil || len(feats.Vecs) != n || len(feats.Errs) != n {
		return nil, false
	}
	for i, v := range feats.Vecs {
		if len(v) == 0 { // gob writes a failed image's nil feature as an empty one
			feats.Vecs[i] = nil
		}
	}
	return &feats, true
}

// writeCache stores features through a temporary file and a rename, so that an
// interrupted run leaves no half-written cache.
func writeCache(path string, feats *Features) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".features-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := gob.NewEncoder(tmp).Encode(feats); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
