package tokenizer

import (
	"html"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// clean is the reference's whitespace_clean(basic_clean(text)).lower():
//
//   - basic_clean runs ftfy.fix_text, then unescapes HTML entities twice. Of ftfy we keep the
//     parts that change ordinary typed or pasted text: NFC normalisation, straight quotes for
//     curly ones (so "it’s" splits like "it's"), latin ligatures and full-width ASCII. Its
//     mojibake repair is not reproduced.
//   - whitespace_clean collapses runs of Unicode whitespace (Python's definition) to one space
//     and trims.
//   - Python's str.lower, including its two context rules that Go's ToLower lacks.
func clean(text string) string {
	text = norm.NFC.String(text)
	text = ftfyReplacer.Replace(text)
	text = strings.Map(fullWidthToASCII, text)
	text = html.UnescapeString(html.UnescapeString(text))
	text = strings.Join(strings.FieldsFunc(text, isPythonSpace), " ")
	return pythonLower(text)
}

var ftfyReplacer = strings.NewReplacer(
	"\u2018", "'", "\u2019", "'", "\u201a", "'", "\u201b", "'",
	"\u201c", `"`, "\u201d", `"`, "\u201e", `"`, "\u201f", `"`,
	"\ufb00", "ff", "\ufb01", "fi", "\ufb02", "fl", "\ufb03", "ffi", "\ufb04", "ffl", "\ufb05", "ſt", "\ufb06", "st",
)

func fullWidthToASCII(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFF01 + '!'
	case r == 0x3000:
		return ' '
	}
	return r
}

// isPythonSpace is str.isspace: Go's unicode.IsSpace plus the ASCII separators U+001C–U+001F.
func isPythonSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1C && r <= 0x1F)
}

// pythonLower matches Python's str.lower where Go's strings.ToLower differs: 'İ' becomes
// "i̇" (with the combining dot), and a capital sigma that ends a word becomes 'ς'.
func pythonLower(s string) string {
	if !strings.ContainsAny(s, "İΣ") {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		switch r {
		case 'İ':
			b.WriteString("i\u0307")
		case 'Σ':
			before := i > 0 && unicode.IsLetter(rs[i-1])
			after := i+1 < len(rs) && unicode.IsLetter(rs[i+1])
			if before && !after {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
