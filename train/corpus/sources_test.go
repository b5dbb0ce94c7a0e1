package corpus

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const clipartSVG = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:cc="http://web.resource.org/cc/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" viewBox="0 0 10 10">
  <metadata>
    <rdf:RDF>
      <cc:Work rdf:about="">
        <dc:title>Sea   turtle</dc:title>
        <dc:subject><rdf:Bag><rdf:li>animal</rdf:li><rdf:li>sea</rdf:li></rdf:Bag></dc:subject>
        <dc:publisher><cc:Agent><dc:title>Open Clip Art Library</dc:title></cc:Agent></dc:publisher>
        <dc:creator><cc:Agent><dc:title>Jane Doe</dc:title></cc:Agent></dc:creator>
        <cc:license rdf:resource="http://web.resource.org/cc/PublicDomain"/>
        <dc:language>en</dc:language>
      </cc:Work>
    </rdf:RDF>
  </metadata>
  <text>never parsed</text>
</svg>`

func TestParseClipartMeta(t *testing.T) {
	m := parseClipartMeta([]byte(clipartSVG))
	if m.Title != "Sea turtle" || m.Creator != "Jane Doe" || m.Language != "en" ||
		strings.Join(m.Keywords, ",") != "animal,sea" || !m.freelyLicensed() {
		t.Errorf("meta %+v", m)
	}
	latin := strings.Replace(clipartSVG, `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1)
	latin = strings.Replace(latin, "Sea   turtle", "Caf\xe9", 1)
	if m := parseClipartMeta([]byte(latin)); m.Title != "Café" {
		t.Errorf("Latin-1 title %q", m.Title)
	}
	byNC := strings.Replace(clipartSVG, "http://web.resource.org/cc/PublicDomain", "http://creativecommons.org/licenses/by-nc/2.0/", 1)
	if parseClipartMeta([]byte(byNC)).freelyLicensed() {
		t.Error("a non-commercial licence passed as free")
	}
	for title, ok := range map[string]bool{"Sea turtle": true, "Untitled": false, "drawing.svg": false, "": false} {
		if got := (clipartMeta{Title: title}).usableTitle() != ""; got != ok {
			t.Errorf("usableTitle(%q) usable = %v", title, got)
		}
	}
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestIDX(t *testing.T) {
	// Three 2×2 images with labels 1, 0, 1.
	img := []byte{0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2}
	img = append(img, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
	lab := binary.BigEndian.AppendUint32(nil, 0x801)
	lab = binary.BigEndian.AppendUint32(lab, 3)
	lab = append(lab, 1, 0, 1)
	jobs, err := idxJobs("mnist", gz(t, img), gz(t, lab), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].label != 1 || jobs[0].index != 0 || jobs[1].label != 0 || jobs[1].img.Pix[3] != 8 {
		t.Errorf("jobs %+v", jobs)
	}
	if _, err := idxJobs("mnist", gz(t, img[:20]), gz(t, lab), 1); err == nil {
		t.Error("a truncated image file was accepted")
	}
	if _, err := idxJobs("mnist", gz(t, lab), gz(t, lab), 1); err == nil {
		t.Error("a label file was accepted as images")
	}
}

func TestDigests(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	data := []byte("hello")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s512 := sha512.Sum512(data)
	if err := checkIntegrity(path, "sha512-"+base64.StdEncoding.EncodeToString(s512[:])); err != nil {
		t.Error(err)
	}
	if checkIntegrity(path, "sha512-AAAA") == nil {
		t.Error("a wrong integrity passed")
	}
	s256 := sha256.Sum256(data)
	if err := checkSHA256(path, hex.EncodeToString(s256[:])); err != nil {
		t.Error(err)
	}
	if checkSHA256(path, strings.Repeat("0", 64)) == nil {
		t.Error("a wrong sha256 passed")
	}
}

func TestReadTGZ(t *testing.T) {
	p := writeTGZ(t, map[string]string{"a.json": "{}", "dir/b.svg": "<svg/>"})
	files, err := readTGZFiles(p, "dir/b.svg")
	if err != nil || string(files["dir/b.svg"]) != "<svg/>" {
		t.Errorf("files %v, %v", files, err)
	}
	if _, err := readTGZFiles(p, "missing.json"); err == nil {
		t.Error("a missing file was not reported")
	}
}

// Every style a caption can name has true descriptions, and the pinned sources are
// complete.
func TestStyles(t *testing.T) {
	seen := map[string]bool{}
	for _, st := range allStyles {
		if seen[st.Name] || len(st.Kinds) == 0 || st.Noun == "" || st.Licence.SPDX == "" || st.Licence.Attribution == "" {
			t.Errorf("style %+v incomplete or repeated", st)
		}
		seen[st.Name] = true
	}
	for _, h := range HeldOutStyles {
		if st := styleByName(h); st == nil || st.Kind != "emoji" {
			t.Errorf("held-out style %s is not an emoji style", h)
		}
	}
}
