package site

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// vuguHelperScript returns the JavaScript that Vugu's DOM renderer installs with
// window.eval. The page's Content-Security-Policy forbids eval, so the site serves the
// script as a file (vugu-render.js), loaded before the app; boot.js then answers the
// renderer's eval of it without evaluating anything. It is read from the vugu module
// that go.mod pins (domrender's jsHelperScript), so it always matches the renderer.
func vuguHelperScript(root string) (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/vugu/vugu")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list github.com/vugu/vugu: %v", err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "domrender", "renderer-js-script.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return "", err
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if len(v.Names) == 1 && v.Names[0].Name == "jsHelperScript" && len(v.Values) == 1 {
				if lit, ok := v.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					return strconv.Unquote(lit.Value)
				}
			}
		}
	}
	return "", fmt.Errorf("%s: no jsHelperScript constant (a vugu version this build does not know)", path)
}
