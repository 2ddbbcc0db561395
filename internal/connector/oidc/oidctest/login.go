package oidctest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
)

// Login plays the browser of account through the provider: it opens
// authURL (our AuthCodeURL), signs account in at the provider's interaction
// and follows the provider's redirects until one leaves the provider — the
// redirect to our callback — and returns that URL (with code and state, or
// error and error_description).
func (s *Server) Login(ctx context.Context, authURL, account string) (*url.URL, error) {
	return s.drive(ctx, authURL, "login", url.Values{"login": {account}})
}

// Abort plays a person who cancels at the provider: the callback URL it
// returns carries error=access_denied.
func (s *Server) Abort(ctx context.Context, authURL string) (*url.URL, error) {
	return s.drive(ctx, authURL, "abort", nil)
}

// drive follows redirects with a cookie jar, answering the provider's
// interaction with POST .../interaction/UID/{action}.
func (s *Server) drive(ctx context.Context, authURL, action string, form url.Values) (*url.URL, error) {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	next, err := url.Parse(authURL)
	if err != nil {
		return nil, err
	}
	method, body := http.MethodGet, ""
	for hop := 0; hop < 20; hop++ {
		if !strings.HasPrefix(next.String(), s.BaseURL+"/") {
			return next, nil
		}
		if method == http.MethodGet && strings.Contains(next.Path, "/interaction/") && !strings.HasSuffix(next.Path, "/"+action) {
			next = next.JoinPath(action)
			method, body = http.MethodPost, form.Encode()
		}
		req, err := http.NewRequestWithContext(ctx, method, next.String(), strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		page, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode > 399 || loc == "" {
			return nil, fmt.Errorf("provider answered %s at %s without a redirect: %s", resp.Status, next.Path, page)
		}
		if next, err = next.Parse(loc); err != nil {
			return nil, err
		}
		method, body = http.MethodGet, ""
	}
	return nil, fmt.Errorf("too many redirects at the provider")
}
