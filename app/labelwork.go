//go:build js && wasm

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall/js"

	"github.com/clip-go/clip/app/core"
	"github.com/clip-go/clip/app/project"
)

// The labelling view's background work: loading saved projects, importing images,
// encoding and scoring them, saving, exporting. Each runs in a goroutine of its own and
// takes the event lock (Root's env) only to read or change the state.

// save writes the project to IndexedDB now: a reload a moment after a keystroke must
// not lose it (a delay to gather keystrokes did). One write is in flight at a time; the
// changes made meanwhile go in the next one. The caller holds the event lock.
func (c *Labeller) save(p *project.Project) {
	s := c.st()
	if s.dirty == nil {
		s.dirty = map[*project.Project]bool{}
	}
	s.dirty[p] = true
	if !s.saving {
		s.saving = true
		go c.flush()
	}
}

// flush writes the changed projects until none is left.
func (c *Labeller) flush() {
	for {
		c.Root.env.Lock()
		s := c.st()
		var p *project.Project
		for q := range s.dirty {
			p = q
			break
		}
		if p == nil {
			s.saving = false
			c.Root.env.UnlockOnly()
			return
		}
		delete(s.dirty, p)
		b, err := json.Marshal(p)
		c.Root.env.UnlockOnly()
		if err == nil {
			err = saveProject(p.ID, b)
		}
		if err != nil {
			c.setErr(fmt.Errorf("could not save the project: %v", err))
		}
	}
}

func (c *Labeller) setErr(err error) {
	c.Root.env.Lock()
	c.st().err = err.Error()
	c.Root.unlockRender()
}

func (c *Labeller) setBusy(text string) {
	c.Root.env.Lock()
	c.st().busy = text
	c.Root.unlockRender()
}

// loadSaved reads the projects from IndexedDB, or starts a first one.
func (c *Labeller) loadSaved() {
	projects, err := loadProjects()
	c.Root.env.Lock()
	s := c.st()
	s.projects = append(projects, s.projects...)
	sort.SliceStable(s.projects, func(a, b int) bool { return s.projects[a].ID < s.projects[b].ID })
	if err != nil {
		s.err = err.Error()
	}
	if len(s.projects) == 0 {
		c.onNewProject(nil)
	}
	p := c.project()
	c.Root.unlockRender()
	c.loadThumbs(p)
}

// loadThumbs makes object URLs for the project's stored images.
func (c *Labeller) loadThumbs(p *project.Project) {
	if p == nil {
		return
	}
	c.Root.env.Lock()
	var keys []string
	for _, im := range p.Images {
		if k := blobKey(p, im); c.st().thumbs[k] == "" {
			keys = append(keys, k)
		}
	}
	c.Root.env.UnlockOnly()
	for _, k := range keys {
		blob, err := getBlob(k)
		if err != nil || !blob.Truthy() {
			continue
		}
		url := js.Global().Get("URL").Call("createObjectURL", blob).String()
		c.Root.env.Lock()
		c.st().thumbs[k] = url
		c.Root.unlockRender()
	}
}

// importFiles adds the image files to the project: each is stored, encoded (once per
// model and content) and scored. Files that are not images are skipped and counted; an
// image that does not decode is marked and the rest go on; a full storage stops the
// import with a message, keeping what was stored.
func (c *Labeller) importFiles(p *project.Project, files []fileRef) {
	var imgs []fileRef
	skipped := 0
	for _, f := range files {
		if t := f.file.Get("type").String(); strings.HasPrefix(t, "image/") {
			imgs = append(imgs, f)
		} else {
			skipped++
		}
	}
	sort.SliceStable(imgs, func(a, b int) bool { return imgs[a].path < imgs[b].path })
	var added []*project.Image
	var stopped error
	for n, f := range imgs {
		c.setBusy(fmt.Sprintf("Storing image %d of %d…", n+1, len(imgs)))
		// The image joins the project before its bytes are stored, so that an import
		// running beside this one takes the next ID; it leaves if they cannot be stored.
		c.Root.env.Lock()
		im := &project.Image{ID: nextImageID(p), File: f.path, State: project.Suggested}
		p.Images = append(p.Images, im)
		c.Root.env.UnlockOnly()
		if err := putBlob(blobKey(p, im), f.file); err != nil {
			c.Root.env.Lock()
			p.Images = slices.DeleteFunc(p.Images, func(x *project.Image) bool { return x == im })
			c.Root.unlockRender()
			stopped = err
			break
		}
		url := js.Global().Get("URL").Call("createObjectURL", f.file).String()
		c.Root.env.Lock()
		c.st().thumbs[blobKey(p, im)] = url
		c.save(p)
		c.Root.unlockRender()
		added = append(added, im)
	}
	c.Root.env.Lock()
	s := c.st()
	s.msg = fmt.Sprintf("Added %d images.", len(added))
	if skipped > 0 {
		s.msg += fmt.Sprintf(" Skipped %d files that are not images.", skipped)
	}
	if stopped != nil {
		s.err = fmt.Sprintf("Stopped after %d of %d images: %v", len(added), len(imgs), stopped)
	}
	c.Root.unlockRender()
	c.rescore(p)
}

