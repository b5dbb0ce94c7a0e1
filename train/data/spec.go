package data

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// SpecSeparator joins several source specs into one string.
const SpecSeparator = "::"

// maxExpand bounds how many names one spec may expand to, so a typo such as
// {0..999999999} is an error rather than gigabytes of strings.
const maxExpand = 1 << 20

// ExpandSpec turns a source spec into the list of files it names, in order.
//
// A spec is one or more parts joined with "::". In each part, brace groups are expanded
// first, as in bash and webdataset's braceexpand: {a,b,c} is a list, {000..123} a
// numeric range that keeps the zero padding (the width of the longer bound, when either
// bound has a leading zero), {0..100..10} a range with a step, {5..1} a descending
// range; groups may repeat and nest ({a,b}/{0..2}.tar); a brace group that is neither
// (such as {} or {x}) is kept literally. Then each name with a glob metacharacter
// (* ? [) is matched with filepath.Glob, its matches sorted; a pattern matching nothing
// contributes nothing. Other names are kept as they are, whether or not the file
// exists: Open counts a missing file as a bad shard and goes on.
//
// Names ending in .csv or .tsv (any case) are CSV/TSV sample lists; every other name is
// read as a WebDataset tar shard. ExpandSpec fails only for a spec that names nothing,
// a malformed glob pattern, or one that expands to more than a million names.
func ExpandSpec(spec string) ([]string, error) {
	var out []string
	for part := range strings.SplitSeq(spec, SpecSeparator) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		names, err := expandBraces(part)
		if err != nil {
			return nil, fmt.Errorf("data: spec %q: %w", part, err)
		}
		for _, name := range names {
			if !strings.ContainsAny(name, "*?[") {
				out = append(out, name)
				continue
			}
			m, err := filepath.Glob(name)
			if err != nil {
				return nil, fmt.Errorf("data: spec %q: bad pattern %q: %w", part, name, err)
			}
			slices.Sort(m)
			out = append(out, m...)
		}
		if len(out) > maxExpand {
			return nil, fmt.Errorf("data: spec %q names more than %d files", spec, maxExpand)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("data: spec %q matches no files", spec)
	}
	return out, nil
}

var rangeRE = regexp.MustCompile(`^(-?[0-9]+)\.\.(-?[0-9]+)(?:\.\.(-?[0-9]+))?$`)

var errTooMany = fmt.Errorf("brace expansion gives more than %d names", maxExpand)

// expandBraces expands the brace groups of s (see ExpandSpec).
func expandBraces(s string) ([]string, error) {
	for start := 0; start < len(s); {
		i := strings.IndexByte(s[start:], '{')
		if i < 0 {
			break
		}
		i += start
		j := matchBrace(s, i)
		if j < 0 {
			break // unbalanced: the rest is literal
		}
		alts, err := braceAlternatives(s[i+1 : j])
		if err != nil {
			return nil, err
		}
		if alts == nil { // not an expansion: keep this brace literally, look further on
			start = i + 1
			continue
		}
		rest, err := expandBraces(s[j+1:])
		if err != nil {
			return nil, err
		}
		var out []string
		for _, a := range alts {
			inner, err := expandBraces(a)
			if err != nil {
				return nil, err
			}
			if len(out)+len(inner)*len(rest) > maxExpand {
				return nil, errTooMany
			}
			for _, x := range inner {
				for _, y := range rest {
					out = append(out, s[:i]+x+y)
				}
			}
		}
		return out, nil
	}
	return []string{s}, nil
}

// matchBrace is the index of the '}' closing the '{' at s[i], or -1.
func matchBrace(s string, i int) int {
	depth := 0
	for k := i; k < len(s); k++ {
		switch s[k] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return k
			}
		}
	}
	return -1
}

// braceAlternatives is what a brace group's body expands to: a comma list (split at
// top-level commas) or a numeric range; nil if it is neither.
func braceAlternatives(body string) ([]string, error) {
	var parts []string
	depth, last := 0, 0
	for k := 0; k < len(body); k++ {
		switch body[k] {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, body[last:k])
				last = k + 1
			}
		}
	}
	if parts != nil {
		return append(parts, body[last:]), nil
	}
	m := rangeRE.FindStringSubmatch(body)
	if m == nil {
		return nil, nil
	}
	a, err1 := strconv.ParseInt(m[1], 10, 64)
	b, err2 := strconv.ParseInt(m[2], 10, 64)
	step := int64(1)
	var err3 error
	if m[3] != "" {
		step, err3 = strconv.ParseInt(m[3], 10, 64)
	}
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("bad range {%s}: %w", body, err)
	}
	if step < 0 {
		step = -step
	}
	if step == 0 {
		step = 1
	}
	width := 0
	if padded(m[1]) || padded(m[2]) {
		width = max(len(strings.TrimPrefix(m[1], "-")), len(strings.TrimPrefix(m[2], "-")))
	}
	span := b - a
	if span < 0 {
		span = -span
	}
	if span < 0 || span/step >= maxExpand { // span < 0: overflow
		return nil, errTooMany
	}
	n := span/step + 1
	out := make([]string, 0, n)
	for k := range n {
		v := a + k*step
		if b < a {
			v = a - k*step
		}
		digits := strconv.FormatInt(max(v, -v), 10)
		if len(digits) < width {
			digits = strings.Repeat("0", width-len(digits)) + digits
		}
		if v < 0 {
			digits = "-" + digits
		}
		out = append(out, digits)
	}
	return out, nil
}

// padded reports whether a range bound is written with a leading zero ("007", "-01").
func padded(s string) bool {
	s = strings.TrimPrefix(s, "-")
	return len(s) > 1 && s[0] == '0'
}
