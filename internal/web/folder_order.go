package web

import (
	"cmp"
	"io/fs"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// A folder listing follows Files.com: folders always come before files,
// each in sort_by's order (path, the default, size, modified_at_datetime
// or provided_modified_at, asc or desc); type=folder or type=file keeps
// one of the two, and search keeps the entries whose name contains it,
// without regard to case (Files.com: "Ignores text before last /"). A
// listing is read whole from storage, so it is ordered in memory.

var folderList = listSpec{
	"path":                 {kind: store.KindText, sort: true},
	"size":                 {kind: store.KindID, sort: true},
	"modified_at_datetime": {kind: store.KindTime, sort: true},
	"provided_modified_at": {kind: store.KindTime, sort: true},
}

// orderFolder filters and orders a folder's entries as the request asks.
func orderFolder(r *http.Request, infos []fs.FileInfo) ([]fs.FileInfo, error) {
	lq, err := parseListQuery(r.URL.Query(), folderList)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	keep := func(fs.FileInfo) bool { return true }
	switch t := q.Get("type"); t {
	case "":
	case "folder", "directory":
		keep = fs.FileInfo.IsDir
	case "file":
		keep = func(fi fs.FileInfo) bool { return !fi.IsDir() }
	default:
		return nil, errInvalidQuery.With("type must be folder or file, not %q", truncate(t, 20))
	}
	search := q.Get("search")
	if i := strings.LastIndexByte(search, '/'); i >= 0 {
		search = search[i+1:]
	}
	search = strings.ToLower(search)
	out := make([]fs.FileInfo, 0, len(infos))
	for _, fi := range infos {
		if keep(fi) && strings.Contains(strings.ToLower(fi.Name()), search) {
			out = append(out, fi)
		}
	}
	byField := func(a, b fs.FileInfo) int {
		switch lq.sort.Field {
		case "size":
			return cmp.Compare(a.Size(), b.Size())
		case "modified_at_datetime", "provided_modified_at":
			return a.ModTime().Compare(b.ModTime())
		}
		return cmp.Compare(strings.ToLower(a.Name()), strings.ToLower(b.Name()))
	}
	slices.SortStableFunc(out, func(a, b fs.FileInfo) int {
		if a.IsDir() != b.IsDir() {
			if a.IsDir() {
				return -1
			}
			return 1
		}
		c := byField(a, b)
		if c == 0 {
			c = cmp.Compare(a.Name(), b.Name())
		}
		if lq.sort.Desc {
			return -c
		}
		return c
	})
	return out, nil
}

// folderPage reads the page of a folder listing.
func folderPage(r *http.Request) (pageRequest, error) {
	return parsePageOf(r, folderListKey(r), store.Sort{})
}

// folderListKey is what a folder listing's cursor is bound to: its
// cursor is a position in the listing as ordered and narrowed, so it only
// means something with the same folder, sort_by, type and search.
func folderListKey(r *http.Request) string {
	q := r.URL.Query()
	var b strings.Builder
	b.WriteString(r.URL.Path)
	keys := make([]string, 0, len(q))
	for k := range q {
		if k == "type" || k == "search" || strings.HasPrefix(k, "sort_by") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString("\x00" + k + "=" + strings.Join(q[k], "\x00"))
	}
	return b.String()
}
