package webapp

import (
	"cmp"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/transfer/fileerr"
	"github.com/gatehouse/gatehouse/internal/transfer/usercontent"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// PageSize is how many entries one page of a folder shows. A folder of
// 10,000 entries is listed once per request (one directory read, one
// sort) and only this many rows are drawn, so the page stays small and
// quick whatever the folder holds.
const PageSize = 100

// errNoFiles answers every file page on a server that keeps no files.
var errNoFiles = identity.ErrNotFound.With("this server keeps no files; an administrator starts it with a data directory to turn files on")

// fsFor is the caller's file view: the same one SFTP, FTP, WebDAV and the
// REST API give this user, with the same permission checks.
func (a *App) fsFor(r *http.Request, c *Call) (vfs.FS, error) {
	if a.files == nil {
		return nil, errNoFiles
	}
	return a.files.For(r.Context(), c.Site, c.User)
}

// cleanPath is the folder or file a route's {path...} names, as the file
// view's slash path.
func cleanPath(r *http.Request) string {
	return "/" + strings.Trim(r.PathValue("path"), "/")
}

// escapePath percent-encodes each element of a slash path for a URL, so
// names with "?", "#", "%" or spaces stay names.
func escapePath(p string) string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// folderHref is the page of folder p.
func folderHref(p string) string {
	if e := escapePath(p); e != "" {
		return "/files/" + e + "/"
	}
	return "/files/"
}

// crumb is one step of the breadcrumbs.
type crumb struct {
	Name string
	Href string
}

func breadcrumbs(p string) []crumb {
	out := []crumb{{Name: "My files", Href: "/files/"}}
	cur := ""
	for _, el := range strings.Split(strings.Trim(p, "/"), "/") {
		if el == "" {
			continue
		}
		cur += "/" + el
		out = append(out, crumb{Name: el, Href: folderHref(cur)})
	}
	return out
}

// entry is one row of a folder's page.
type entry struct {
	Name     string
	Dir      bool
	Size     int64
	Modified time.Time
	Href     string // the folder's page, or the file's download
	Preview  string // the file's preview page, when it has one
}

// listing is the data of a folder's page.
type listing struct {
	Path      string // the folder, as the user's path
	Escaped   string // the folder for URLs, without slashes around it
	Crumbs    []crumb
	Entries   []entry
	Total     int // entries in the folder (after the filter)
	Page      int
	Pages     int
	Sort      string
	Desc      bool
	Query     string
	Writable  bool
	PrevHref  string
	NextHref  string
	SortHrefs map[string]string
	// PartSize is the size of the parts the page's script uploads in.
	PartSize int64
}

// uploadPartSize is the part the browser cuts a file into: large enough
// that a 10 GiB file is 640 parts (well under the upload's 10,000), small
// enough that a part lost to a dropped connection costs seconds to send
// again.
const uploadPartSize = 16 << 20

// browse answers GET /files/{path...}: a folder's page, or for a file, its
// download.
func (a *App) browse(w http.ResponseWriter, r *http.Request, c *Call) {
	p := cleanPath(r)
	if p != "/" && !strings.HasSuffix(r.URL.Path, "/") {
		fsys, err := a.fsFor(r, c)
		if err != nil {
			a.fail(w, r, c, err)
			return
		}
		if fi, err := fsys.Stat(r.Context(), p); err == nil && !fi.IsDir() {
			http.Redirect(w, r, "/download/"+escapePath(p), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, folderHref(p)+queryOf(r), http.StatusSeeOther)
		return
	}
	a.showFolder(w, r, c, p, http.StatusOK, notice(r.URL.Query().Get("done")), "")
}

func queryOf(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return "?" + r.URL.RawQuery
}

// notices are what a finished action says, by the key its redirect
// carries: the query names a notice, it is never the text.
var notices = map[string]string{
	"mkdir":  "The folder was created.",
	"rename": "Renamed.",
	"move":   "Moved.",
	"copy":   "Copied.",
	"delete": "Deleted.",
}

func notice(key string) string { return notices[key] }

// showFolder draws folder p's page with a notice or an error.
func (a *App) showFolder(w http.ResponseWriter, r *http.Request, c *Call, p string, status int, note, problem string) {
	fsys, err := a.fsFor(r, c)
	if err != nil {
		a.fail(w, r, c, err)
		return
	}
	infos, err := fsys.ReadDir(r.Context(), p)
	if err != nil {
		a.fail(w, r, c, fileerr.Typed(err))
		return
	}
	q := r.URL.Query()
	l := listing{Path: p, Escaped: escapePath(p), Crumbs: breadcrumbs(p), Sort: q.Get("sort"), Desc: q.Get("order") == "desc",
		Query: strings.TrimSpace(q.Get("q")), Writable: fsys.Writable(r.Context(), p) == nil, PartSize: uploadPartSize}
	if l.Sort != "size" && l.Sort != "modified" {
		l.Sort = "name"
	}
	infos = filterNames(infos, l.Query)
	sortEntries(infos, l.Sort, l.Desc)
	l.Total = len(infos)
	l.Pages = max(1, (l.Total+PageSize-1)/PageSize)
	l.Page, _ = strconv.Atoi(q.Get("page"))
	l.Page = min(max(l.Page, 1), l.Pages)
	lo, hi := (l.Page-1)*PageSize, min(l.Page*PageSize, l.Total)
	l.Entries = make([]entry, 0, hi-lo)
	for _, fi := range infos[lo:hi] {
		l.Entries = append(l.Entries, entryOf(p, fi))
	}
	base := folderHref(p)
	link := func(sort string, desc bool, page int) string {
		v := url.Values{}
		if sort != "name" {
			v.Set("sort", sort)
		}
		if desc {
			v.Set("order", "desc")
		}
		if l.Query != "" {
			v.Set("q", l.Query)
		}
		if page > 1 {
			v.Set("page", strconv.Itoa(page))
		}
		if len(v) == 0 {
			return base
		}
		return base + "?" + v.Encode()
	}
	if l.Page > 1 {
		l.PrevHref = link(l.Sort, l.Desc, l.Page-1)
	}
	if l.Page < l.Pages {
		l.NextHref = link(l.Sort, l.Desc, l.Page+1)
	}
	l.SortHrefs = map[string]string{}
	for _, s := range []string{"name", "size", "modified"} {
		l.SortHrefs[s] = link(s, s == l.Sort && !l.Desc, 1)
	}
	title := "My files"
	if p != "/" {
		title = path.Base(p)
	}
	a.render(w, c, status, "files", view{Title: title, Section: "files", Notice: note, Error: problem, Data: l})
}

// filterNames keeps the entries whose name holds q, ignoring case.
func filterNames(in []fs.FileInfo, q string) []fs.FileInfo {
	if q == "" {
		return in
	}
	q = strings.ToLower(q)
	out := in[:0:0]
	for _, fi := range in {
		if strings.Contains(strings.ToLower(fi.Name()), q) {
			out = append(out, fi)
		}
	}
	return out
}

// sortEntries orders a folder as its page shows it: folders before files,
// then by the chosen column, names breaking ties so the order is stable
// from one page to the next. Each name is folded to lower case once, not
// at every comparison: a folder of 10,000 entries takes some 140,000.
func sortEntries(in []fs.FileInfo, by string, desc bool) {
	type keyed struct {
		fi    fs.FileInfo
		lower string
	}
	ks := make([]keyed, len(in))
	for i, fi := range in {
		ks[i] = keyed{fi, strings.ToLower(fi.Name())}
	}
	slices.SortFunc(ks, func(x, y keyed) int {
		if x.fi.IsDir() != y.fi.IsDir() {
			if x.fi.IsDir() {
				return -1
			}
			return 1
		}
		c := 0
		switch by {
		case "size":
			c = cmp.Compare(x.fi.Size(), y.fi.Size())
		case "modified":
			c = x.fi.ModTime().Compare(y.fi.ModTime())
		}
		if c == 0 {
			c = cmp.Compare(x.lower, y.lower)
		}
		if c == 0 {
			c = cmp.Compare(x.fi.Name(), y.fi.Name())
		}
		if desc {
			return -c
		}
		return c
	})
	for i := range ks {
		in[i] = ks[i].fi
	}
}

func entryOf(dir string, fi fs.FileInfo) entry {
	full := path.Join(dir, fi.Name())
	e := entry{Name: fi.Name(), Dir: fi.IsDir(), Size: fi.Size(), Modified: fi.ModTime()}
	if e.Dir {
		e.Href = folderHref(full)
		return e
	}
	e.Href = "/download/" + escapePath(full)
	if previewKind(fi.Name()) != "" {
		e.Preview = "/preview/" + escapePath(full)
	}
	return e
}

// previewKind says how a file can be shown in the page without running:
// "image" for the passive image types (never SVG), "text" for text that
// is drawn escaped; "" for no preview.
func previewKind(name string) string {
	ct := usercontent.ContentType(name)
	switch {
	case strings.HasPrefix(ct, "image/"):
		return "image"
	case strings.HasPrefix(ct, "text/"), textExtensions[strings.ToLower(path.Ext(name))]:
		return "text"
	}
	return ""
}

// textExtensions are files shown as text in a preview although they are
// downloaded as octet streams: their text is drawn escaped inside the
// page, so markup in them is only ever read, never run.
var textExtensions = map[string]bool{
	".md": true, ".json": true, ".xml": true, ".yaml": true, ".yml": true, ".ini": true, ".conf": true, ".cfg": true,
	".toml": true, ".html": true, ".htm": true, ".svg": true, ".sh": true, ".py": true, ".go": true, ".js": true, ".css": true, ".sql": true,
}
