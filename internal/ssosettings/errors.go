package ssosettings

import (
	"errors"
	"strings"
)

// FieldError is one refused setting: the field it belongs to, as the REST
// API names it ("options.ldap_page_size", "subdomain"), and a sentence
// that names the field again and says what to put there. A form shows
// Message next to Field; the API and the CLI show the same words.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error implements error.
func (e FieldError) Error() string { return e.Message }

// FieldErrors are every refused setting of one provider, in a stable
// order (the order of the checks), so that an admin fixes them all in one
// round instead of one per save.
type FieldErrors []FieldError

// Error joins the messages with "; ".
func (l FieldErrors) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Message
	}
	return strings.Join(msgs, "; ")
}

// AsFieldErrors returns the field errors err carries (a FieldErrors or a
// single FieldError), or nil when it carries none.
func AsFieldErrors(err error) FieldErrors {
	var l FieldErrors
	if errors.As(err, &l) {
		return l
	}
	var one FieldError
	if errors.As(err, &one) {
		return FieldErrors{one}
	}
	return nil
}

// collector gathers field errors; err is nil when none were added, so a
// parser returns c.err() and callers test err != nil as usual.
type collector struct{ list FieldErrors }

func (c *collector) add(field, format string, args ...any) {
	c.list = append(c.list, FieldError{Field: field, Message: sprintf(format, args...)})
}

func (c *collector) addAll(err error) {
	c.list = append(c.list, AsFieldErrors(err)...)
}

func (c *collector) err() error {
	if len(c.list) == 0 {
		return nil
	}
	return c.list
}
