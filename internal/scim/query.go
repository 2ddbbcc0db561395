package scim

import (
	"net/url"
	"strconv"
	"strings"
)

// Paging limits for list requests.
const (
	defaultCount = 100
	maxCount     = 1000
)

// listParams are a list request's query parameters. Unknown parameters
// (Entra's aadOptscim062020 feature flag) are ignored.
type listParams struct {
	filter     string
	startIndex int // 1-based
	count      int
	proj       projection
}

func readListParams(q url.Values) (listParams, *Error) {
	lp := listParams{filter: param(q, "filter"), startIndex: 1, count: defaultCount, proj: readProjection(q)}
	if s := param(q, "startIndex"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return lp, badRequest(typeInvalidValue, "startIndex must be a number")
		}
		lp.startIndex = max(n, 1)
	}
	if s := param(q, "count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return lp, badRequest(typeInvalidValue, "count must be a number")
		}
		lp.count = min(max(n, 0), maxCount)
	}
	return lp, nil
}

// param reads a query parameter by name without regard to case.
func param(q url.Values, name string) string {
	if v, ok := q[name]; ok && len(v) > 0 {
		return v[0]
	}
	for k, v := range q {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// projection is the attributes / excludedAttributes of a request
// (RFC 7644 §3.4.2.5), as lower-case paths.
type projection struct {
	only    map[string]bool
	exclude map[string]bool
}

func readProjection(q url.Values) projection {
	split := func(s string) map[string]bool {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		out := map[string]bool{}
		for _, a := range strings.Split(s, ",") {
			a = strings.ToLower(strings.TrimSpace(a))
			for _, urn := range []string{URNUser, URNGroup} {
				a = strings.TrimPrefix(a, strings.ToLower(urn)+":")
			}
			if a != "" {
				out[a] = true
			}
		}
		return out
	}
	return projection{only: split(param(q, "attributes")), exclude: split(param(q, "excludedAttributes"))}
}

// wants reports whether a top-level attribute is to be returned (for
// skipping work such as reading a group's members).
func (p projection) wants(name string) bool {
	name = strings.ToLower(name)
	if p.exclude[name] {
		return false
	}
	if p.only == nil {
		return true
	}
	for a := range p.only {
		if a == name || strings.HasPrefix(a, name+".") {
			return true
		}
	}
	return false
}

// apply trims a resource to the projection; id, schemas and meta are
// always returned.
func (p projection) apply(doc map[string]any) map[string]any {
	if p.only == nil && p.exclude == nil {
		return doc
	}
	out := map[string]any{}
	for k, v := range doc {
		lk := strings.ToLower(k)
		switch {
		case lk == "id" || lk == "schemas" || lk == "meta":
			out[k] = v
			continue
		case p.exclude[lk]:
			continue
		case p.only == nil || p.only[lk]:
			out[k] = v
			continue
		}
		// attributes=name.givenName keeps that sub-attribute only;
		// attributes=urn:…:enterprise:2.0:User:department likewise.
		obj, ok := v.(map[string]any)
		if !ok {
			continue
		}
		kept := map[string]any{}
		for sk, sv := range obj {
			if p.only[lk+"."+strings.ToLower(sk)] || p.only[lk+":"+strings.ToLower(sk)] {
				kept[sk] = sv
			}
		}
		if len(kept) > 0 {
			out[k] = kept
		}
	}
	return out
}
