package corpus

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNormHex(t *testing.T) {
	for in, want := range map[string]string{
		"1f600":                 "1F600",
		"263a-fe0f":             "263A",
		"1F3F3-FE0F-200D-1F308": "1F3F3-200D-1F308",
		"1f3f3_fe0f_200d_1f308": "1F3F3-200D-1F308",
		"0023-FE0F-20E3":        "0023-20E3",
		"23-20e3":               "0023-20E3",
		"1f441-fe0f-200d-1f5e8": "1F441-200D-1F5E8",
	} {
		if got := normHex(in); got != want {
			t.Errorf("normHex(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"A button (blood type)":  "a-button-blood-type",
		"Japanese “here” button": "japanese-here-button",
		"keycap: #":              "keycap-hash",
		"woman’s hat":            "womans-hat",
		"T-Rex":                  "t-rex",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// fakeEmojibase is a tiny emojibase-data: four concepts in two subgroups, a regional
// indicator (no group) and a skin-tone component, which are left out.
func fakeEmojibase(t *testing.T) map[string][]byte {
	t.Helper()
	type entry struct {
		Label    string   `json:"label"`
		Hexcode  string   `json:"hexcode"`
		Emoji    string   `json:"emoji"`
		Tags     []string `json:"tags"`
		Group    *int     `json:"group,omitempty"`
		Subgroup *int     `json:"subgroup,omitempty"`
		Order    int      `json:"order"`
	}
	ip := func(i int) *int { return &i }
	files := map[string][]byte{}
	js := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	files["meta/groups.json"] = js(map[string]any{
		"groups":    map[string]string{"0": "smileys-emotion", "2": "component", "3": "animals-nature"},
		"subgroups": map[string]string{"0": "face-smiling", "1": "skin-tone", "2": "animal-reptile"},
	})
	for _, loc := range Locales {
		sfx := ""
		if loc != "en" {
			sfx = " (" + loc + ")"
		}
		files[loc+"/data.json"] = js([]entry{
			{"turtle" + sfx, "1F422", "🐢", []string{"reptile", "terrapin"}, ip(3), ip(2), 3},
			{"grinning face" + sfx, "1F600", "😀", []string{"face", "grin"}, ip(0), ip(0), 1},
			{"smiling face" + sfx, "263A", "☺️", []string{"face", "turtle" + sfx}, ip(0), ip(0), 2},
			{"snake" + sfx, "1F40D", "🐍", []string{"serpent"}, ip(3), ip(2), 4},
			{"regional indicator A", "1F1E6", "🇦", nil, nil, nil, 0},
			{"light skin tone", "1F3FB", "🏻", nil, ip(2), ip(1), 5},
		})
		files[loc+"/messages.json"] = js(map[string]any{
			"groups":    []map[string]string{{"key": "smileys-emotion", "message": "smileys" + sfx}, {"key": "animals-nature", "message": "animals & nature" + sfx}},
			"subgroups": []map[string]string{{"key": "face-smiling", "message": "smiling" + sfx}, {"key": "animal-reptile", "message": "reptiles" + sfx}},
		})
	}
	files["en/shortcodes/joypixels.json"] = js(map[string]any{"1F600": []string{"grinning", "grinning_face"}, "1F422": "turtle"})
	files["en/shortcodes/github.json"] = js(map[string]any{"263A": "relaxed"})
	return files
}

func TestLoadEmojibase(t *testing.T) {
	db, err := loadEmojibase(fakeEmojibase(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range db.Concepts {
		got = append(got, c.Hex+" "+c.Names["en"])
	}
	if want := "1F600 grinning face,263A smiling face,1F422 turtle,1F40D snake"; strings.Join(got, ",") != want {
		t.Errorf("concepts %q, want %q (CLDR order, no components or indicators)", strings.Join(got, ","), want)
	}
	c := db.byHex["1F422"]
	if c.Names["ko"] != "turtle (ko)" || c.Group != "animals-nature" || c.Subgroup != "animal-reptile" {
		t.Errorf("turtle: %+v", c)
	}
	if db.Subgroups["ko"]["animal-reptile"] != "reptiles (ko)" {
		t.Errorf("subgroup names: %v", db.Subgroups["ko"])
	}
	for name, want := range map[string]string{"turtle": "1F422", "grinning": "1F600", "grinningface": "1F600",
		"relaxed": "263A", "snake-2": "1F40D", "smiling-face": "263A", "nothing": ""} {
		got := ""
		if c := db.conceptForIconName(name); c != nil {
			got = c.Hex
		}
		if got != want {
			t.Errorf("conceptForIconName(%q) = %q, want %q", name, got, want)
		}
	}
}

// writeTGZ writes an npm-style tarball (files under package/).
func writeTGZ(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range sortedKeys(files) {
		body := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: "package/" + name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pkg.tgz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEmojiJobs(t *testing.T) {
	db, err := loadEmojibase(fakeEmojibase(t))
	if err != nil {
		t.Fatal(err)
	}
	all := func(*Concept) bool { return true }

	tw := writeTGZ(t, map[string]string{
		"dist/svg/1f422.svg":     redSquare,
		"dist/svg/263a.svg":      redSquare,
		"dist/svg/1f9ff.svg":     redSquare, // not a concept here
		"dist/twemoji.js":        "",
		"dist/svg/263a-fe0f.svg": redSquare, // the same code points spelt with FE0F: one kept
	})
	jobs, err := twemojiJobs(tw, all, db)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.id)
	}
	if got := strings.Join(ids, ","); got != "263a,1f422" {
		t.Errorf("twemoji jobs %q, want 263a,1f422", got)
	}

	om := writeTGZ(t, map[string]string{"color/svg/1F600.svg": redSquare, "black/svg/1F600.svg": redSquare})
	jobs, err = openmojiJobs(om, all, db)
	if err != nil || len(jobs) != 2 || jobs[0].style != "openmoji-black" || jobs[1].style != "openmoji-color" {
		t.Errorf("openmoji jobs %+v, %v", jobs, err)
	}

	// An Iconify set without code points is joined by name.
	icons := `{"prefix":"x","width":32,"height":32,"icons":{
		"turtle":{"body":"<path d='M0 0h32v32H0z'/>"},
		"grinning":{"body":"<path d='M0 0h32v32H0z'/>","width":16},
		"hidden-one":{"body":"<path/>","hidden":true},
		"nothing":{"body":"<path/>"}}}`
	set := writeTGZ(t, map[string]string{"icons.json": icons, "chars.json": "{}", "metadata.json": "{}"})
	jobs, err = iconifyEmojiJobs("emojione", set, all, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].concept.Hex != "1F600" || jobs[1].concept.Hex != "1F422" {
		t.Fatalf("iconify jobs %+v", jobs)
	}
	if s := string(jobs[0].svg); !strings.Contains(s, `viewBox="0 0 16 32"`) {
		t.Errorf("icon's own width not used: %s", s)
	}
	// With chars.json, code points decide.
	set = writeTGZ(t, map[string]string{"icons.json": icons, "chars.json": `{"1f40d":"nothing"}`, "metadata.json": "{}"})
	jobs, err = iconifyEmojiJobs("fluent-flat", set, all, db)
	if err != nil || len(jobs) != 1 || jobs[0].concept.Hex != "1F40D" || jobs[0].id != "nothing" {
		t.Errorf("iconify jobs by code point %+v, %v", jobs, err)
	}
}

func TestIconSetSVG(t *testing.T) {
	s, err := parseIconSet([]byte(`{"prefix":"mdi","width":24,"height":24,"icons":{"a":{"body":"<path fill=\"currentColor\" d=\"M0 0h24v24H0z\"/>","left":2,"top":-1}}}`), nil,
		[]byte(`{"categories":{"Animal":["a"],"Zoo":["a"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	doc, ok := s.svg("a")
	if !ok {
		t.Fatal("icon a missing")
	}
	if d := string(doc); !strings.Contains(d, `viewBox="2 -1 24 24"`) || strings.Contains(d, "currentColor") {
		t.Errorf("svg %s", d)
	}
	if cat := s.categoryOf()["a"]; cat != "Animal" {
		t.Errorf("category %q, want the first in order, Animal", cat)
	}
	img, err := renderSVG(doc, 24)
	if err != nil {
		t.Fatal(err)
	}
	if c := img.RGBAAt(12, 12); c.R != 0 {
		t.Errorf("currentColor should draw black, got %v", c)
	}
}

func TestIconWords(t *testing.T) {
	for _, c := range []struct{ name, words, variant string }{
		{"heart-outline", "heart", "outline"},
		{"numeric-1-box", "numeric 1 box", ""},
		{"outline", "outline", ""},
	} {
		w, v := iconWords(c.name, map[string]string{"outline": "outline"}, "")
		if w != c.words || v != c.variant {
			t.Errorf("iconWords(%q) = %q, %q; want %q, %q", c.name, w, v, c.words, c.variant)
		}
	}
	if w, v := iconWords("bell-filled", map[string]string{"filled": "filled"}, "outline"); w != "bell" || v != "filled" {
		t.Errorf("tabler filled: %q %q", w, v)
	}
	if _, v := iconWords("bell", map[string]string{"filled": "filled"}, "outline"); v != "outline" {
		t.Errorf("tabler default variant %q", v)
	}
	_ = fmt.Sprint()
}
