package web

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Pagination follows Files.com: per_page and an opaque cursor go in the
// query, and the cursor of the next page comes back in the X-Files-Cursor
// header, which is absent on the last page. A cursor holds the id of the
// previous page's last record and, when the list is sorted by another
// field, that record's value of it, so the next page starts after it in
// the store's index order (store.Sort).
const (
	cursorHeader   = "X-Files-Cursor"
	defaultPerPage = 1000
	maxPerPage     = 10000
	cursorVersion  = 1
	cursorLen      = 1 + 8 + 4 // version, last id, list hash
	// sortedCursorVersion adds a hash of the order (field and direction)
	// and the last record's value of the field: a kind byte, then the
	// value.
	sortedCursorVersion = 2
	sortedCursorHead    = cursorLen + 4 + 1
	maxCursorBytes      = 2048
)

// Kinds of value a sorted cursor holds.
const (
	cursorNone byte = iota
	cursorString
	cursorBool
	cursorTime
	cursorInt
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
func (p pageRequest) sorted() bool {
	return (p.sort.Field != "" && p.sort.Field != "id") || p.sort.Desc
}

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
	if o.Field == "" || o.Field == "id" {
		return true // by id, the cursor's id is the whole position
	}
	var ok bool
	switch s[o.Field].kind {
	case store.KindText, store.KindExact:
		_, ok = o.After.(string)
	case store.KindBool:
		_, ok = o.After.(bool)
	case store.KindTime:
		_, ok = o.After.(time.Time)
	case store.KindID:
		_, ok = o.After.(int64)
	}
	return ok
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
	if v := q.Get("cursor"); v != "" {
		if !p.sorted() {
			id, err := decodeCursor(v, p.list)
			if err != nil {
				return p, err
			}
			p.afterID = id
			return p, nil
		}
		id, after, err := decodeSortedCursor(v, p.list, p.sort)
		if err != nil {
			return p, err
		}
		p.afterID, p.sort.After = id, after
	}
	return p, nil
}

// encodeCursor makes the opaque cursor after lastID: a version byte, the
// id, and a hash of the list's path, base64url encoded.
func encodeCursor(lastID int64, list string) string {
	b := make([]byte, cursorLen)
	b[0] = cursorVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(lastID))
	binary.BigEndian.PutUint32(b[9:], listHash(list))
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c, list string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(c, "="))
	if err != nil || len(b) != cursorLen || b[0] != cursorVersion ||
		binary.BigEndian.Uint32(b[9:]) != listHash(list) {
		return 0, identity.ErrInvalidCursor
	}
	id := int64(binary.BigEndian.Uint64(b[1:9]))
	if id <= 0 {
		return 0, identity.ErrInvalidCursor
	}
	return id, nil
}

func listHash(list string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(list))
	return h.Sum32()
}

// writePage trims a fetched page to the size asked, sets the next-page
// cursor when more records follow, renders each record and writes the
// JSON array. Only one page is ever held in memory.
func writePage[T any](w http.ResponseWriter, p pageRequest, items []T, id func(T) int64, render func(T) (any, error)) error {
	next := ""
	if len(items) > p.perPage {
		items = items[:p.perPage]
		next = encodeCursor(id(items[len(items)-1]), p.list)
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

// sortHash ties a sorted cursor to its order.
func sortHash(s store.Sort) uint32 {
	return listHash(fmt.Sprintf("%s %t", s.Field, s.Desc))
}

// encodeSortedCursor makes the cursor after a record of a sorted list:
// its id and its value of the sort field.
func encodeSortedCursor(lastID int64, list string, s store.Sort, value any) string {
	b := make([]byte, sortedCursorHead, sortedCursorHead+16)
	b[0] = sortedCursorVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(lastID))
	binary.BigEndian.PutUint32(b[9:13], listHash(list))
	binary.BigEndian.PutUint32(b[13:17], sortHash(s))
	switch v := value.(type) {
	case string:
		b[17] = cursorString
		b = append(b, v...)
	case bool:
		b[17] = cursorBool
		if v {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	case time.Time:
		if !v.IsZero() {
			b[17] = cursorTime
			b = binary.BigEndian.AppendUint64(b, uint64(v.UnixMicro()))
		}
	case int64:
		b[17] = cursorInt
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeSortedCursor reads a sorted cursor made by the same list in the
// same order; anything else is an invalid cursor, whatever it holds.
func decodeSortedCursor(c, list string, s store.Sort) (int64, any, error) {
	if len(c) > maxCursorBytes {
		return 0, nil, identity.ErrInvalidCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(c, "="))
	if err != nil || len(b) < sortedCursorHead || b[0] != sortedCursorVersion ||
		binary.BigEndian.Uint32(b[9:13]) != listHash(list) || binary.BigEndian.Uint32(b[13:17]) != sortHash(s) {
		return 0, nil, identity.ErrInvalidCursor
	}
	id := int64(binary.BigEndian.Uint64(b[1:9]))
	if id <= 0 {
		return 0, nil, identity.ErrInvalidCursor
	}
	rest := b[sortedCursorHead:]
	switch b[17] {
	case cursorNone:
		if len(rest) == 0 {
			return id, time.Time{}, nil // a time field without a value
		}
	case cursorString:
		if utf8.Valid(rest) {
			return id, string(rest), nil
		}
	case cursorBool:
		if len(rest) == 1 && rest[0] <= 1 {
			return id, rest[0] == 1, nil
		}
	case cursorTime:
		if len(rest) == 8 {
			return id, time.UnixMicro(int64(binary.BigEndian.Uint64(rest))).UTC(), nil
		}
	case cursorInt:
		if len(rest) == 8 {
			return id, int64(binary.BigEndian.Uint64(rest)), nil
		}
	}
	return 0, nil, identity.ErrInvalidCursor
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
	w.Header().Set(cursorHeader, encodeSortedCursor(id(last), p.list, p.sort, value(last, p.sort.Field)))
	return writePage(w, pageRequest{perPage: p.perPage}, items, id, render)
}
