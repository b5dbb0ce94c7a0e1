package evaluate

import (
	"archive/tar"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/train/data"
)

// loadCSV reads a CSV of file,label rows (an optional header row names the columns:
// file/filepath/image/path and label/class/name). Files are relative to the CSV's
// folder. A row naming a missing file, or without two fields, is skipped and counted.
func loadCSV(file string) (*Set, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("eval set: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	s := &Set{Name: strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)), Source: file}
	dir := filepath.Dir(file)
	var items []Item
	var labels []string
	for row := 1; ; row++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("eval set %s: %w", file, err)
		}
		if row == 1 && isCSVHeader(rec) {
			continue
		}
		if len(rec) < 2 || strings.TrimSpace(rec[0]) == "" || strings.TrimSpace(rec[1]) == "" {
			s.Skipped = append(s.Skipped, fmt.Sprintf("%s:%d: want file,label", file, row))
			continue
		}
		p := strings.TrimSpace(rec[0])
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() {
			s.Skipped = append(s.Skipped, fmt.Sprintf("%s:%d: %s: no such image file", file, row, p))
			continue
		}
		items = append(items, Item{Name: p, path: p, stamp: fileStamp(fi)})
		labels = append(labels, strings.TrimSpace(rec[1]))
	}
	s.addLabelled(items, labels)
	return s, s.check()
}

func isCSVHeader(rec []string) bool {
	if len(rec) < 2 {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(rec[0], "\uFEFF"))) {
	case "file", "filepath", "image", "path":
	default:
		return false
	}
	switch strings.ToLower(strings.TrimSpace(rec[1])) {
	case "label", "class", "name":
		return true
	}
	return false
}

// maxShardJSON bounds a sample's metadata member.
const maxShardJSON = 1 << 20

// loadShards reads labelled WebDataset shards as `clip data build` writes them for its
// held-out sets: per sample an image and a JSON whose "class" (else "name") is the
// label. Samples without both are skipped and counted; a shard that is missing or not a
// tar is an error, since a set silently missing a shard would measure something else.
func loadShards(spec string) (*Set, error) {
	files, err := data.ExpandSpec(spec)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("eval set %s: no such folder, CSV or shard", spec)
	}
	name := strings.TrimSuffix(filepath.Base(files[0]), filepath.Ext(files[0]))
	if len(files) > 1 {
		name = strings.TrimSuffix(filepath.Base(spec), filepath.Ext(spec))
	}
	s := &Set{Name: name, Source: spec}
	var items []Item
	var labels []string
	for _, file := range files {
		if err := readShard(file, s, &items, &labels); err != nil {
			return nil, fmt.Errorf("eval set %s: %w", file, err)
		}
	}
	s.addLabelled(items, labels)
	return s, s.check()
}

// readShard appends the labelled samples of one shard.
func readShard(file string, s *Set, items *[]Item, labels *[]string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	shardStamp := fileStamp(fi)
	type sample struct {
		key, label string
		image      []byte
	}
	var cur *sample
	flush := func() {
		switch {
		case cur == nil:
		case cur.image == nil:
			s.Skipped = append(s.Skipped, fmt.Sprintf("%s:%s: no image", file, cur.key))
		case cur.label == "":
			s.Skipped = append(s.Skipped, fmt.Sprintf("%s:%s: no class or name in its JSON", file, cur.key))
		default:
			*items = append(*items, Item{Name: file + ":" + cur.key, data: cur.image,
				stamp: fmt.Sprintf("%s:%s:%d", shardStamp, cur.key, len(cur.image))})
			*labels = append(*labels, cur.label)
		}
		cur = nil
	}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("not a readable tar shard: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		base := path.Base(hdr.Name)
		dot := strings.IndexByte(base, '.')
		if dot <= 0 {
			continue
		}
		key, ext := path.Join(path.Dir(hdr.Name), base[:dot]), strings.ToLower(base[dot:])
		if cur == nil || cur.key != key {
			flush()
			cur = &sample{key: key}
		}
		switch {
		case imageExts[ext] && hdr.Size <= imageproc.MaxBytes:
			if cur.image, err = io.ReadAll(tr); err != nil {
				return err
			}
		case ext == ".json" && hdr.Size <= maxShardJSON:
			body, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			cur.label = shardLabel(body)
		}
	}
	flush()
	return nil
}

// shardLabel is a sample's class: the JSON's "class" (the held-out sets' folder name),
// else its "name" (the training shards' concept name); "" for neither.
func shardLabel(body []byte) string {
	var m struct {
		Class, Name string
	}
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	if c := strings.TrimSpace(m.Class); c != "" {
		return c
	}
	return strings.TrimSpace(m.Name)
}
