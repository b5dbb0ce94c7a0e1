package defaultmodel

import (
	"path/filepath"
	"testing"

	"github.com/clip-go/clip/internal/samples"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/weights"
)

// TestShippedModel loads the embedded file and classifies the demo's held-out pictures
// (testdata/samples: emoji in styles the model never saw, and one clip art) against the
// demo's labels: each picture's top-1 is the label its file is named after, with a clear
// margin (the pictures were chosen so; MODEL.md has the accuracy on whole sets).
func TestShippedModel(t *testing.T) {
	b, err := Bytes()
	if err != nil {
		t.Fatal(err)
	}
	q, err := weights.ParseQuant(b)
	if err != nil {
		t.Fatalf("the shipped file does not parse: %v", err)
	}
	if q.Bits != 8 {
		t.Errorf("shipped at %d bits, want 8", q.Bits)
	}
	if len(file) > 25<<20 {
		t.Errorf("shipped file is %d bytes, over 25 MiB", len(file))
	}
	b, err = Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.Load(b, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Its preprocessing is part of what ships: trimmed margins are worth 10 points on
	// emoji in unseen styles (MODEL.md).
	if !m.ImageConfig().Trim {
		t.Error("the shipped file does not record trimming")
	}
	sm, err := samples.Load(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	labels, pictures := sm.Labels, sm.Pictures
	templates, err := zeroshot.TemplateSet(TemplateSet)
	if err != nil {
		t.Fatal(err)
	}
	clf, err := zeroshot.Build(m, labels, templates, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(pictures) < 6 {
		t.Fatalf("%d sample pictures, want at least 6", len(pictures))
	}
	feats, errs, err := m.EncodeImageFiles(pictures)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pictures {
		if errs[i] != nil {
			t.Errorf("%s: %v", p, errs[i])
			continue
		}
		want := sm.Want[i]
		top := clf.Top(feats[i], 2)
		if top[0].Label != want || top[0].Prob < 0.9 {
			t.Errorf("%s: top-1 %q at %.3f (then %q), want %q above 0.9", filepath.Base(p), top[0].Label, top[0].Prob, top[1].Label, want)
		}
	}
}
