package evaluate

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLoad reads each kind of set, good and bad: what it finds, what it skips and
// counts, and the errors it gives instead of crashing.
func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name    string
		make    func(t *testing.T) string // returns the set's spec
		classes []string
		images  int
		skipped []string // a substring of each Skipped line, in order
		err     string
	}{
		{"folder", func(t *testing.T) string { return writeFolder(t, colourFiles(2, "red", "green")) },
			[]string{"green", "red"}, 4, nil, ""},
		{"class folder without images", func(t *testing.T) string {
			dir := writeFolder(t, colourFiles(2, "red", "green", "blue"))
			os.RemoveAll(filepath.Join(dir, "blue"))
			os.MkdirAll(filepath.Join(dir, "blue"), 0o755)
			os.WriteFile(filepath.Join(dir, "blue", "notes.txt"), []byte("x"), 0o644)
			return dir
		}, []string{"green", "red"}, 4, []string{"notes.txt: not an image file", "blue has no images: class left out"}, ""},
		{"one class", func(t *testing.T) string { return writeFolder(t, colourFiles(2, "red")) },
			nil, 0, nil, "want at least two classes"},
		{"no such folder", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none") },
			nil, 0, nil, "no such folder, CSV or shard"},
		{"csv with a missing file and a short row", func(t *testing.T) string {
			dir := writeFolder(t, colourFiles(1, "red", "green"))
			csv := "file,label\nred/000.png,red\ngreen/000.png, green\nred/gone.png,red\njust-one-field\n"
			os.WriteFile(filepath.Join(dir, "set.csv"), []byte(csv), 0o644)
			return filepath.Join(dir, "set.csv")
		}, []string{"green", "red"}, 2, []string{"gone.png: no such image file", "set.csv:5: want file,label"}, ""},
		{"shard", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "eval-000000.tar")
			writeShard(t, p, []string{"red1", "blue1", "red2"}, []string{"red", "blue", "red"})
			return p
		}, []string{"blue", "red"}, 3, nil, ""},
		{"not a shard", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "x.tar")
			os.WriteFile(p, []byte(strings.Repeat("not a tar ", 100)), 0o644)
			return p
		}, nil, 0, nil, "not a readable tar shard"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Load(tc.make(t))
			if !checkErr(t, err, tc.err) {
				return
			}
			if !slices.Equal(s.Classes, tc.classes) || len(s.Items) != tc.images {
				t.Errorf("classes %v, %d images; want %v, %d", s.Classes, len(s.Items), tc.classes, tc.images)
			}
			if len(s.Skipped) != len(tc.skipped) {
				t.Fatalf("skipped %q, want %d lines", s.Skipped, len(tc.skipped))
			}
			for i, want := range tc.skipped {
				if !strings.Contains(s.Skipped[i], want) {
					t.Errorf("skipped[%d] = %q, want it to say %q", i, s.Skipped[i], want)
				}
			}
			for _, it := range s.Items { // folders and CSVs: an image sits under its class's name
				if c := s.Classes[it.Label]; !strings.Contains(it.Name, c+"/") && !strings.Contains(it.Name, ".tar:"+c) {
					t.Errorf("%s labelled %q", it.Name, c)
				}
			}
		})
	}
}

// TestRename: class names from a classes.json or a list, and clear errors for a file
// that does not match the set's classes.
func TestRename(t *testing.T) {
	const doc = `{"classes":[{"folder":"red","names":{"en":"red","ko":"빨강"}},{"folder":"green","names":{"en":"green"}}]}`
	for _, tc := range []struct {
		name, file, body, lang string
		want                   []string
		err                    string
	}{
		{"classes.json in English", "classes.json", doc, "", []string{"green", "red"}, ""},
		{"a language a class lacks", "classes.json", doc, "ko", nil, `class "green" has no name in "ko"`},
		{"classes.json without a folder", "classes.json", `{"classes":[{"folder":"red","names":{"en":"r"}}]}`, "", nil, `no entry for class "green"`},
		{"not JSON", "classes.json", `{"classes":`, "", nil, "classes.json"},
		{"a list", "names.txt", "verdant\ncrimson\n", "", []string{"verdant", "crimson"}, ""},
		{"a list too short", "names.txt", "crimson\n", "", nil, "1 names for 2 classes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFolder(t, colourFiles(1, "red", "green"))
			file := filepath.Join(t.TempDir(), tc.file)
			os.WriteFile(file, []byte(tc.body), 0o644)
			s, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Rename(file, tc.lang)
			if !checkErr(t, err, tc.err) {
				return
			}
			if !slices.Equal(s.Classes, tc.want) {
				t.Errorf("classes %v, want %v", s.Classes, tc.want)
			}
		})
	}
}

// checkErr fails the test unless err is the wanted one (nil for want ""); it reports
// whether the test goes on (no error was wanted).
func checkErr(t *testing.T, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return true
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one with %q", err, want)
	}
	return false
}
