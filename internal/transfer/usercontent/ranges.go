package usercontent

import (
	"net/http"
	"strings"
)

// A Range header that is not a valid byte-ranges-specifier (RFC 9110
// §14.1.1) is ignored, as §14.2 allows a server to, and the whole file is
// answered. http.ServeContent answers such a header 416, which turns a
// client's harmless quirk into a failed download: rclone, for one, asks
// for a whole empty file as "bytes=0--1". A valid range that the file
// cannot satisfy is still 416.

// dropInvalidRange removes r's Range header when it is not valid, and
// reports whether it did.
func dropInvalidRange(r *http.Request) bool {
	h, ok := r.Header["Range"]
	if !ok {
		return false
	}
	if len(h) == 1 && validRange(h[0]) {
		return false
	}
	r.Header.Del("Range")
	return true
}

// validRange reports whether v is bytes=range-spec[,range-spec]…, each
// first-last (last not before first), first- or -suffix, with digits
// only, optional whitespace around the commas, and at most 100 ranges (a
// longer list is no client's need, only a way to make the server work).
func validRange(v string) bool {
	unit, set, ok := strings.Cut(v, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return false
	}
	specs := strings.Split(set, ",")
	if len(specs) > 100 {
		return false
	}
	n := 0
	for _, spec := range specs {
		spec = strings.Trim(spec, " \t")
		if spec == "" {
			continue // RFC 9110 lets a list have empty elements
		}
		n++
		first, last, ok := strings.Cut(spec, "-")
		if !ok || !digits(first) && first != "" || !digits(last) && last != "" || first == "" && last == "" {
			return false
		}
		if first != "" && last != "" && lessDecimal(last, first) {
			return false
		}
	}
	return n > 0
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// lessDecimal compares two digit strings as numbers of any length.
func lessDecimal(a, b string) bool {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
