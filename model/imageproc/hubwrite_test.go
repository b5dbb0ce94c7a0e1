package imageproc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMarshalHubRoundTrip(t *testing.T) {
	for _, trim := range []bool{false, true} {
		c := Config{Size: 64, Mean: [3]float32{0.5, 0.4, 0.3}, Std: [3]float32{0.2, 0.25, 0.3}, Trim: trim}
		js, err := c.MarshalHub()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "preprocessor_config.json")
		os.WriteFile(path, js, 0o644)
		back, err := LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		if back != c {
			t.Errorf("round trip: %+v, want %+v", back, c)
		}
		// CLIP's own preprocessing writes exactly the hub's keys, nothing of ours.
		if has := strings.Contains(string(js), "trim_border"); has != trim {
			t.Errorf("trim %v: trim_border written: %v\n%s", trim, has, js)
		}
	}
}
