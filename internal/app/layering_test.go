package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestFrontEndsDoNotHoldTheStore keeps the one-way flow the app wires:
// the front ends (web, the console, SCIM, the transfer channels) and the sign-in
// protocol adapters reach records through the identity core, the sign-in
// core or the provisioning engine, or through a narrow interface of their
// own that the app fills with the store (WebDAV's locks, SCIM's request
// log). None of them names the whole store, store.Store, outside its
// tests: a new call that needs the store shows up here instead of
// quietly bypassing the core.
func TestFrontEndsDoNotHoldTheStore(t *testing.T) {
	dirs := []string{"../web", "../console", "../scim", "../samllogin", "../oidclogin"}
	transfer, err := os.ReadDir("../transfer")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range transfer {
		if d.IsDir() && d.Name() != "transfertest" {
			dirs = append(dirs, filepath.Join("../transfer", d.Name()))
		}
	}
	const storePath = "github.com/gatehouse/gatehouse/internal/store"
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", dir, err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			local := ""
			for _, imp := range f.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); p == storePath {
					local = "store"
					if imp.Name != nil {
						local = imp.Name.Name
					}
				}
			}
			if local == "" {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Store" {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == local {
						t.Errorf("%s names store.Store; give it the identity core or a narrow interface the app wires", name)
					}
				}
				return true
			})
		}
	}
}
