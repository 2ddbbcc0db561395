package ssosettings

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

const maxURLLen = 2048

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// clip shortens a hostile value before it goes into a message, and shows
// control characters as '?'.
func clip(s string) string {
	const n = 64
	more := ""
	if len(s) > n {
		s, more = strings.ToValidUTF8(s[:n], ""), "…"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s) + more
}

// textProblem says what is wrong with s as one line of text of at most
// max characters: invalid UTF-8, too long, or a control character; ""
// when nothing is.
func textProblem(s string, max int) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8 text"
	case utf8.RuneCountInString(s) > max:
		return fmt.Sprintf("is longer than %d characters", max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "contains control characters"
	}
	return ""
}

// CheckFetchURL accepts "" or the URL of a document Gatehouse itself
// downloads and then trusts (SAML metadata, an OpenID issuer or
// authority): absolute, without credentials, query or fragment, and https.
// What travels over plain http could be rewritten on the way, and the
// rewritten copy would decide whose sign-ins are believed. Plain http is
// accepted for a loopback host only, which is local testing: connections
// to loopback are refused anyway unless the server runs with
// --allow-private-outbound. example is a URL of the right shape for the
// message; query says whether the URL may carry one (Entra's metadata URL
// names the application in it; an OpenID issuer never has one). It
// returns the message ("" when v is fine).
func CheckFetchURL(field, v, example string, query bool) string {
	if v == "" {
		return ""
	}
	if p := textProblem(v, maxURLLen); p != "" {
		return field + " " + p
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.User != nil || (u.RawQuery != "" || u.ForceQuery) && !query || u.Fragment != "" ||
		(u.Scheme != "https" && u.Scheme != "http") {
		what := "without query or fragment"
		if query {
			what = "without fragment"
		}
		return fmt.Sprintf("%s must be an absolute https URL %s, such as %s", field, what, example)
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return fmt.Sprintf("%s must use https, such as %s: what Gatehouse downloads over plain http could be altered "+
			"on the way, and it decides whose sign-ins are trusted (plain http is accepted only for a loopback address, for local testing)",
			field, example)
	}
	return ""
}

// isLoopbackHost says whether host names this machine: localhost or a
// loopback IP address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
