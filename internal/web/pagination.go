package web

import (
	"encoding/base64"
	"encoding/binary"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Pagination follows Files.com: per_page and an opaque cursor go in the
// query, and the cursor of the next page comes back in the X-Files-Cursor
// header, which is absent on the last page.
const (
	cursorHeader   = "X-Files-Cursor"
	defaultPerPage = 1000
	maxPerPage     = 10000
	cursorVersion  = 1
	cursorLen      = 1 + 8 + 4 // version, last id, list hash
)

// pageRequest is the page a list call asks for.
type pageRequest struct {
	list    string // the list's path; a cursor only works on the list that issued it
	afterID int64
	perPage int
}

// options is the store query for the page: one record more than asked, to
// learn whether another page follows.
func (p pageRequest) options() store.ListOptions {
	return store.ListOptions{AfterID: p.afterID, Limit: p.perPage + 1}
}

func parsePage(r *http.Request) (pageRequest, error) {
	q := r.URL.Query()
	p := pageRequest{list: r.URL.Path, perPage: defaultPerPage}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPerPage {
			return p, errInvalidQuery.With("per_page must be a whole number from 1 to %d", maxPerPage)
		}
		p.perPage = n
	}
	if v := q.Get("cursor"); v != "" {
		id, err := decodeCursor(v, p.list)
		if err != nil {
			return p, err
		}
		p.afterID = id
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
