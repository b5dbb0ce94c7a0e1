package corpus

import (
	"bytes"
	"encoding/xml"
	"io"
	"path"
	"sort"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Open Clip Art Library, as Debian packages it: openclipart-png has the pictures
// rendered to PNG (usr/share/openclipart/png/<category>/<name>.png), openclipart-svg the
// same pictures as SVG, whose RDF metadata holds what we need for captions: the title,
// keywords (dc:subject), the creator and the licence. The two are joined by path.

const (
	clipartPNGDir = "usr/share/openclipart/png/"
	clipartSVGDir = "usr/share/openclipart/svg/"
)

// clipartMeta is what an SVG's metadata says about a picture.
type clipartMeta struct {
	Title, Creator, License, Language string
	Keywords                          []string
}

// clipartJob is one clip art picture to decode.
type clipartJob struct {
	id       string // path under the category folders, without extension: "animals/turtle_01"
	category string // the folder: "animals", "animals/amphibian"
	meta     clipartMeta
	png      []byte
}

// parseClipartMeta reads the RDF metadata of an Open Clip Art SVG (cc:Work's dc:title,
// dc:subject/rdf:Bag/rdf:li, dc:creator/cc:Agent/dc:title, cc:license, dc:language). It
// stops at the end of <metadata>, so the drawing itself is not parsed.
func parseClipartMeta(svg []byte) clipartMeta {
	var m clipartMeta
	d := xml.NewDecoder(bytes.NewReader(svg))
	d.Strict = false
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
			return charmap.Windows1252.NewDecoder().Reader(r), nil
		}
		return r, nil // UTF-8 and ASCII; anything else reads as bytes
	}
	var stack []string
	under := func(names ...string) bool { // the stack ends with names
		if len(stack) < len(names) {
			return false
		}
		for i, n := range names {
			if stack[len(stack)-len(names)+i] != n {
				return false
			}
		}
		return true
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return m
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			if under("Work", "license") {
				for _, a := range t.Attr {
					if a.Name.Local == "resource" {
						m.License = a.Value
					}
				}
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			if t.Name.Local == "metadata" {
				return m
			}
		case xml.CharData:
			text := strings.Join(strings.Fields(string(t)), " ")
			switch {
			case text == "":
			case under("Work", "title") && m.Title == "":
				m.Title = text
			case under("Work", "subject", "Bag", "li"):
				m.Keywords = append(m.Keywords, text)
			case under("Work", "creator", "Agent", "title") && m.Creator == "":
				m.Creator = text
			case under("Work", "language") && m.Language == "":
				m.Language = text
			}
		}
	}
}

// freelyLicensed reports whether the metadata's licence (if any) is a public-domain
// dedication, as the Debian package states for the whole collection. Pictures whose
// own metadata names another licence are left out.
func (m clipartMeta) freelyLicensed() bool {
	l := strings.ToLower(m.License)
	return l == "" || strings.Contains(l, "publicdomain") || strings.Contains(l, "/zero/")
}

// usableTitle returns the title cleaned for captions, or "" when it names nothing
// (empty, a placeholder, or a file name).
func (m clipartMeta) usableTitle() string {
	t := strings.TrimSpace(m.Title)
	switch strings.ToLower(t) {
	case "", "untitled", "unsorted", "image", "drawing", "clipart", "clip art", "layer 1", "svg":
		return ""
	}
	if strings.HasSuffix(strings.ToLower(t), ".svg") || len(t) > 80 {
		return ""
	}
	return t
}

// keywords returns the metadata's keywords without placeholders and duplicates.
func (m clipartMeta) keywords() []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range m.Keywords {
		k = strings.TrimSpace(k)
		lk := strings.ToLower(k)
		if lk == "" || lk == "unsorted" || lk == "clip art" || lk == "clipart" || lk == "hash" || seen[lk] || len(k) > 40 {
			continue
		}
		seen[lk] = true
		out = append(out, k)
	}
	return out
}

// clipartJobs reads the metadata from the SVG package and the pictures from the PNG
// package; keep filters by id. Jobs come sorted by id.
func clipartJobs(svgDeb, pngDeb string, keep func(id string) bool) ([]clipartJob, error) {
	metas := map[string]clipartMeta{}
	err := readDeb(svgDeb, func(n string) bool { return strings.HasPrefix(n, clipartSVGDir) && strings.HasSuffix(n, ".svg") },
		func(n string, b []byte) error {
			id := strings.TrimSuffix(strings.TrimPrefix(n, clipartSVGDir), ".svg")
			if keep(id) {
				metas[id] = parseClipartMeta(b)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	var jobs []clipartJob
	err = readDeb(pngDeb, func(n string) bool { return strings.HasPrefix(n, clipartPNGDir) && strings.HasSuffix(n, ".png") },
		func(n string, b []byte) error {
			id := strings.TrimSuffix(strings.TrimPrefix(n, clipartPNGDir), ".png")
			m, ok := metas[id]
			if !ok || !m.freelyLicensed() || m.usableTitle() == "" {
				return nil
			}
			jobs = append(jobs, clipartJob{id: id, category: path.Dir(id), meta: m, png: b})
			return nil
		})
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].id < jobs[j].id })
	return jobs, err
}
