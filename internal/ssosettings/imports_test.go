package ssosettings

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsPointDown: the identity core, the sign-in adapters, the
// directory and the provisioning engine all import this package, so it
// may import none of them (nor a connector): only the store's types, the
// fingerprint helper, go-ldap's filter parser and the standard library.
func TestImportsPointDown(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{
		"github.com/gatehouse/gatehouse/internal/store":       true,
		"github.com/gatehouse/gatehouse/internal/fingerprint": true,
		"github.com/go-ldap/ldap/v3":                          true,
		// The LDAP connector's attribute-name rule, the one it applies.
		"github.com/gatehouse/gatehouse/internal/connector/ldap": true,
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(path, ".") && !allowed[path] {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
