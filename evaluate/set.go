package evaluate

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Item is one labelled image of a Set: a file, or an image read from a shard.
type Item struct {
	Name  string // the file's path, or "shard.tar:key" for a shard member
	Label int    // index into Set.Classes
	path  string // the file to read; "" for shard members
	data  []byte // the encoded image of a shard member
	stamp string // what identifies its content for the feature cache (size and time)
}

// Set is a labelled image set.
type Set struct {
	Name    string   // for tables: the folder's or file's base name
	Source  string   // what it was loaded from (a folder, a shard spec, a CSV)
	Classes []string // class names, as prompts use them
	Folders []string // each class's folder or label as found in the source
	Items   []Item
	// Skipped says what was left out and why (a class folder with no images, a CSV row
	// naming a missing file, a shard sample without a label): one line each.
	Skipped []string
}

// imageExts are the files an image folder's classes may hold; other files are skipped
// (and counted), so that a README or a .DS_Store in a class folder is no image error.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".bmp": true, ".webp": true}

// Load reads a set: a folder of class folders ("red_circle/001.png"; underscores read as
// spaces), a CSV of file,label, or WebDataset shards (a spec as clip train's --data
// takes: "eval-{000..002}.tar"), labelled by each sample's JSON "class" (or "name").
func Load(spec string) (*Set, error) {
	fi, err := os.Stat(spec)
	switch {
	case err != nil && !strings.ContainsAny(spec, "*?[{"): // not a pattern: a typo
		return nil, fmt.Errorf("eval set %s: no such folder, CSV or shard", spec)
	case err == nil && fi.IsDir():
		return loadFolder(spec)
	case strings.EqualFold(filepath.Ext(spec), ".csv"):
		return loadCSV(spec)
	}
	return loadShards(spec)
}

// loadFolder reads the class-per-folder layout. A class folder without images is left
// out (there is nothing to measure on it) and said in Skipped.
func loadFolder(dir string) (*Set, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("eval set: %w", err)
	}
	s := &Set{Name: filepath.Base(filepath.Clean(dir)), Source: dir}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("eval set %s: %w", dir, err)
		}
		var items []Item
		for _, f := range files { // ReadDir sorts by name: a stable order for splits and caches
			if f.IsDir() || strings.HasPrefix(f.Name(), ".") {
				continue
			}
			path := filepath.Join(dir, e.Name(), f.Name())
			if !imageExts[strings.ToLower(filepath.Ext(f.Name()))] {
				s.Skipped = append(s.Skipped, path+": not an image file")
				continue
			}
			info, err := f.Info()
			if err != nil {
				s.Skipped = append(s.Skipped, fmt.Sprintf("%s: %v", path, err))
				continue
			}
			items = append(items, Item{Name: path, Label: len(s.Classes), path: path, stamp: fileStamp(info)})
		}
		if len(items) == 0 {
			s.Skipped = append(s.Skipped, fmt.Sprintf("class folder %s has no images: class left out", filepath.Join(dir, e.Name())))
			continue
		}
		s.Classes = append(s.Classes, strings.ReplaceAll(e.Name(), "_", " "))
		s.Folders = append(s.Folders, e.Name())
		s.Items = append(s.Items, items...)
	}
	return s, s.check()
}

// fileStamp identifies a file's version cheaply: its size and modification time.
func fileStamp(fi os.FileInfo) string {
	return fmt.Sprintf("%d@%d", fi.Size(), fi.ModTime().UnixNano())
}

// check rejects a set with nothing to measure.
func (s *Set) check() error {
	if len(s.Classes) < 2 || len(s.Items) == 0 {
		return fmt.Errorf("eval set %s: want at least two classes with images, found %d classes and %d images", s.Source, len(s.Classes), len(s.Items))
	}
	return nil
}

// addLabelled adds items labelled by name (labels[i] is items[i]'s) in source order,
// the classes sorted by name so that the same labels give the same class indices
// whichever order the source lists them in.
func (s *Set) addLabelled(items []Item, labels []string) {
	folders := slices.Clone(labels)
	slices.Sort(folders)
	folders = slices.Compact(folders)
	index := map[string]int{}
	for i, f := range folders {
		index[f] = i
		s.Folders = append(s.Folders, f)
		s.Classes = append(s.Classes, strings.ReplaceAll(f, "_", " "))
	}
	for i := range items {
		items[i].Label = index[labels[i]]
	}
	s.Items = append(s.Items, items...)
}

// Counts returns the number of images of each class.
func (s *Set) Counts() []int {
	n := make([]int, len(s.Classes))
	for _, it := range s.Items {
		n[it.Label]++
	}
	return n
}

// Subset is the set restricted to the items at idx (in that order), with the same classes.
func (s *Set) Subset(name string, idx []int) *Set {
	out := &Set{Name: name, Source: s.Source, Classes: s.Classes, Folders: s.Folders}
	for _, i := range idx {
		out.Items = append(out.Items, s.Items[i])
	}
	return out
}

// Bytes returns the encoded image.
func (it Item) Bytes() ([]byte, error) {
	if it.path == "" {
		return it.data, nil
	}
	return os.ReadFile(it.path)
}
