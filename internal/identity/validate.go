package identity

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/ssosettings"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Field length limits. Files.com does not publish its own; these are
// generous for people and small enough that a hostile client cannot park
// megabytes in a profile field.
const (
	maxUsernameLen = 128
	maxEmailLen    = 254 // RFC 5321 path limit
	maxTextLen     = 256 // names, companies, labels, titles
	maxNotesLen    = 4096
	maxURLLen      = 2048
	maxHostLen     = 253
	maxMetadataLen = 1 << 20 // pasted SAML metadata
	maxOptionsLen  = 64 << 10
	maxEventBody   = 64 << 10
)

// usernameForbidden are the characters Files.com refuses in usernames;
// they are also the ones that break paths and FTP/SFTP command lines.
const usernameForbidden = `/\:*?"<>|`

// checkUsername enforces 1–128 characters, no control characters, no
// whitespace, none of usernameForbidden. Anything else, including SQL
// metacharacters and non-ASCII letters, is a legal username stored as given.
func checkUsername(name string) error {
	if name == "" {
		return ErrParamsRequired.With("username is required")
	}
	if !utf8.ValidString(name) {
		return ErrInvalidParams.With("username must be valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(name); n > maxUsernameLen {
		return ErrInvalidParams.With("username must be at most %d characters (got %d)", maxUsernameLen, n)
	}
	for _, r := range name {
		switch {
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return ErrInvalidParams.With("username must not contain control characters")
		case unicode.IsSpace(r):
			return ErrInvalidParams.With("username must not contain spaces or other whitespace")
		case strings.ContainsRune(usernameForbidden, r):
			return ErrInvalidParams.With("username must not contain any of %s", usernameForbidden)
		}
	}
	return nil
}

// checkEmail accepts "" (no address) or one plain address of at most 254
// characters whose domain has a dot; display names ("Ann <ann@x>") are
// refused so what is stored is exactly an address, and dotless domains
// ("ann@localhost") because mail to them goes nowhere useful.
func checkEmail(email string) error {
	if email == "" {
		return nil
	}
	if err := checkText("email", email, maxEmailLen, false); err != nil {
		return err
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
		return ErrInvalidParams.With("email %q does not look like an e-mail address", email)
	}
	return nil
}

// checkText refuses invalid UTF-8, text longer than max characters and
// control characters (a newline and tab are allowed when multiline).
func checkText(field, s string, max int, multiline bool) error {
	if !utf8.ValidString(s) {
		return ErrInvalidParams.With("%s must be valid UTF-8 text", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return ErrInvalidParams.With("%s must be at most %d characters (got %d)", field, max, n)
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) {
			if multiline {
				return ErrInvalidParams.With("%s must not contain control characters other than line breaks", field)
			}
			return ErrInvalidParams.With("%s must not contain control characters", field)
		}
	}
	return nil
}

// checkOptionalText runs checkText on a field that may be absent.
func checkOptionalText(field string, s *string, max int, multiline bool) error {
	if s == nil {
		return nil
	}
	return checkText(field, *s, max, multiline)
}

// checkEnum accepts "" when allowEmpty, or one of values.
func checkEnum(field, v string, values []string, allowEmpty bool) error {
	if v == "" && allowEmpty {
		return nil
	}
	if slices.Contains(values, v) {
		return nil
	}
	return ErrInvalidParams.With("%s must be one of %s (got %q)", field, strings.Join(values, ", "), truncate(v, 64))
}

// checkURL accepts "" or an absolute http(s) URL.
func checkURL(field, v string) error {
	if v == "" {
		return nil
	}
	if err := checkText(field, v, maxURLLen, false); err != nil {
		return err
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ErrInvalidParams.With("%s must be an absolute http or https URL", field)
	}
	return nil
}

// checkFetchURL accepts "" or the URL of a document Gatehouse itself
// downloads and then trusts (SAML metadata, an OpenID issuer or
// authority): https without credentials or fragment; see
// ssosettings.CheckFetchURL, which the options' URLs are checked with too.
func checkFetchURL(field, v, example string, query bool) error {
	if msg := ssosettings.CheckFetchURL(field, v, example, query); msg != "" {
		return ErrInvalidParams.With("%s", msg)
	}
	return nil
}

// checkHost accepts "" or a host name or IP address without scheme, port
// or path.
func checkHost(field, v string) error {
	if v == "" {
		return nil
	}
	if len(v) > maxHostLen {
		return ErrInvalidParams.With("%s must be at most %d characters", field, maxHostLen)
	}
	for _, r := range v {
		if !(r == '.' || r == '-' || r == '_' || r == ':' || r == '[' || r == ']' ||
			r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return ErrInvalidParams.With("%s must be a host name or IP address, without scheme or path", field)
		}
	}
	return nil
}

// checkRange refuses an int outside [lo, hi], naming the field.
func checkRange(field string, v *int, lo, hi int) error {
	if v != nil && (*v < lo || *v > hi) {
		return ErrInvalidParams.With("%s must be between %d and %d (got %d)", field, lo, hi, *v)
	}
	return nil
}

// checkJSONObject accepts a JSON object (or null) of bounded size.
func checkJSONObject(field string, raw json.RawMessage) error {
	if len(raw) > maxOptionsLen {
		return ErrInvalidParams.With("%s must be at most %d bytes", field, maxOptionsLen)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return ErrInvalidParams.With("%s must be a JSON object", field)
	}
	return nil
}

// firstError returns the first non-nil error, so validators read as a list.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// mapStoreErr turns store sentinels into typed errors: ErrNotFound into
// notFound, ErrConflict into duplicate; anything else is wrapped with what
// was being done so the log says where it failed.
func mapStoreErr(err error, what string, notFound, duplicate *Error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound) && notFound != nil:
		return notFound
	case errors.Is(err, store.ErrConflict) && duplicate != nil:
		return duplicate
	}
	var typed *Error
	if errors.As(err, &typed) {
		return err
	}
	return fmt.Errorf("identity: %s: %w", what, err)
}

// requireSiteAdmin is the actor check for every administrative change.
func requireSiteAdmin(a Actor) error {
	if !a.SiteAdmin && !a.System {
		return ErrSiteAdminRequired
	}
	return nil
}

// CheckUsername reports whether name may be a username, by the rules every
// way of creating a user applies; provisioning checks identities from a
// directory with it before they reach the store.
func CheckUsername(name string) error { return checkUsername(name) }

// CheckEmail reports whether email may be stored as a user's address ("" is
// allowed: no address).
func CheckEmail(email string) error { return checkEmail(email) }

// CheckText reports whether s may be stored in a one-line profile field
// (a name, a company): valid UTF-8, no control characters, at most 256
// characters. field names it in the error.
func CheckText(field, s string) error { return checkText(field, s, maxTextLen, false) }
