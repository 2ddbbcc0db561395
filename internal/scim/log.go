package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/store"
)

// maxBody bounds a request body: SCIM resources are small, and a PATCH of
// thousands of members stays far below it.
const maxBody = 1 << 20

// maxLogged bounds each body kept in scim_logs.
const maxLogged = 64 << 10

// readBody reads the body of a request that has one, refusing bodies over
// maxBody and media types other than SCIM's JSON.
func readBody(r *http.Request) ([]byte, *Error) {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return nil, nil
	}
	if r.ContentLength > maxBody {
		return nil, tooLarge()
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/scim+json" && mt != "application/json") {
			return nil, &Error{Status: http.StatusUnsupportedMediaType,
				Detail: "send the body as application/scim+json (or application/json), not " + clip(ct, 80)}
		}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || len(b) > maxBody:
		return b[:min(len(b), maxLogged)], tooLarge()
	case err != nil:
		return nil, badRequest(typeInvalidSyntax, "the request body could not be read")
	}
	return b, nil
}

func tooLarge() *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge,
		Detail: "the request body is larger than 1 MiB; send fewer members or operations per request"}
}

// recorder keeps the status and the start of the body a handler wrote,
// for scim_logs.
type recorder struct {
	http.ResponseWriter
	status    int
	body      bytes.Buffer
	authError string // why authentication failed, for the log only
}

func newRecorder(w http.ResponseWriter) *recorder { return &recorder{ResponseWriter: w} }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if room := maxLogged - r.body.Len(); room > 0 {
		r.body.Write(b[:min(len(b), room)])
	}
	return r.ResponseWriter.Write(b)
}

// record writes one scim_logs entry for the request, with secrets
// redacted. A request no provider could be found for is logged on the
// default site.
//
// Authenticated requests are logged one by one: that log is how an admin
// follows what Entra or Okta sent. A request refused for want of valid
// credentials proves nothing about who sent it, so it goes through the
// refusal limiter: the first few of a kind (site, provider, status and
// the failed check) each minute are written, the rest counted in one
// summary entry, and a flood of guessed tokens cannot fill the log.
func (h *Handler) record(ctx context.Context, r *request, rec *recorder) {
	siteID := r.p.SiteID
	if siteID == 0 {
		site, err := h.id.ResolveSite(ctx, "")
		if err != nil {
			h.log.Warn("SCIM request not logged: no site to log it on", "err", err)
			return
		}
		siteID = site.ID
	}
	path := r.URL.Path
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	resp := rec.body.String()
	if rec.authError != "" {
		resp = clip(resp+" ("+rec.authError+")", maxLogged)
	}
	l := &store.ScimLog{SiteID: siteID, SSOStrategyID: r.p.ID, RequestPath: clip(path, 2048),
		RequestMethod: r.Method, HTTPResponseCode: rec.status, UserAgent: clip(r.UserAgent(), 512),
		RequestJSON: redact(r.body), ResponseJSON: resp, CreatedAt: h.now()}
	if rec.authError != "" {
		h.refusals.RecordScimLog(ctx, *l, events.Refusal{Check: clip(strconv.Itoa(rec.status)+" "+rec.authError, 300),
			IP: r.ip})
		return
	}
	if err := h.logs.CreateScimLog(context.WithoutCancel(ctx), l); err != nil {
		h.log.Warn("SCIM request not logged", "err", err, "site_id", siteID)
	}
}

// redact removes secrets from a logged body: the value of every attribute
// named password (in any case, also as a PATCH path) becomes "[redacted]".
// A body that is not JSON is redacted by pattern.
func redact(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	var v any
	if err := json.Unmarshal(body, &v); err == nil {
		redactValue(v)
		if b, err := json.Marshal(v); err == nil {
			return clip(string(b), maxLogged)
		}
	}
	orig := strings.ToValidUTF8(string(body), "?")
	s := passwordPattern.ReplaceAllString(orig, `${1}"[redacted]"`)
	lower := strings.ToLower(orig)
	if strings.Count(lower, "password") > len(passwordPattern.FindAllStringIndex(orig, -1)) {
		// a password the pattern cannot isolate (broken quoting): keep
		// nothing from its name on.
		i := strings.Index(lower, "password")
		s = orig[:i] + "password…[redacted]"
	}
	return clip(s, maxLogged)
}

var passwordPattern = regexp.MustCompile(`(?i)("password"\s*:\s*)"(?:[^"\\]|\\.)*"`)

func redactValue(v any) {
	switch v := v.(type) {
	case map[string]any:
		secretOp := false
		if p, ok := v["path"].(string); ok && strings.Contains(strings.ToLower(p), "password") {
			secretOp = true
		}
		for k, x := range v {
			if strings.EqualFold(k, "password") || strings.HasSuffix(strings.ToLower(k), ":password") ||
				strings.HasSuffix(strings.ToLower(k), ".password") || (secretOp && strings.EqualFold(k, "value")) {
				v[k] = "[redacted]"
				continue
			}
			redactValue(x)
		}
	case []any:
		for _, x := range v {
			redactValue(x)
		}
	}
}

// clip shortens text to n bytes of valid UTF-8.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
