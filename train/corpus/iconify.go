package corpus

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// iconSet is an icon set in Iconify's JSON format (the @iconify-json/* packages):
// icons.json holds each icon's SVG body and its box, chars.json maps code points to
// icon names (emoji sets only), metadata.json lists categories.
type iconSet struct {
	Prefix string
	Icons  map[string]iconifyIcon
	// Width and Height are the set's default box (Iconify's default is 16×16).
	Width, Height float64
	Chars         map[string]string   // code points as hex ("1f422" or "1f3f3-fe0f-...") → icon name
	Categories    map[string][]string // category → icon names
}

type iconifyIcon struct {
	Body                     string
	Left, Top, Width, Height *float64
	Hidden                   bool
	Rotate                   int
	HFlip, VFlip             bool
}

// parseIconSet reads an Iconify icon set from its package files. chars and metadata
// may be nil. Aliases are not read: they repeat an icon, at most flipped or rotated.
func parseIconSet(icons, chars, metadata []byte) (*iconSet, error) {
	var raw struct {
		Prefix        string                 `json:"prefix"`
		Icons         map[string]iconifyIcon `json:"icons"`
		Width, Height *float64
		Left, Top     float64
	}
	if err := json.Unmarshal(icons, &raw); err != nil {
		return nil, fmt.Errorf("icons.json: %w", err)
	}
	s := &iconSet{Prefix: raw.Prefix, Icons: raw.Icons, Width: 16, Height: 16}
	if raw.Width != nil {
		s.Width = *raw.Width
	}
	if raw.Height != nil {
		s.Height = *raw.Height
	}
	if len(chars) > 0 {
		if err := json.Unmarshal(chars, &s.Chars); err != nil {
			return nil, fmt.Errorf("chars.json: %w", err)
		}
	}
	if len(metadata) > 0 {
		var md struct {
			Categories map[string][]string `json:"categories"`
		}
		if err := json.Unmarshal(metadata, &md); err != nil {
			return nil, fmt.Errorf("metadata.json: %w", err)
		}
		s.Categories = md.Categories
	}
	return s, nil
}

// UnmarshalJSON reads an icon's fields with Iconify's names.
func (ic *iconifyIcon) UnmarshalJSON(b []byte) error {
	var raw struct {
		Body                     string   `json:"body"`
		Left, Top, Width, Height *float64 // matched case-insensitively: "left", ...
		Hidden                   bool     `json:"hidden"`
		Rotate                   int      `json:"rotate"`
		HFlip                    bool     `json:"hFlip"`
		VFlip                    bool     `json:"vFlip"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*ic = iconifyIcon{raw.Body, raw.Left, raw.Top, raw.Width, raw.Height, raw.Hidden, raw.Rotate, raw.HFlip, raw.VFlip}
	return nil
}

// names returns the names of the set's visible, untransformed icons, sorted.
func (s *iconSet) names() []string {
	var out []string
	for n, ic := range s.Icons {
		if !ic.Hidden && ic.Rotate == 0 && !ic.HFlip && !ic.VFlip && ic.Body != "" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// svg returns icon name as a standalone SVG document, currentColor drawn black (the
// monochrome sets are drawn with it). ok is false for an unknown icon.
func (s *iconSet) svg(name string) (doc []byte, ok bool) {
	ic, ok := s.Icons[name]
	if !ok {
		return nil, false
	}
	l, t, w, h := 0.0, 0.0, s.Width, s.Height
	if ic.Left != nil {
		l = *ic.Left
	}
	if ic.Top != nil {
		t = *ic.Top
	}
	if ic.Width != nil {
		w = *ic.Width
	}
	if ic.Height != nil {
		h = *ic.Height
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	body := strings.ReplaceAll(ic.Body, "currentColor", "#000000")
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="` +
		f(w) + `" height="` + f(h) + `" viewBox="` + f(l) + " " + f(t) + " " + f(w) + " " + f(h) + `">` +
		body + `</svg>`), true
}

// categoryOf maps icon names to their first category (categories sorted by name).
func (s *iconSet) categoryOf() map[string]string {
	cats := make([]string, 0, len(s.Categories))
	for c := range s.Categories {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	out := map[string]string{}
	for _, c := range cats {
		for _, n := range s.Categories[c] {
			if _, ok := out[n]; !ok {
				out[n] = c
			}
		}
	}
	return out
}

// iconifySet is one pinned Iconify icon set read as named icons (iconify_sets.go).
type iconifySet struct {
	Prefix, Version, Integrity string
	Title                      string // the set's name: "Phosphor"
	Author                     string
	SPDX, LicenceTitle, URL    string // from the package's info.json
	Colour                     bool   // Iconify's "palette": drawn in colours of its own
}

// style is the set's style name: its Iconify prefix, except where that is already an
// emoji style's name (Streamline's emoji are "streamline").
func (s iconifySet) style() string {
	if styleNameTaken[s.Prefix] {
		return s.Prefix + "-icons"
	}
	return s.Prefix
}

// styleNameTaken are the style names of the hand-made table that an Iconify prefix
// may repeat.
var styleNameTaken = map[string]bool{"streamline": true, "noto": true, "twemoji": true, "openmoji": true, "clipart": true}

func (s iconifySet) pkg() NPM { return NPM{"@iconify-json/" + s.Prefix, s.Version, s.Integrity} }

// styleInfo describes the set's pictures for captions, the card and the metadata.
func (s iconifySet) styleInfo() Style {
	second := "a black icon"
	if s.Colour {
		second = "a colour icon"
	}
	lic := s.LicenceTitle
	if lic == "" {
		lic = s.SPDX
	}
	return Style{
		Name: s.style(), Kind: "icon", Package: s.pkg().id(),
		Licence: Licence{s.SPDX, s.Title + " by " + s.Author + ", " + lic + ", via Iconify", s.URL},
		Kinds:   []string{"an icon", second, withArticle(s.Title + " icon")},
		Noun:    "icon", Colour: s.Colour,
	}
}
