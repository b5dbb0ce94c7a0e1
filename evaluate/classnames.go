package evaluate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxNamesFile bounds a class-name file (classes.json or a list).
const maxNamesFile = 16 << 20

// Rename gives the classes the names prompts should use. file is either a classes.json
// as `clip data build` writes beside each set ({"classes": [{"folder": F, "names": {LANG:
// NAME}}]}), read in lang ("en" when empty), or a text file with one name per line in
// the order of s.Classes (the folders sorted). file "" means the set folder's own
// classes.json. Every class must get a name: a file that does not match the set's
// classes is an error, so that a table never mixes languages or shifts names by a line.
func (s *Set) Rename(file, lang string) error {
	if file == "" {
		file = filepath.Join(s.Source, "classes.json")
	}
	fi, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("eval set %s: class names: %w", s.Source, err)
	}
	if fi.Size() > maxNamesFile {
		return fmt.Errorf("%s: larger than %d MiB", file, maxNamesFile>>20)
	}
	body, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var names []string
	if strings.EqualFold(filepath.Ext(file), ".json") {
		names, err = s.namesFromJSON(file, body, lang)
	} else {
		names, err = s.namesFromList(file, body)
	}
	if err != nil {
		return err
	}
	s.Classes = names
	return nil
}

func (s *Set) namesFromJSON(file string, body []byte, lang string) ([]string, error) {
	if lang == "" {
		lang = "en"
	}
	var doc struct {
		Classes []struct {
			Folder string            `json:"folder"`
			Names  map[string]string `json:"names"`
		} `json:"classes"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	byFolder := map[string]map[string]string{}
	for _, c := range doc.Classes {
		byFolder[c.Folder] = c.Names
	}
	names := make([]string, len(s.Folders))
	for i, f := range s.Folders {
		entry, ok := byFolder[f]
		if !ok {
			return nil, fmt.Errorf("%s does not match the set: no entry for class %q", file, f)
		}
		if names[i] = strings.TrimSpace(entry[lang]); names[i] == "" {
			return nil, fmt.Errorf("%s: class %q has no name in %q", file, f, lang)
		}
	}
	return names, nil
}

func (s *Set) namesFromList(file string, body []byte) ([]string, error) {
	var names []string
	for l := range strings.SplitSeq(string(body), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			names = append(names, l)
		}
	}
	if len(names) != len(s.Classes) {
		return nil, fmt.Errorf("%s does not match the set: %d names for %d classes (one name per line, in the order of the sorted class folders)", file, len(names), len(s.Classes))
	}
	return names, nil
}
