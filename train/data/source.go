package data

import (
	"archive/tar"
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/clip-go/clip/model/imageproc"
)

// Limits on the members of a sample: captions and metadata are small; images are held
// in memory (in the shuffle buffer) until decoded.
const (
	maxTextBytes  = 1 << 20
	maxJSONBytes  = 4 << 20
	maxImageBytes = imageproc.MaxBytes
)

// caption is one caption candidate of a sample.
type caption struct{ text, lang string }

// item is a sample as read from its source, before decoding: the caption candidates and
// the encoded image, either in memory or as a place to read it from.
type item struct {
	key, source string
	caps        []caption
	concept     string // what it shows, from the JSON (Sample.Concept)
	data        []byte // the encoded image, unless lazy
	lazy        bool   // the image is read from file at off (size bytes; whole file if size < 0)
	file        string
	off, size   int64
}

// imageBytes returns the encoded image, reading it from its file if it is not in
// memory.
func (it *item) imageBytes() ([]byte, error) {
	if !it.lazy {
		return it.data, nil
	}
	f, err := os.Open(it.file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if it.size < 0 {
		b, err := io.ReadAll(io.LimitReader(f, maxImageBytes+1))
		if err == nil && len(b) > maxImageBytes {
			err = fmt.Errorf("%s: image file larger than %d MiB", it.file, maxImageBytes>>20)
		}
		return b, err
	}
	b := make([]byte, it.size)
	if _, err := f.ReadAt(b, it.off); err != nil {
		return nil, fmt.Errorf("%s: reading member %s at %d: %w", it.file, it.key, it.off, err)
	}
	return b, nil
}

// emitFunc receives the samples of a source in order; it returns false to stop reading.
// lazyFunc tells the reader whether it may leave image bodies unread (recording where
// they are instead): true while a resumed loader replays samples it will not deliver.
type (
	emitFunc func(*item) bool
	lazyFunc func() bool
)

// readSource reads the samples of one source file, counting what it has to skip in st.
func readSource(file string, lazy lazyFunc, emit emitFunc, st *Stats) {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".csv":
		readCSV(file, ',', emit, st)
	case ".tsv":
		readCSV(file, '\t', emit, st)
	default:
		readTar(file, lazy, emit, st)
	}
}

// posReader is a buffered reader over a file that knows its offset, so the position of
// a tar member's body is known, and that seeks without a system call, so tar.Reader
// skips the bodies it is not asked for (image bodies during a replay) at the cost of
// reading only what the buffer holds. It reads with ReadAt and keeps no file offset.
type posReader struct {
	f        *os.File
	size     int64 // the file's size, for io.SeekEnd
	pos      int64 // the logical offset
	buf      []byte
	bufStart int64 // the offset of buf[0]
	n        int   // valid bytes in buf
}

const readBufSize = 32 << 10

func (p *posReader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if p.pos < p.bufStart || p.pos >= p.bufStart+int64(p.n) {
		if len(b) >= readBufSize { // large reads bypass the buffer
			n, err := p.f.ReadAt(b, p.pos)
			p.pos += int64(n)
			if n > 0 && err == io.EOF {
				err = nil
			}
			return n, err
		}
		if p.buf == nil {
			p.buf = make([]byte, readBufSize)
		}
		n, err := p.f.ReadAt(p.buf, p.pos)
		p.bufStart, p.n = p.pos, n
		if n == 0 {
			if err == nil {
				err = io.ErrNoProgress
			}
			return 0, err
		}
	}
	n := copy(b, p.buf[p.pos-p.bufStart:p.n])
	p.pos += int64(n)
	return n, nil
}

func (p *posReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += p.pos
	case io.SeekEnd:
		off += p.size
	}
	if off < 0 {
		return p.pos, errors.New("seek before the start of the file")
	}
	p.pos = off
	return off, nil
}

type memberKind int

const (
	otherMember memberKind = iota
	imageMember
	textMember
	jsonMember
)

func kindOf(ext string) memberKind {
	switch strings.ToLower(ext) {
	case "jpg", "jpeg", "png", "webp", "gif", "bmp":
		return imageMember
	case "txt":
		return textMember
	case "json":
		return jsonMember
	}
	return otherMember
}

