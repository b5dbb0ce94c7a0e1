package core

import (
	"reflect"
	"testing"

	"github.com/clip-go/clip/model/zeroshot"
)

func TestParseLabels(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  bool
	}{
		{"cat, dog ,turtle", []string{"cat", "dog", "turtle"}, false},
		{"cat\n\n dog \r\nred, round thing\n", []string{"cat", "dog", "red, round thing"}, false},
		{"  cat  \n", []string{"cat"}, false},
		{"<img src=x onerror=alert(1)>", []string{"<img src=x onerror=alert(1)>"}, false},
		{"cat\ncat", nil, true},
		{" , \n ", nil, true},
		{"", nil, true},
	} {
		got, err := ParseLabels(c.in)
		if (err != nil) != c.err || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseLabels(%q) = %q, %v; want %q (error %v)", c.in, got, err, c.want, c.err)
		}
	}
}

func TestTemplates(t *testing.T) {
	choices := TemplateChoices()
	if choices[0] != zeroshot.DefaultTemplateSet || choices[len(choices)-1] != CustomTemplates {
		t.Fatalf("choices %v: the CLI's default first, custom last", choices)
	}
	for _, c := range choices[:len(choices)-1] {
		got, err := Templates(c, "ignored")
		want, _ := zeroshot.TemplateSet(c)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Templates(%q) = %q, %v", c, got, err)
		}
	}
	got, err := Templates(CustomTemplates, " a sketch of a {}. \n\n{} on a table\n")
	if err != nil || !reflect.DeepEqual(got, []string{"a sketch of a {}.", "{} on a table"}) {
		t.Errorf("custom: %q, %v", got, err)
	}
	for _, bad := range []string{"", "\n \n", "no placeholder", "{} and {}"} {
		if _, err := Templates(CustomTemplates, bad); err == nil {
			t.Errorf("custom %q: no error", bad)
		}
	}
	if _, err := Templates("nonsense", ""); err == nil {
		t.Error("unknown set: no error")
	}
}

func TestPercentSummaryBytes(t *testing.T) {
	for p, want := range map[float64]string{0.8314: "83.1%", 1: "100.0%", 0.0004: "0.04%", 0.0000001: "<0.01%", 0: "0.0%"} {
		if got := Percent(p); got != want {
			t.Errorf("Percent(%v) = %q, want %q", p, got, want)
		}
	}
	got := Summary([]string{"dog", "cat", "dog", "bird", "cat"}, []string{"cat", "dog", "bird", "fish"})
	want := []Count{{"cat", 2}, {"dog", 2}, {"bird", 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Summary = %v, want %v", got, want)
	}
	for n, want := range map[int64]string{812: "812 B", 3400: "3.4 kB", 3_400_000: "3.4 MB", 2_500_000_000: "2.50 GB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestOrder(t *testing.T) {
	tops := []Top1{{"dog", 0.5, true}, {}, {"cat", 0.9, true}, {"Dog", 0.7, true}, {"cat", 0.6, true}}
	for _, c := range []struct {
		by, filter string
		want       []int
	}{
		{SortGiven, "", []int{0, 1, 2, 3, 4}},
		{SortConfidence, "", []int{2, 3, 4, 0, 1}},
		{SortLabel, "", []int{3, 2, 4, 0, 1}}, // "Dog" < "cat" < "dog" bytewise
		{SortGiven, " DOG ", []int{0, 3}},
		{SortConfidence, "o", []int{3, 0}},
		{SortGiven, "bird", nil},
	} {
		if got := Order(tops, c.by, c.filter); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Order(%s, %q) = %v, want %v", c.by, c.filter, got, c.want)
		}
	}
}
