package site

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/clip-go/clip/wasm/quanttest"
	"github.com/clip-go/clip/weights"
)

// TestWriteModelManifest: models/default.json gives the page the model's file, size and
// name, and for a quantized file its SHA-256 and recorded checksum (the page checks the
// download against the first and then spares the engine its hash); a file that is not
// one gets neither, and the engine refuses it in the page.
func TestWriteModelManifest(t *testing.T) {
	tmp := t.TempDir()
	good := filepath.Join(tmp, "tiny-int8.safetensors")
	data := quanttest.Model(t, quanttest.TinyConfig, 8, 32, 2)
	if err := os.WriteFile(good, data, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(tmp, "bad.safetensors")
	if err := os.WriteFile(bad, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	qf, err := weights.ParseQuant(append([]byte(nil), data...))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	for _, c := range []struct {
		model, sha, id string
		size           int
	}{
		{good, hex.EncodeToString(sum[:]), qf.Checksum, len(data)},
		{bad, "", "", len("not a model")},
	} {
		out := t.TempDir()
		if err := WriteModel(Options{Out: out, Model: c.model, ModelName: "m"}); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(out, "models", "default.json"))
		if err != nil {
			t.Fatal(err)
		}
		var man struct {
			Name, File, SHA256, ID string
			Bytes                  int
		}
		if err := json.Unmarshal(raw, &man); err != nil {
			t.Fatal(err)
		}
		want := "models/" + filepath.Base(c.model)
		if man.Name != "m" || man.File != want || man.Bytes != c.size || man.SHA256 != c.sha || man.ID != c.id {
			t.Errorf("%s: manifest %s, want file %s, %d bytes, sha256 %q, id %q", c.model, raw, want, c.size, c.sha, c.id)
		}
	}
}
