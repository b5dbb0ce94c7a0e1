// Package core is the browser app's logic that needs no browser: reading the labels box,
// choosing prompt templates, and the numbers the page shows. The app (package app, built
// for js/wasm) renders it; keeping it here lets it be tested on any machine.
package core

import (
	"fmt"
	"sort"
	"strings"

	"github.com/clip-go/clip/model/zeroshot"
)

// CustomTemplates is the template choice that takes the user's own sentences.
const CustomTemplates = "custom"

// ParseLabels reads the labels box: one label per line, or, when the text is a single
// line, comma-separated (so "cat, dog" works, and a label on its own line may hold a
// comma). Labels are trimmed; empty ones are dropped; a repeated label is an error,
// as in `clip classify`.
func ParseLabels(text string) ([]string, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var raw []string
	if strings.Contains(strings.TrimSpace(text), "\n") {
		raw = strings.Split(text, "\n")
	} else {
		raw = zeroshot.SplitLabels(text)
	}
	return zeroshot.CleanLabels(raw)
}

// TemplateChoices lists the template sets the page offers, the CLI's default first.
func TemplateChoices() []string {
	names := []string{zeroshot.DefaultTemplateSet}
	for _, n := range zeroshot.TemplateSetNames() {
		if n != zeroshot.DefaultTemplateSet {
			names = append(names, n)
		}
	}
	return append(names, CustomTemplates)
}

// Templates returns the prompt templates of a choice: a built-in set of model/zeroshot,
// or, for CustomTemplates, the user's sentences (one per line, each with {} once).
func Templates(choice, custom string) ([]string, error) {
	if choice != CustomTemplates {
		return zeroshot.TemplateSet(choice)
	}
	var out []string
	for _, line := range strings.Split(custom, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if _, err := zeroshot.Fill(line, "x"); err != nil {
			return nil, err
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no templates: write one sentence per line with {} where the label goes")
	}
	return out, nil
}

// Percent formats a probability for a prediction row: "83.1%", "0.04%" (two significant
// digits below 1%, so a small share never shows as 0.0%).
func Percent(p float64) string {
	v := 100 * p
	switch {
	case v >= 1 || v == 0:
		return fmt.Sprintf("%.1f%%", v)
	case v >= 0.01:
		return fmt.Sprintf("%.2f%%", v)
	default:
		return "<0.01%"
	}
}

// Count is one label's number of images in the summary.
type Count struct {
	Label string
	N     int
}

// Summary counts images per top-1 label, most frequent first, ties in the labels' order.
func Summary(top1 []string, labels []string) []Count {
	n := map[string]int{}
	for _, l := range top1 {
		n[l]++
	}
	var out []Count
	for _, l := range labels {
		if n[l] > 0 {
			out = append(out, Count{l, n[l]})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].N > out[b].N })
	return out
}

// Bytes formats a size for people: "812 B", "3.4 MB".
func Bytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
}

// Sort orders of the result cards.
const (
	SortGiven      = "given"      // the order the images were given
	SortConfidence = "confidence" // most confident top-1 first
	SortLabel      = "label"      // by top-1 label, then most confident first
)

// Top1 is an image's best label, if it has been scored.
type Top1 struct {
	Label string
	Prob  float64
	OK    bool
}

// Order returns the indices of the cards to show: those whose top-1 label contains
// filter (case-insensitive; an empty filter keeps every card, scored or not), in the
// sort order by. Unscored cards sort after scored ones, in the order given.
func Order(tops []Top1, by, filter string) []int {
	filter = strings.ToLower(strings.TrimSpace(filter))
	var idx []int
	for i, t := range tops {
		if filter == "" || t.OK && strings.Contains(strings.ToLower(t.Label), filter) {
			idx = append(idx, i)
		}
	}
	less := map[string]func(a, b Top1) bool{
		SortConfidence: func(a, b Top1) bool { return a.Prob > b.Prob },
		SortLabel: func(a, b Top1) bool {
			if a.Label != b.Label {
				return a.Label < b.Label
			}
			return a.Prob > b.Prob
		},
	}[by]
	if less != nil {
		sort.SliceStable(idx, func(x, y int) bool {
			a, b := tops[idx[x]], tops[idx[y]]
			if a.OK != b.OK {
				return a.OK
			}
			return a.OK && less(a, b)
		})
	}
	return idx
}