// fileRef is a file to import and its path in the project: its folder-relative path
// (webkitdirectory, a dropped or picked folder), or its name.
type fileRef struct {
	file js.Value
	path string
}

// refsOfInput lists an <input type=file>'s files.
func refsOfInput(list js.Value) []fileRef {
	var out []fileRef
	for _, f := range filesOf(list) {
		path := f.Get("name").String()
		if r := f.Get("webkitRelativePath"); r.Truthy() && r.String() != "" {
			path = r.String()
		}
		out = append(out, fileRef{f, path})
	}
	return out
}

// awaitRefs waits for label-store.js's list of {file, path} (a drop, a picked folder).
func awaitRefs(promise js.Value) ([]fileRef, error) {
	list, err := await(promise)
	if err != nil {
		return nil, err
	}
	out := make([]fileRef, list.Length())
	for i := range out {
		out[i] = fileRef{list.Index(i).Get("file"), list.Index(i).Get("path").String()}
	}
	return out, nil
}

// importFrom imports the files a promise lists (a drop, a picked folder) into the
// shown project.
func (c *Labeller) importFrom(p *project.Project, promise js.Value) {
	refs, err := awaitRefs(promise)
	if err != nil {
		c.setErr(fmt.Errorf("could not read the folder: %v", err))
		return
	}
	c.importFiles(p, refs)
}

// nextImageID is one more than the largest image ID of the project. The caller holds
// the event lock.
func nextImageID(p *project.Project) string {
	n := 0
	for _, im := range p.Images {
		if k, err := strconv.Atoi(im.ID); err == nil && k > n {
			n = k
		}
	}
	return strconv.Itoa(n + 1)
}

// rescore scores every image of the project with its labels and the page's templates:
// from the embeddings kept for this model (in memory, else IndexedDB), encoding only
// the images this model has not seen. Decided labels stay (project.SetScores).
func (c *Labeller) rescore(p *project.Project) {
	c.Root.env.Lock()
	ready, model := c.Root.model.Phase == phaseReady, c.Root.model.Info.ID
	labels := append([]string(nil), p.Labels...)
	// The classify view's template choice (its templates field is set only while its own
	// labels box is valid).
	templates, terr := core.Templates(c.Root.templateSet, c.Root.customTemplates)
	images := append([]*project.Image(nil), p.Images...)
	c.Root.env.UnlockOnly()
	if terr != nil {
		c.setErr(fmt.Errorf("the prompt templates: %v", terr))
		return
	}
	if !ready {
		c.setBusy("Waiting for the model…")
		return
	}
	got, errs := c.encodeAll(p, images, model)
	var idx []int
	var embs []any
	for i, im := range images {
		if errs[i] != nil {
			c.Root.env.Lock()
			im.Err = errs[i].Error()
			c.Root.unlockRender()
			continue
		}
		idx = append(idx, i)
		embs = append(embs, got[i])
	}
	c.setBusy("")
	if len(idx) == 0 || len(labels) == 0 {
		c.Root.env.Lock()
		p.Model = model // nothing to score with this model: no retry (Labeller.Compute)
		c.save(p)
		c.Root.unlockRender()
		return
	}
	req := map[string]any{"images": embs, "labels": anySlice(labels), "templates": anySlice(templates), "top": topK}
	res, err := c.Root.pool.Call("classify", []any{req})
	var tops [][]project.Pred
	if err == nil {
		err = json.Unmarshal([]byte(js.Global().Get("JSON").Call("stringify", res).String()), &tops)
	}
	if err != nil {
		c.Root.env.Lock()
		p.Model = model // the error is shown; a label edit tries again
		c.st().err = fmt.Sprintf("scoring failed: %v", err)
		c.Root.unlockRender()
		return
	}
	c.Root.env.Lock()
	if equal(p.Labels, labels) { // else the labels changed meanwhile and that re-score follows
		p.SetScores(idx, tops, model, templates)
	}
	c.save(p)
	c.Root.unlockRender()
	c.Root.refreshStats()
}