// splitName is WebDataset's split of a member name into key and extension: the key is
// the name up to the first dot of its base name (directories included), the extension
// the rest.
func splitName(name string) (key, ext string) {
	name = strings.TrimPrefix(name, "./")
	dir, base := path.Split(name)
	i := strings.IndexByte(base, '.')
	if i <= 0 {
		return "", ""
	}
	return dir + base[:i], base[i+1:]
}

// builder collects the members of one sample.
type builder struct {
	it         item
	hasImage   bool // an image is in it (data or lazy reference)
	sawText    bool
	text       string
	jsonCaps   []caption
	jsonLang   string
	jsonSingle string // a "caption" field
}

// finish turns the collected members into a sample and emits it, or counts why not.
func (b *builder) finish(emit emitFunc, st *Stats) bool {
	switch {
	case len(b.jsonCaps) > 0:
		b.it.caps = b.jsonCaps
	case b.text != "":
		b.it.caps = []caption{{b.text, b.jsonLang}}
	case b.jsonSingle != "":
		b.it.caps = []caption{{b.jsonSingle, b.jsonLang}}
	}
	switch {
	case !b.hasImage:
		st.NoImage++
	case len(b.it.caps) == 0:
		st.NoCaption++
	default:
		return emit(&b.it)
	}
	return true
}

// readTar reads a WebDataset shard: consecutive members with the same key form a
// sample. Members with other extensions, directories and links are ignored. A member
// that cannot be used (truncated, too large, a second image for the key, malformed
// JSON) is counted as a bad member and the rest of its sample is still used; a tar
// error ends the shard (a bad shard), keeping the samples before it.
func readTar(file string, lazy lazyFunc, emit emitFunc, st *Stats) {
	f, err := os.Open(file)
	if err != nil {
		st.BadShard++
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		st.BadShard++
		return
	}
	size := fi.Size()
	pr := &posReader{f: f, size: size}
	tr := tar.NewReader(pr)
	var cur *builder
	flush := func() bool {
		if cur == nil {
			return true
		}
		ok := cur.finish(emit, st)
		cur = nil
		return ok
	}
	defer flush()
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			st.BadShard++
			return
		}
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeGNUSparse {
			continue
		}
		key, ext := splitName(hdr.Name)
		kind := kindOf(ext)
		if key == "" || kind == otherMember {
			continue
		}
		if cur == nil || cur.it.key != key {
			if !flush() {
				return
			}
			cur = &builder{it: item{key: key, source: file, file: file}}
		}
		off := pr.pos
		switch {
		case hdr.Typeflag == tar.TypeGNUSparse || isPAXSparse(hdr) || hdr.Size < 0:
			st.BadMember++ // sparse members: not something img2dataset writes
			continue
		case off+hdr.Size > size: // truncated shard: the body runs past the end
			st.BadMember++
			st.BadShard++
			return
		case kind == imageMember && (cur.hasImage || hdr.Size > maxImageBytes),
			kind == textMember && (cur.sawText || hdr.Size > maxTextBytes),
			kind == jsonMember && hdr.Size > maxJSONBytes:
			st.BadMember++ // a duplicate or an oversized member
			continue
		}
		if kind == imageMember && lazy() {
			cur.it.lazy, cur.it.off, cur.it.size = true, off, hdr.Size
			cur.hasImage = true
			continue
		}
		body := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, body); err != nil {
			st.BadMember++
			st.BadShard++
			return
		}
		switch kind {
		case imageMember:
			cur.it.data, cur.hasImage = body, true
		case textMember:
			cur.sawText = true
			cur.text = cleanText(string(body))
		case jsonMember:
			if err := cur.parseJSON(body); err != nil {
				st.BadMember++
			}
		}
	}
}

func isPAXSparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// cleanText trims a caption and replaces invalid UTF-8.
func cleanText(s string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

// parseJSON reads a sample's metadata: "captions" (an array of strings, or of objects
// with "text" (or "caption") and "lang"), "caption" and a language ("lang", "language"
// or "LANGUAGE"). Fields of unexpected types are ignored.
func (b *builder) parseJSON(body []byte) error {
	// One typed pass that keeps the fields we read as raw values and skips the rest (the
	// corpus's licences, sources, hashes): a map of every field, then each value decoded
	// again, was most of the time of the loader's one reading goroutine. Keys match as
	// encoding/json matches them: exactly, else without regard to case.
	var m struct {
		Lang     json.RawMessage `json:"lang"`
		Language json.RawMessage `json:"language"`
		LANGUAGE json.RawMessage `json:"LANGUAGE"`
		Caption  json.RawMessage `json:"caption"`
		Concept  json.RawMessage `json:"concept"`
		Name     json.RawMessage `json:"name"`
		Captions json.RawMessage `json:"captions"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return err
	}
	str := func(raw json.RawMessage) string { return cleanText(jsonString(raw)) }
	for _, raw := range []json.RawMessage{m.Lang, m.Language, m.LANGUAGE} {
		if l := str(raw); l != "" {
			b.jsonLang = l
			break
		}
	}
	b.jsonSingle = str(m.Caption)
	// The corpus names emoji by code point ("concept") and icons and clip art by name;
	// a name is lower-cased so that two icon sets' "Cast" and "cast" are one concept.
	if c := str(m.Concept); c != "" {
		b.it.concept = c
	} else if n := str(m.Name); n != "" {
		b.it.concept = "name:" + strings.ToLower(n)
	}
	var list []json.RawMessage
	if json.Unmarshal(m.Captions, &list) == nil {
		b.jsonCaps = nil
		for _, raw := range list {
			if len(raw) == 0 || raw[0] != '{' { // a string, or nothing usable
				if s := str(raw); s != "" {
					b.jsonCaps = append(b.jsonCaps, caption{s, b.jsonLang})
				}
				continue
			}
			var obj struct {
				Text    json.RawMessage `json:"text"`
				Caption json.RawMessage `json:"caption"`
				Lang    json.RawMessage `json:"lang"`
			}
			if json.Unmarshal(raw, &obj) != nil {
				continue
			}
			text := str(obj.Text)
			if text == "" {
				text = str(obj.Caption)
			}
			lang := str(obj.Lang)
			if lang == "" {
				lang = b.jsonLang
			}
			if text != "" {
				b.jsonCaps = append(b.jsonCaps, caption{text, lang})
			}
		}
	}
	return nil
}

// jsonString is the string a JSON value holds, "" for any other value. Most of the
// corpus's strings have nothing to unescape, and those it returns as they are: decoding
// each through encoding/json was most of the time of the loader's one reading goroutine,
// which every sample passes through (docs/training.md).
func jsonString(raw json.RawMessage) string {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		body := raw[1 : n-1]
		plain := utf8.Valid(body)
		for _, c := range body {
			if c == '\\' || c == '"' || c < 0x20 {
				plain = false
				break
			}
		}
		if plain {
			return string(body)
		}
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// readCSV reads a CSV or TSV sample list: a header row naming an image column
// ("filepath" or "image") and a caption column ("caption" or "text"), and optionally a
// language column ("lang" or "language"); names are matched without regard to case.
// Image paths are relative to the list's folder. The images are read by the decoding
// workers. A list without the needed columns, or one that stops parsing, is a bad
// shard (keeping the rows before the error); a row too short for the columns is a bad
// member.
func readCSV(file string, comma rune, emit emitFunc, st *Stats) {
	f, err := os.Open(file)
	if err != nil {
		st.BadShard++
		return
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.Comma = comma
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		st.BadShard++
		return
	}
	imgCol, capCol, langCol := -1, -1, -1
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		switch {
		case (h == "filepath" || h == "image") && imgCol < 0:
			imgCol = i
		case (h == "caption" || h == "text") && capCol < 0:
			capCol = i
		case (h == "lang" || h == "language") && langCol < 0:
			langCol = i
		}
	}
	if imgCol < 0 || capCol < 0 {
		st.BadShard++
		return
	}
	dir := filepath.Dir(file)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return
		}
		if err != nil { // a parse or read error: the rest of the file cannot be trusted
			st.BadShard++
			return
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) <= max(imgCol, capCol) {
			st.BadMember++
			continue
		}
		p := strings.TrimSpace(rec[imgCol])
		text := cleanText(rec[capCol])
		lang := ""
		if langCol >= 0 && langCol < len(rec) {
			lang = cleanText(rec[langCol])
		}
		switch {
		case p == "":
			st.NoImage++
			continue
		case text == "":
			st.NoCaption++
			continue
		}
		full := p
		if !filepath.IsAbs(full) {
			full = filepath.Join(dir, p)
		}
		it := &item{key: p, source: file, caps: []caption{{text, lang}}, lazy: true, file: full, size: -1}
		if !emit(it) {
			return
		}
	}
}
