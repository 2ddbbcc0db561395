package vfs

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on names: one path element may be at most MaxNameBytes long (the
// limit of common Linux file systems) and a whole path at most MaxPathBytes.
const (
	MaxNameBytes = 255
	MaxPathBytes = 4096
)

// tempPrefix marks upload temporary files. Names starting with it are
// reserved: they never appear in listings and users cannot create them.
const tempPrefix = ".gatehouse-upload-"

// splitPath turns a user's path into its validated elements. "", "/" and "."
// are the root. ".." is refused rather than resolved: front ends that accept
// relative paths resolve them before calling, so a ".." reaching here is
// either a client bug or an attack.
func splitPath(name string) ([]string, error) {
	if len(name) > MaxPathBytes {
		return nil, fmt.Errorf("path of %d bytes is longer than %d: %w", len(name), MaxPathBytes, ErrInvalidName)
	}
	var elems []string
	for _, e := range strings.Split(name, "/") {
		if e == "" || e == "." {
			continue
		}
		if err := checkName(e); err != nil {
			return nil, err
		}
		elems = append(elems, e)
	}
	return elems, nil
}

// checkName validates one path element.
func checkName(e string) error {
	switch {
	case e == "..":
		return fmt.Errorf("%q leads out of the folder: %w", e, ErrInvalidName)
	case len(e) > MaxNameBytes:
		return fmt.Errorf("name of %d bytes is longer than %d: %w", len(e), MaxNameBytes, ErrInvalidName)
	case !utf8.ValidString(e):
		return fmt.Errorf("name is not valid UTF-8: %w", ErrInvalidName)
	case strings.HasPrefix(e, tempPrefix):
		return fmt.Errorf("names starting with %q are reserved: %w", tempPrefix, ErrInvalidName)
	}
	for _, r := range e {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("name %q contains a control character or backslash: %w", e, ErrInvalidName)
		}
	}
	return nil
}

// displayPath is the user's path for messages: always absolute and clean.
func displayPath(elems []string) string {
	return "/" + strings.Join(elems, "/")
}
