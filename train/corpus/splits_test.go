package corpus

import (
	"fmt"
	"reflect"
	"testing"
)

func TestPhraseSet(t *testing.T) {
	p := newPhraseSet([]string{"turtle", "sea turtle", "T-Rex", "거북이", "artist palette", "keycap: 0"}, nil)
	for text, want := range map[string][]string{
		"woman artist: artist, palette": nil,
		"an artist palette":             {"artist palette"},
		"the keycap: 0, blue":           {"keycap: 0"},
		"a Sea Turtle swimming":         {"sea turtle", "turtle"},
		"turtleneck sweater":            nil,
		"the t rex roars":               {"T-Rex"},
		"바다 거북이":                        {"거북이"},
		"":                              nil,
	} {
		var got []string
		for _, h := range p.find(text) {
			got = append(got, h.Value)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("find(%q) = %v, want %v", text, got, want)
		}
	}
	var nilSet *phraseSet
	if nilSet.contains("anything") {
		t.Error("a nil set contains something")
	}
}

// concepts makes n concepts in subgroup sg, named name0, name1, ...
func concepts(sg, name string, n int, order *int) []*Concept {
	var out []*Concept
	for i := range n {
		*order++
		out = append(out, &Concept{Hex: fmt.Sprintf("%X", 0x1F000+*order), Group: "g", Subgroup: sg, Order: *order,
			Names: map[string]string{"en": fmt.Sprintf("%s %c", name, 'a'+i)}})
	}
	return out
}

func TestChooseHeldOut(t *testing.T) {
	order := 0
	var cs []*Concept
	for i := range 20 {
		cs = append(cs, concepts(fmt.Sprintf("sg%02d", i), fmt.Sprintf("thing%02d", i), 5, &order)...)
	}
	// "cat" is inside "cat face" of another subgroup: the cats cannot be held out.
	cats := concepts("cats", "cat", 3, &order)
	cats[0].Names["en"], cats[1].Names["en"], cats[2].Names["en"] = "cat", "lion", "tiger"
	cs = append(cs, cats...)
	cs = append(cs, &Concept{Hex: "1F431", Group: "g", Subgroup: "faces", Names: map[string]string{"en": "cat face"}})
	// Too big to hold out.
	cs = append(cs, concepts("big", "big", maxHeldOutSubgroup+1, &order)...)
	// Flags are never held out.
	flags := concepts("country-flag", "flag", 5, &order)
	for _, f := range flags {
		f.Group = "flags"
	}
	cs = append(cs, flags...)

	got := chooseHeldOut(cs, 1, 0.10)
	n := 0
	for _, sg := range got {
		if sg == "cats" || sg == "big" || sg == "country-flag" || sg == "faces" {
			t.Errorf("held out ineligible subgroup %s", sg)
		}
		for _, c := range cs {
			if c.Subgroup == sg {
				n++
			}
		}
	}
	if want := int(0.10*float64(len(cs)) + 0.5); n < want || n > want+5 {
		t.Errorf("held out %d concepts, want about %d", n, want)
	}
	if again := chooseHeldOut(cs, 1, 0.10); !reflect.DeepEqual(again, got) {
		t.Errorf("not deterministic: %v then %v", got, again)
	}
	if other := chooseHeldOut(cs, 2, 0.10); reflect.DeepEqual(other, got) {
		t.Logf("seed 2 chose the same subgroups as seed 1 (possible, unlikely): %v", got)
	}
}

func TestFolderName(t *testing.T) {
	for in, want := range map[string]string{
		"turtle":                 "turtle",
		"Mrs. Claus":             "Mrs._Claus",
		"keycap *":               "keycap_asterisk",
		"keycap #":               "keycap_#",
		"Japanese “here” button": "Japanese_here_button",
		"t-shirt":                "t-shirt",
		"ends with a dot.":       "ends_with_a_dot",
		"a/b: c?":                "a_b_c",
	} {
		if got := folderName(in); got != want {
			t.Errorf("folderName(%q) = %q, want %q", in, got, want)
		}
	}
}
