package core

import (
	"strings"
	"testing"
)

func TestHubBase(t *testing.T) {
	for _, c := range []struct{ in, base, name string }{
		{"https://huggingface.co/openai/clip-vit-base-patch32/resolve/main/",
			"https://huggingface.co/openai/clip-vit-base-patch32/resolve/main/", "openai/clip-vit-base-patch32"},
		{" openai/clip-vit-base-patch32 ", "https://huggingface.co/openai/clip-vit-base-patch32/resolve/main/", "openai/clip-vit-base-patch32"},
		{"https://huggingface.co/openai/clip-vit-base-patch32", "https://huggingface.co/openai/clip-vit-base-patch32/resolve/main/", "openai/clip-vit-base-patch32"},
		{"https://huggingface.co/laion/CLIP-ViT-B-32-laion2B-s34B-b79K/tree/main",
			"https://huggingface.co/laion/CLIP-ViT-B-32-laion2B-s34B-b79K/resolve/main/", "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"},
		{"https://huggingface.co/openai/clip-vit-base-patch16/resolve/main/model.safetensors?download=true",
			"https://huggingface.co/openai/clip-vit-base-patch16/resolve/main/", "openai/clip-vit-base-patch16"},
		{"http://127.0.0.1:8081/tiny-clip", "http://127.0.0.1:8081/tiny-clip/", "tiny-clip"},
		{"http://127.0.0.1:8081/", "http://127.0.0.1:8081/", "127.0.0.1:8081"},
	} {
		base, name, err := HubBase(c.in)
		if err != nil || base != c.base || name != c.name {
			t.Errorf("HubBase(%q) = %q, %q, %v; want %q, %q", c.in, base, name, err, c.base, c.name)
		}
	}
	for _, bad := range []string{"", "  ", "javascript:alert(1)", "file:///etc/passwd", "ftp://x/y", "not a url"} {
		if _, _, err := HubBase(bad); err == nil {
			t.Errorf("HubBase(%q) accepted", bad)
		}
	}
	for _, p := range Presets {
		if base, name, err := HubBase(p.URL()); err != nil || base != p.URL() || name != p.Repo {
			t.Errorf("preset %s: %q %q %v", p.Title, base, name, err)
		}
		if !strings.Contains(p.Label(), "MB") && !strings.Contains(p.Label(), "GB") {
			t.Errorf("preset label %q has no size", p.Label())
		}
	}
}
