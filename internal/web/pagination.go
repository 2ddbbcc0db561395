package web

import (
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/pagecursor"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Pagination follows Files.com: per_page and an opaque cursor go in the
// query, and the cursor of the next page comes back in the X-Files-Cursor
// header, which is absent on the last page. A cursor holds the id of the
// previous page's last record and, when the list is sorted by another
// field, that record's value of it, so the next page starts after it in
// the store's index order (store.Sort); package pagecursor is its format,
// which the admin console's lists share.
const (
	cursorHeader   = "X-Files-Cursor"
	defaultPerPage = 1000
	maxPerPage     = 10000
)

// pageRequest is the page a list call asks for.
type pageRequest struct {
	list    string // the list's path; a cursor only works on the list that issued it
	afterID int64
	perPage int
	sort    store.Sort // the list's order, After from the cursor
}

// options is the store query for the page: one record more than asked, to
// learn whether another page follows.
func (p pageRequest) options() store.ListOptions {
	return store.ListOptions{AfterID: p.afterID, Limit: p.perPage + 1, Sort: p.sort}
}

// sorted reports whether the list is in another order than by id,
// ascending, and so needs the sorted cursor.
func (p pageRequest) sorted() bool { return pagecursor.Sorted(p.sort) }

// parseList reads a list request: its page, its filters and its order
// (spec says what the list takes), and a cursor, which must come from
// the same list in the same order.
func parseList(r *http.Request, spec listSpec) (pageRequest, listQuery, error) {
	lq, err := parseListQuery(r.URL.Query(), spec)
	if err != nil {
		return pageRequest{}, lq, err
	}
	p, err := parsePageSorted(r, lq.sort)
	if err == nil && p.afterID > 0 && !spec.fits(p.sort) {
		// A cursor is not signed: one bound to this list and order may
		// still hold a value of another kind than the field's.
		return p, lq, identity.ErrInvalidCursor
	}
	return p, lq, err
}

// fits reports whether a sorted cursor's value is of the kind of its
// field; the store refuses any other, and the caller's mistake would be
// answered as the server's.
func (s listSpec) fits(o store.Sort) bool {
	kinds := map[string]store.FieldKind{}
	if f, ok := s[o.Field]; ok {
		kinds[o.Field] = f.kind
	}
	return pagecursor.Fits(kinds, o)
}

func parsePageSorted(r *http.Request, sort store.Sort) (pageRequest, error) {
	return parsePageOf(r, r.URL.Path, sort)
}

// parsePageOf reads a page whose cursor is bound to list: the path, or
// more where the cursor's position depends on more of the request.
func parsePageOf(r *http.Request, list string, sort store.Sort) (pageRequest, error) {
	q := r.URL.Query()
	p := pageRequest{list: list, perPage: defaultPerPage, sort: sort}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPerPage {
			return p, errInvalidQuery.With("per_page must be a whole number from 1 to %d", maxPerPage)
		}
		p.perPage = n
	}
	id, after, err := pagecursor.Read(q.Get("cursor"), p.list, p.sort)
	if err != nil {
		return p, err
	}
	p.afterID, p.sort.After = id, after
	return p, nil
}

// writePage trims a fetched page to the size asked, sets the next-page
// cursor when more records follow, renders each record and writes the
// JSON array. Only one page is ever held in memory.
func writePage[T any](w http.ResponseWriter, p pageRequest, items []T, id func(T) int64, render func(T) (any, error)) error {
	next := ""
	if len(items) > p.perPage {
		items = items[:p.perPage]
		next = pagecursor.Encode(id(items[len(items)-1]), p.list)
	}
	out := make([]any, 0, len(items))
	for _, it := range items {
		v, err := render(it)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	if next != "" {
		w.Header().Set(cursorHeader, next)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// writeSortedPage is writePage for a list that may be sorted by another
// field than id: value gives a record's value of the sort field, for the
// next page's cursor.
func writeSortedPage[T any](w http.ResponseWriter, p pageRequest, items []T, id func(T) int64, value func(T, string) any,
	render func(T) (any, error)) error {
	if !p.sorted() || len(items) <= p.perPage {
		return writePage(w, p, items, id, render)
	}
	items = items[:p.perPage]
	last := items[len(items)-1]
	w.Header().Set(cursorHeader, pagecursor.EncodeSorted(id(last), p.list, p.sort, value(last, p.sort.Field)))
	return writePage(w, pageRequest{perPage: p.perPage}, items, id, render)
}
