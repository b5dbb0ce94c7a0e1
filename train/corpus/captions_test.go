package corpus

import (
	"strings"
	"testing"
)

func TestNaturalNameAndArticle(t *testing.T) {
	for _, c := range []struct{ label, natural, withArt string }{
		{"turtle", "turtle", "a turtle"},
		{"octopus", "octopus", "an octopus"},
		{"fireworks", "fireworks", "fireworks"},
		{"unicorn", "unicorn", "a unicorn"},
		{"flag: Germany", "flag of Germany", "the flag of Germany"},
		{"keycap: 1", "keycap 1", "the keycap 1"},
		{"man: red hair", "man with red hair", "a man with red hair"},
		{"woman: beard", "woman with a beard", "a woman with a beard"},
		{"person: bald", "bald person", "a bald person"},
		{"kiss: woman, man", "kiss (woman, man)", "a kiss (woman, man)"},
		{"A button (blood type)", "A button (blood type)", "an A button (blood type)"},
		{"glass", "glass", "a glass"},
		{"cactus", "cactus", "a cactus"},
		{"100", "100", "100"},
		{"hourglass done", "hourglass done", "an hourglass done"},
	} {
		if got := naturalName(c.label); got != c.natural {
			t.Errorf("naturalName(%q) = %q, want %q", c.label, got, c.natural)
		}
		if got := withArticle(naturalName(c.label)); got != c.withArt {
			t.Errorf("withArticle(%q) = %q, want %q", c.natural, got, c.withArt)
		}
	}
}

func TestEmojiCaptions(t *testing.T) {
	db, err := loadEmojibase(fakeEmojibase(t))
	if err != nil {
		t.Fatal(err)
	}
	// Hold out the reptiles: "turtle" must vanish from the smiling face's keywords.
	sp := newSplit(db, []string{"animal-reptile"}, HeldOutStyles)
	c := db.byHex["263A"]
	caps := emojiCaptions(c, styleByName("twemoji"), "smileys", sp.Banned)
	langs := map[string]int{}
	for _, cp := range caps {
		langs[cp.Lang]++
		if strings.Contains(cp.Text, "turtle") {
			t.Errorf("caption %q names a held-out concept", cp.Text)
		}
	}
	for _, l := range Locales {
		if langs[l] == 0 {
			t.Errorf("no %s caption in %v", l, caps)
		}
	}
	want := []string{"an emoji of a smiling face", "a flat emoji of a smiling face", "a Twemoji emoji of a smiling face",
		"smiling face", "an emoji of a smiling face: face", "an emoji of a smiling face, from the smileys category"}
	for i, w := range want {
		if caps[i].Text != w || caps[i].Lang != "en" {
			t.Errorf("caption %d = %+v, want %q", i, caps[i], w)
		}
	}
	// A line-art style speaks of line drawings, never of colour.
	for _, cp := range emojiCaptions(c, styleByName("openmoji-black"), "smileys", sp.Banned) {
		if strings.Contains(cp.Text, "colour") || strings.Contains(cp.Text, "flat") {
			t.Errorf("line-art caption %q claims colour", cp.Text)
		}
	}
}

func TestIconAndClipartCaptions(t *testing.T) {
	caps := iconCaptions(iconJob{style: "mdi", id: "heart-outline", words: "heart", variant: "outline", category: "Shape / Form"}, styleByName("mdi"))
	var texts []string
	for _, c := range caps {
		texts = append(texts, c.Text)
	}
	got := strings.Join(texts, "|")
	for _, w := range []string{"an icon of a heart", "a heart icon", "an outline icon of a heart", "an icon of a heart, from the shape or form category"} {
		if !strings.Contains(got, w) {
			t.Errorf("icon captions %q lack %q", got, w)
		}
	}
	j := clipartJob{id: "animals/turtle_01", category: "animals", meta: clipartMeta{Title: "Sea turtle", Keywords: []string{"unsorted", "animal", "sea", "animal"}, Language: "en"}}
	caps = clipartCaptions(j, styleByName("clipart"))
	if caps[0].Text != "Sea turtle" || caps[1].Text != "clip art of Sea turtle" {
		t.Errorf("clip art captions %+v", caps)
	}
	if !strings.Contains(caps[3].Text, "animal, sea") || strings.Contains(caps[3].Text, "unsorted") {
		t.Errorf("clip art keywords caption %q", caps[3].Text)
	}
}
