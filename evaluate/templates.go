package evaluate

// TemplateVariant is one way of turning class names into prompts, for comparisons.
type TemplateVariant struct {
	Name      string
	Templates []string
}

// TemplateVariants are the paper's prompt comparison: the bare label, one template (the
// first of the current ones) and each built-in set (lookup returns a set's templates).
func TemplateVariants(current []string, sets []string, lookup func(string) ([]string, error)) []TemplateVariant {
	out := []TemplateVariant{{"bare label", []string{"{}"}}, {"one template: " + current[0], current[:1]}}
	for _, name := range sets {
		if t, err := lookup(name); err == nil {
			out = append(out, TemplateVariant{name, t})
		}
	}
	return out
}
