package scim

import (
	"context"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/store"
)

// listSource is what a list request reads of one resource type: a page
// of the provider's resources matching the filter, how many match in
// all, and one resource as its SCIM document (render may skip what the
// projection leaves out, as a group's members).
type listSource[T any] struct {
	list   func(ctx context.Context, f *store.Filter, page store.ListOptions) ([]T, error)
	count  func(ctx context.Context, f *store.Filter, page store.ListOptions) (int, error)
	render func(ctx context.Context, item T, proj projection) (map[string]any, error)
}

// answerList answers GET /Users and GET /Groups alike (RFC 7644 §3.4.2):
// it reads filter, startIndex, count, attributes and excludedAttributes,
// translates the filter against the resource type's fields, reads the
// page and answers with a ListResponse. The total is counted only when
// the page cannot tell it: a page shorter than asked for, and not empty,
// ends the list, so the total is what came before it plus its length.
func answerList[T any](h *Handler, w http.ResponseWriter, r *request, fields fieldMap, src listSource[T]) {
	lp, e := readListParams(r.URL.Query())
	if e != nil {
		writeError(w, e)
		return
	}
	page := store.ListOptions{Offset: lp.startIndex - 1, Limit: lp.count}
	var f *store.Filter
	if lp.filter != "" {
		if f, e = parseFilter(lp.filter, fields); e != nil {
			writeError(w, e)
			return
		}
	}
	ctx := r.Context()
	var list []T
	var err error
	if lp.count > 0 {
		if list, err = src.list(ctx, f, page); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	total := len(list) + lp.startIndex - 1
	if len(list) == 0 || len(list) == lp.count {
		if total, err = src.count(ctx, f, page); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	res := make([]any, len(list))
	for i, item := range list {
		doc, err := src.render(ctx, item, lp.proj)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		res[i] = lp.proj.apply(doc)
	}
	writeList(w, total, lp.startIndex, res)
}

// writeList answers with a ListResponse.
func writeList(w http.ResponseWriter, total, startIndex int, res []any) {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":      []string{URNListResponse},
		"totalResults": total,
		"Resources":    res,
		"startIndex":   startIndex,
		"itemsPerPage": len(res),
	})
}