func equal(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}

// encodeAll gets the images' embeddings (embedding), on as many workers at once as
// the pool has, in the images' order.
func (c *Labeller) encodeAll(p *project.Project, images []*project.Image, model string) ([]js.Value, []error) {
	embs, errs := make([]js.Value, len(images)), make([]error, len(images))
	next := make(chan int, len(images))
	for i := range images {
		next <- i
	}
	close(next)
	var mu sync.Mutex
	started := 0
	var wg sync.WaitGroup
	for range min(c.Root.pool.Size(), len(images)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				mu.Lock()
				started++
				n := started
				mu.Unlock()
				c.setBusy(fmt.Sprintf("Encoding image %d of %d…", n, len(images)))
				embs[i], errs[i] = c.embedding(p, images[i], model)
			}
		}()
	}
	wg.Wait()
	return embs, errs
}

// embeddings kept in memory, by model and content hash (IndexedDB keeps them all).
var (
	labelEmbs   = map[string]js.Value{}
	labelEmbsMu sync.Mutex
)

// keepEmbedding remembers an embedding, dropping the others past maxEmbeddings (they
// are read back from IndexedDB).
func keepEmbedding(key string, e js.Value) {
	labelEmbsMu.Lock()
	defer labelEmbsMu.Unlock()
	if len(labelEmbs) >= maxEmbeddings {
		clear(labelEmbs)
	}
	labelEmbs[key] = e
}

// embedding returns the image's embedding for the model: from memory, from IndexedDB,
// or encoded by the worker from the stored bytes (and then kept in both).
func (c *Labeller) embedding(p *project.Project, im *project.Image, model string) (js.Value, error) {
	c.Root.env.Lock()
	hash := im.Hash
	c.Root.env.UnlockOnly()
	if hash != "" {
		key := model + "/" + hash
		labelEmbsMu.Lock()
		e, ok := labelEmbs[key]
		labelEmbsMu.Unlock()
		if ok {
			return e, nil
		}
		if e, err := getEmbedding(key); err == nil && e.Truthy() {
			keepEmbedding(key, e)
			return e, nil
		}
	}
	blob, err := getBlob(blobKey(p, im))
	if err != nil || !blob.Truthy() {
		return js.Value{}, fmt.Errorf("the image's bytes are not in storage")
	}
	data, err := fileBytes(blob)
	if err != nil {
		return js.Value{}, err
	}
	if hash == "" {
		hash = hashBytes(data)
		c.Root.env.Lock()
		im.Hash = hash
		c.Root.env.UnlockOnly()
	}
	emb, encodedBy, err := c.Root.pool.EmbedImage(data)
	if err != nil {
		return js.Value{}, err
	}
	key := encodedBy + "/" + hash
	if encodedBy != model {
		return js.Value{}, fmt.Errorf("the model changed while the image was encoded")
	}
	keepEmbedding(key, emb)
	if err := putEmbedding(key, emb); err != nil {
		c.setErr(err)
	}
	return emb, nil
}

