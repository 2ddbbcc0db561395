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

// TestSSOEventsAreCompletedInOnePlace keeps SSO events made one way: a
// package outside events and the store gives an event what happened (its
// type, status, user, body) and leaves naming its provider and stamping
// its time to events.SSOEventAbout, and writes it through an
// events.SSOLog (which calls it). A literal that sets those
// fields itself, or a direct CreateSSOEvent, is an event built by hand,
// which drifts from the others (a provider stored without a kind, say).
func TestSSOEventsAreCompletedInOnePlace(t *testing.T) {
	completed := map[string]bool{"SSOStrategyID": true, "Provider": true, "ProviderLabel": true, "CreatedAt": true}
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == "../events" || path == "../store" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				sel, ok := n.Type.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "SSOEvent" {
					return true
				}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && completed[k.Name] {
							t.Errorf("%s builds an SSO event with %s by hand; leave it to events.SSOEventAbout", path, k.Name)
						}
					}
				}
			case *ast.SelectorExpr:
				if n.Sel.Name == "CreateSSOEvent" {
					t.Errorf("%s writes an SSO event with CreateSSOEvent; write it through an events.SSOLog", path)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
