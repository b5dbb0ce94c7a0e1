package site

import (
	"compress/gzip"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Precompress writes a gzipped copy (name.gz, best compression) beside each file of the
// site that compresses (compressible), for hosts that send such a copy in place of the
// file to a browser that accepts gzip: Caddy's file_server precompressed, nginx's
// gzip_static, make serve. The wasm files shrink to 27-40%; a quantized model barely
// shrinks. A copy is rewritten unless newer than its file, and one whose file is
// gone is removed: a stale copy would be served as the file. (No .br: Go's standard
// library has no brotli, and the hosts that compress with brotli do it themselves.)
func Precompress(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if precompressed(p) {
			if _, err := os.Stat(strings.TrimSuffix(p, ".gz")); os.IsNotExist(err) {
				return os.Remove(p)
			}
			return nil
		}
		if !compressible[path.Ext(p)] {
			return nil
		}
		src, err := d.Info()
		if err != nil {
			return err
		}
		if freshCopy(p, src) {
			return nil
		}
		return gzipFile(p, p+".gz")
	})
}

// freshCopy says whether file (whose stat is st) has a precompressed copy newer than it:
// one that holds its current bytes.
func freshCopy(file string, st fs.FileInfo) bool {
	gz, err := os.Stat(file + ".gz")
	return err == nil && gz.ModTime().After(st.ModTime())
}

// precompressed tells a precompressed copy by its name.
func precompressed(name string) bool { return strings.HasSuffix(name, ".gz") }

func gzipFile(src, dst string) error {
	raw, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	tmp := dst + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	_, err = zw.Write(raw)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, dst)
}
