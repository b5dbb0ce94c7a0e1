package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxClassesJSON bounds the classes.json read beside an eval set.
const maxClassesJSON = 16 << 20

// Relabel names the classes of es in another language, from the classes.json that `clip
// data build` writes beside each set: {"classes": [{"folder": F, "names": {LANG: NAME}}]}.
// Every class must have a name in lang, so that a table in one language never mixes in
// another.
func (es *EvalSet) Relabel(dir, lang string) error {
	path := filepath.Join(dir, "classes.json")
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("eval set %s: class names in %q need %s: %w", dir, lang, "classes.json", err)
	}
	if fi.Size() > maxClassesJSON {
		return fmt.Errorf("%s: larger than %d MiB", path, maxClassesJSON>>20)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc struct {
		Classes []struct {
			Folder string            `json:"folder"`
			Names  map[string]string `json:"names"`
		} `json:"classes"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	names := map[string]string{}
	for _, c := range doc.Classes {
		if n := strings.TrimSpace(c.Names[lang]); n != "" {
			names[strings.ReplaceAll(c.Folder, "_", " ")] = n
		}
	}
	for i, c := range es.Classes {
		n, ok := names[c]
		if !ok {
			return fmt.Errorf("%s: class %q has no name in %q", path, c, lang)
		}
		es.Classes[i] = n
	}
	return nil
}
