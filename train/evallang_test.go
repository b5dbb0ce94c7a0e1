package train

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRelabel(t *testing.T) {
	for _, tc := range []struct {
		name, json, lang string
		want             []string
		err              string
	}{
		{"korean", `{"classes":[{"folder":"red_apple","names":{"en":"red apple","ko":"빨간 사과"}},{"folder":"dog","names":{"ko":"개"}}]}`,
			"ko", []string{"빨간 사과", "개"}, ""},
		{"a class without the language", `{"classes":[{"folder":"red_apple","names":{"ko":"빨간 사과"}},{"folder":"dog","names":{"de":"Hund"}}]}`,
			"ko", nil, `class "dog" has no name in "ko"`},
		{"not JSON", `{"classes":`, "ko", nil, "classes.json"},
		{"no file", "", "ko", nil, "need classes.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, c := range []string{"red_apple", "dog"} {
				os.MkdirAll(filepath.Join(dir, c), 0o755)
				os.WriteFile(filepath.Join(dir, c, "1.png"), []byte("x"), 0o644)
			}
			if tc.json != "" {
				os.WriteFile(filepath.Join(dir, "classes.json"), []byte(tc.json), 0o644)
			}
			es, err := LoadEvalSet(dir)
			if err != nil {
				t.Fatal(err)
			}
			before := slices.Clone(es.Classes)
			err = es.Relabel(dir, tc.lang)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// LoadEvalSet sorts the folders: dog, red apple.
			got := map[string]string{}
			for i := range es.Classes {
				got[before[i]] = es.Classes[i]
			}
			if got["red apple"] != tc.want[0] || got["dog"] != tc.want[1] {
				t.Errorf("classes %v, want red apple→%s, dog→%s", got, tc.want[0], tc.want[1])
			}
		})
	}
}
