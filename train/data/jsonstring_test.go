package data

import (
	"encoding/json"
	"testing"
)

// TestJSONString checks the fast path against encoding/json on the values it must agree on.
func TestJSONString(t *testing.T) {
	for _, raw := range []string{
		`"plain caption"`, `""`, `"emoji 😀 and ümlauts"`, `"한국어 이름"`,
		`"escaped \"quote\""`, `"tab\tand\nnewline"`, `"\u00e9\u0301"`, `"back\\slash"`, `"\ud83d\ude00"`,
		"\"invalid \xff utf-8\"", "\"raw\ttab\"", `"unterminated`, `"`, `42`, `null`, `true`, `{"text":"x"}`, `["a"]`, ``,
	} {
		want := ""
		var s string
		if json.Unmarshal([]byte(raw), &s) == nil {
			want = s
		}
		if got := jsonString(json.RawMessage(raw)); got != want {
			t.Errorf("jsonString(%q) = %q, encoding/json gives %q", raw, got, want)
		}
	}
}