// export writes the project in one of the formats and hands it to the browser's
// download.
func (c *Labeller) export(p *project.Project, kind string) {
	if p == nil {
		return
	}
	c.Root.env.Lock()
	snap := *p // the images are pointers: copy what the export reads
	snap.Images = nil
	for _, im := range p.Images {
		cp := *im
		snap.Images = append(snap.Images, &cp)
	}
	val, _ := strconv.ParseFloat(strings.TrimSpace(c.st().valPct), 64)
	c.Root.env.UnlockOnly()
	base := fileSafe(snap.Name)
	var buf bytes.Buffer
	var err error
	name, mime := "", ""
	switch kind {
	case "csv":
		name, mime, err = base+".csv", "text/csv", snap.WriteCSV(&buf)
	case "jsonl":
		name, mime, err = base+".jsonl", "application/jsonl", snap.WriteJSONL(&buf)
	case "labelstudio":
		name, mime, err = base+"-label-studio.json", "application/json", snap.WriteLabelStudio(&buf, "/data/local-files/?d=")
	case "zip":
		c.setBusy("Writing the zip…")
		var n int
		n, err = snap.WriteZip(&buf, project.ZipOptions{ValFraction: val / 100}, func(i int) ([]byte, error) {
			blob, err := getBlob(blobKey(&snap, snap.Images[i]))
			if err != nil || !blob.Truthy() {
				return nil, fmt.Errorf("not in storage")
			}
			u8, err := fileBytes(blob)
			if err != nil {
				return nil, err
			}
			return goBytes(u8), nil
		})
		c.setBusy("")
		name, mime = base+".zip", "application/zip"
		if err == nil && n == 0 {
			err = fmt.Errorf("no accepted or corrected image to put in the zip")
		}
	}
	if err != nil {
		c.setErr(fmt.Errorf("export: %v", err))
		return
	}
	download(name, mime, buf.Bytes())
	c.Root.env.Lock()
	c.st().msg = "Exported " + name + "."
	c.Root.unlockRender()
}

// writeFolders writes the project's image-folder layout (as the zip has it, with its
// validation share) into the folder the person picked, with progress.
func (c *Labeller) writeFolders(p *project.Project, picked js.Value) {
	dir, err := await(picked)
	if err != nil {
		c.setErr(fmt.Errorf("no folder to write to: %v", err))
		return
	}
	c.Root.env.Lock()
	val, _ := strconv.ParseFloat(strings.TrimSpace(c.st().valPct), 64)
	entries := p.Layout(project.ZipOptions{ValFraction: val / 100})
	keys := make([]string, len(entries))
	for k, e := range entries {
		keys[k] = blobKey(p, p.Images[e.Index])
	}
	c.Root.env.UnlockOnly()
	for k, e := range entries {
		c.setBusy(fmt.Sprintf("Writing image %d of %d…", k+1, len(entries)))
		blob, err := getBlob(keys[k])
		if err == nil && !blob.Truthy() {
			err = fmt.Errorf("not in storage")
		}
		if err == nil {
			_, err = await(store().Call("writeFile", dir, e.Path, blob))
		}
		if err != nil {
			c.setBusy("")
			c.setErr(fmt.Errorf("writing %s: %v (%d of %d written)", e.Path, err, k, len(entries)))
			return
		}
	}
	c.setBusy("")
	c.Root.env.Lock()
	name := dir.Get("name").String()
	if name == "" {
		name = "the chosen folder"
	}
	c.st().msg = fmt.Sprintf("Wrote %d images into %s.", len(entries), name)
	c.Root.unlockRender()
}

// fileSafe is a download's file name from the project's name.
func fileSafe(name string) string {
	out := strings.Map(func(r rune) rune {
		if r < ' ' || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(name))
	if out == "" || strings.HasPrefix(out, ".") {
		out = "labels" + out
	}
	return out
}

// importCSV applies a CSV of labels (an export of this project or another tool's) to the
// project's images by file path.
func (c *Labeller) importCSV(p *project.Project, file js.Value) {
	if size := file.Get("size").Float(); size > project.MaxImportBytes {
		c.setErr(fmt.Errorf("the CSV is %s; at most %s", core.Bytes(int64(size)), core.Bytes(project.MaxImportBytes)))
		return
	}
	u8, err := fileBytes(file)
	var rows []project.Row
	if err == nil {
		rows, err = project.ReadCSV(bytes.NewReader(goBytes(u8)))
	}
	if err != nil {
		c.setErr(err)
		return
	}
	c.Root.env.Lock()
	set, missing := p.ApplyRows(rows)
	s := c.st()
	s.msg = fmt.Sprintf("Set %d labels from %s.", set, file.Get("name").String())
	if len(missing) > 0 {
		s.msg += fmt.Sprintf(" %d rows name files not in this project.", len(missing))
	}
	c.save(p)
	c.Root.unlockRender()
	c.rescore(p) // new labels from the CSV get suggestions too
}
