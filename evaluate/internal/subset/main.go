// Command subset writes the images of a set whose classes are another set's as a new
// set (PNG files and a file,label CSV named after the folder), for references and probes across sets: say, the
// training shards' pictures of the classes of a held-out set.
//
//	go run ./evaluate/internal/subset -from 'data-out/shards/train-*.tar' \
//	    -like data-out/eval/unseen-styles -out /tmp/seen
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/clip-go/clip/evaluate"
)

func main() {
	from := flag.String("from", "", "the set to take images from (a folder, CSV or shard spec)")
	like := flag.String("like", "", "the set whose classes to keep")
	prefix := flag.String("key-prefix", "", "keep only images whose name (shard key or path) has a part starting with this, comma-separated alternatives (e.g. noto-,twemoji-)")
	out := flag.String("out", "", "folder to write the images and the CSV into (named after the folder: /tmp/seen/seen.csv)")
	flag.Parse()
	if err := run(*from, *like, *prefix, *out); err != nil {
		fmt.Fprintln(os.Stderr, "subset:", err)
		os.Exit(1)
	}
}

func run(from, like, prefix, out string) error {
	if from == "" || like == "" || out == "" {
		return fmt.Errorf("give -from, -like and -out")
	}
	src, err := evaluate.Load(from)
	if err != nil {
		return err
	}
	ref, err := evaluate.Load(like)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, c := range ref.Classes {
		keep[c] = true
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var rows strings.Builder
	w := csv.NewWriter(&rows)
	w.Write([]string{"file", "label"})
	n, found := 0, map[string]bool{}
	for i, it := range src.Items {
		class := src.Classes[it.Label]
		if !keep[class] || !hasPrefix(it.Name, prefix) {
			continue
		}
		b, err := it.Bytes()
		if err != nil {
			return err
		}
		name := fmt.Sprintf("%06d.png", i)
		if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			return err
		}
		w.Write([]string{name, strings.ReplaceAll(class, " ", "_")})
		n++
		found[class] = true
	}
	fmt.Printf("%d images of %d of the %d classes of %s\n", n, len(found), len(keep), like)
	w.Flush()
	csvName := filepath.Base(filepath.Clean(out)) + ".csv" // the set's name in tables
	return os.WriteFile(filepath.Join(out, csvName), []byte(rows.String()), 0o644)
}

func hasPrefix(name, prefixes string) bool {
	if prefixes == "" {
		return true
	}
	base := filepath.Base(strings.ReplaceAll(name, ":", "/"))
	for p := range strings.SplitSeq(prefixes, ",") {
		if strings.HasPrefix(base, p) {
			return true
		}
	}
	return false
}
