package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/identity/identitytest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/teststore"
	"github.com/gatehouse/gatehouse/internal/transfer/multipart"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// BenchmarkFolderPage10k measures the web app's page of a folder of
// 10,000 files as the server answers it (session, the user's file view,
// one directory read, the sort, the template; no network), by name, by
// size and filtered, and reports the 99th percentile (p99-ms) beside the
// mean. The goal is under 200 ms of server time.
//
//	go test -run '^$' -bench BenchmarkFolderPage10k -benchtime 100x ./internal/web
func BenchmarkFolderPage10k(b *testing.B) {
	ctx := context.Background()
	st := teststore.SQLite(b)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := identity.New(st, identity.Options{Logger: logger, Sealer: identitytest.Sealer(b), PasswordHashing: identitytest.CheapHashing()})
	site, err := svc.EnsureDefaultSite(ctx)
	if err != nil {
		b.Fatal(err)
	}
	pw, method, yes, username := strongPassword, store.AuthPassword, true, "alice"
	u, err := svc.CreateUser(ctx, identity.SystemActor, site.ID, identity.UserChange{Username: &username, Password: &pw,
		AuthenticationMethod: &method, RestAPIPermission: &yes})
	if err != nil {
		b.Fatal(err)
	}
	files, err := vfs.New(filepath.Join(b.TempDir(), "files"), st)
	if err != nil {
		b.Fatal(err)
	}
	fsys, err := files.For(ctx, site, u)
	if err != nil {
		b.Fatal(err)
	}
	if err := fsys.Mkdir(ctx, "/big"); err != nil {
		b.Fatal(err)
	}
	// The files are made on disk directly: 10,000 uploads through the
	// view would measure the setup, not the page.
	dir := findDir(b, files.Root(), "big")
	for i := range 10_000 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("report-%05d.csv", i)), []byte(strings.Repeat("x", i%977)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	token, _, err := svc.StartSession(ctx, u, identity.ChannelWeb, "127.0.0.1", "bench")
	if err != nil {
		b.Fatal(err)
	}
	h, err := New(Options{Service: svc, BaseURL: "http://example.test", SiteDomain: "example.test", Logger: logger, Files: files,
		Uploads: multipart.New(multipart.Options{Store: st, Staging: files, Logger: logger})})
	if err != nil {
		b.Fatal(err)
	}
	cookie := &http.Cookie{Name: sessionCookie, Value: token}
	for _, c := range []struct{ name, path string }{
		{"by-name", "/files/big/"},
		{"by-name-last-page", "/files/big/?page=100"},
		{"by-size-desc", "/files/big/?sort=size&order=desc"},
		{"filtered", "/files/big/?q=report-09"},
	} {
		b.Run(c.name, func(b *testing.B) {
			benchPage(b, h, cookie, c.path, func(body string) bool { return strings.Contains(body, "report-") })
		})
	}
}

// findDir finds the folder named name under root (the storage's layout
// is the storage's own business).
func findDir(tb testing.TB, root, name string) string {
	tb.Helper()
	var found string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == name {
			found = p
			return filepath.SkipAll
		}
		return nil
	})
	if found == "" {
		tb.Fatalf("no folder %s under %s", name, root)
	}
	return found
}
