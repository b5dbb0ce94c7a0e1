package core

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Preset is a well-known CLIP on the model hub that the page offers to load.
type Preset struct {
	Title string
	Repo  string // owner/name on huggingface.co
	Bytes int64  // model.safetensors, float32: what the page downloads
}

// Presets are the page's suggestions; choosing one only fills the URL box. The sizes are
// those of the repositories' model.safetensors (float32).
var Presets = []Preset{
	{"OpenAI ViT-B/32", "openai/clip-vit-base-patch32", 605_000_000},
	{"OpenAI ViT-B/16", "openai/clip-vit-base-patch16", 599_000_000},
	{"OpenAI ViT-L/14", "openai/clip-vit-large-patch14", 1_710_000_000},
	{"LAION ViT-B/32 (LAION-2B)", "laion/CLIP-ViT-B-32-laion2B-s34B-b79K", 605_000_000},
}

// Label is the preset's button text: its title and download size.
func (p Preset) Label() string { return fmt.Sprintf("%s · %s", p.Title, Bytes(p.Bytes)) }

// URL is the preset's folder on the model hub.
func (p Preset) URL() string { return "https://huggingface.co/" + p.Repo + "/resolve/main/" }

var repoID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$`)

// HubBase reads what the user typed in the URL box: a folder URL in the model-hub
// layout (…/resolve/main/), a repository's page on huggingface.co, or a bare repository
// id (openai/clip-vit-base-patch32). It returns the folder's URL, ending in /, and the
// model's name: the repository path for the hub (the part before /resolve/), else the
// URL's path.
func HubBase(input string) (base, name string, err error) {
	s := strings.TrimSpace(input)
	if s == "" {
		return "", "", fmt.Errorf("type a model-hub URL or choose a preset")
	}
	if repoID.MatchString(s) {
		s = "https://huggingface.co/" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", "", fmt.Errorf("%q is not an http(s) URL of a model folder", input)
	}
	u.RawQuery, u.Fragment = "", ""
	path := strings.TrimSuffix(u.Path, "/")
	path = strings.TrimSuffix(path, "/model.safetensors") // the weights' own URL: its folder
	path = strings.TrimSuffix(path, "/config.json")
	host := strings.TrimPrefix(u.Hostname(), "www.")
	if i := strings.Index(path, "/resolve/"); i >= 0 {
		name = strings.Trim(path[:i], "/")
	} else if i := strings.Index(path, "/tree/"); i >= 0 && host == "huggingface.co" {
		// A repository's file view: the same revision's files.
		name = strings.Trim(path[:i], "/")
		path = path[:i] + "/resolve/" + path[i+len("/tree/"):]
	} else if host == "huggingface.co" && strings.Count(strings.Trim(path, "/"), "/") == 1 {
		name = strings.Trim(path, "/")
		path += "/resolve/main"
	} else {
		name = strings.Trim(path, "/")
	}
	if name == "" {
		name = u.Host
	}
	u.Path = path + "/"
	return u.String(), name, nil
}
