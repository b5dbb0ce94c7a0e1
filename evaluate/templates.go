package evaluate

import "slices"

// TemplateVariant is one way of turning class names into prompts, for comparisons.
type TemplateVariant struct {
	Name      string
	Templates []string
}

// TemplateVariants are the paper's prompt comparison: the bare label, one template (the
// first of the current ones) and each built-in set (lookup returns a set's templates),
// a set with the templates of an earlier variant left out (the "label" set is the bare
// label).
func TemplateVariants(current []string, sets []string, lookup func(string) ([]string, error)) []TemplateVariant {
	out := []TemplateVariant{{"bare label", []string{"{}"}}, {"one template: " + current[0], current[:1]}}
	for _, name := range sets {
		t, err := lookup(name)
		if err != nil || slices.ContainsFunc(out, func(v TemplateVariant) bool { return slices.Equal(v.Templates, t) }) {
			continue
		}
		out = append(out, TemplateVariant{name, t})
	}
	return out
}
