package web

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// Presigned URIs. Files.com's SDKs send upload parts to upload_uri, and
// fetch download_uri, without the API key (Files.com's URIs are signed),
// so Gatehouse's are too: each is one grant, signed with an HMAC keyed
// from the master key (secret.DeriveKey, purpose presignPurpose), over
// everything it grants — its purpose, the site, the user and the
// credential it was granted to, the path, for an upload its ref, part and
// size limit, and its expiry — compared in constant time. The signature
// travels in the query string, which the access log never writes.
//
// A URI is only a grant, not a sign-in: at every use the user is asked
// again (identity.Readmit, with the API key or session the URI was
// granted to), and the path again through their file view as it is now,
// so a disabled user, a revoked permission, a deleted key, an ended
// session or a path no longer reachable stops it at once.

// presignPurpose names the key presigned URIs are signed with; every node
// derives the same one from the shared master key.
const presignPurpose = "gatehouse presigned transfer URIs v1"

// The lifetimes of presigned URIs. An upload URI lives as long as its
// upload waits for a part (the 15 minutes Files.com's SDKs assume for a
// part), as a client may ask for it before it has read the part's bytes.
// A download URI lives 5 minutes: clients fetch it at once after asking
// for the file (rclone, the Go and JavaScript SDKs do), and a URI that
// leaks (a proxy's log, a browser's history) is soon worth nothing. Both
// are checked when a request starts; a transfer that started in time runs
// to its end.
const (
	uploadURILifetime   = 15 * time.Minute
	downloadURILifetime = 5 * time.Minute
)

// presigner signs and checks presigned URIs, and counts the refusals
// (refusePresigned).
type presigner struct {
	*secret.Signer
	lastLog atomic.Int64 // unix nanoseconds of the last refusal logged
	refused atomic.Int64 // refusals since then
}

// grant is what a presigned URI was given for: who, with which
// credential.
type grant struct {
	siteID, userID      int64
	apiKeyID, sessionID int64
}

func grantOf(c *apiCall) grant {
	g := grant{siteID: c.site.ID, userID: c.who.user.ID}
	if c.who.apiKey != nil {
		g.apiKeyID = c.who.apiKey.ID
	} else if c.who.session != nil {
		g.sessionID = c.who.session.ID
	}
	return g
}

func grantOfUpload(u store.FileUpload) grant {
	return grant{siteID: u.SiteID, userID: u.UserID, apiKeyID: u.APIKeyID, sessionID: u.SessionID}
}

// credential names the grant's credential in URIs and signatures.
func (g grant) credential() string {
	if g.apiKeyID != 0 {
		return "k" + strconv.FormatInt(g.apiKeyID, 10)
	}
	return "s" + strconv.FormatInt(g.sessionID, 10)
}

func parseCredential(s string) (apiKeyID, sessionID int64, ok bool) {
	if len(s) < 2 {
		return 0, 0, false
	}
	id, err := strconv.ParseInt(s[1:], 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s[1:] {
		return 0, 0, false
	}
	switch s[0] {
	case 'k':
		return id, 0, true
	case 's':
		return 0, id, true
	}
	return 0, 0, false
}

// Refusals of presigned URIs. The expired types are Files.com's own,
// which its SDKs answer by asking for a fresh URI.
var (
	errSignatureMissing = identity.ErrAuthenticationRequired.With(
		"this URI needs its signature (the signature, expires and related parameters it was handed out with), or an API key")
	errSignatureInvalid = &identity.Error{Status: http.StatusUnauthorized, Type: "not-authenticated/invalid-signature",
		Title: "Invalid Signature", Message: "the URI's signature does not match what it asks for; use the URI exactly as the server handed it out"}
	errUploadURIExpired = &identity.Error{Status: http.StatusForbidden, Type: "upload_request_expired", Title: "Upload Request Expired",
		Message: "this upload_uri has expired; ask begin_upload (with the ref and part) for a new one"}
	errDownloadURIExpired = &identity.Error{Status: http.StatusForbidden, Type: "download_request_expired", Title: "Download Request Expired",
		Message: "this download_uri has expired; ask GET /files/{path} for a new one"}
)

// uploadPartFields are what an upload part URI signs.
func uploadPartFields(g grant, path, ref string, part int, limit, expires int64) []string {
	return []string{"upload-part", strconv.FormatInt(g.siteID, 10), strconv.FormatInt(g.userID, 10), g.credential(), path, ref,
		strconv.Itoa(part), strconv.FormatInt(limit, 10), strconv.FormatInt(expires, 10)}
}

func downloadFields(g grant, path string, expires int64) []string {
	return []string{"download", strconv.FormatInt(g.siteID, 10), strconv.FormatInt(g.userID, 10), g.credential(), path,
		strconv.FormatInt(expires, 10)}
}

// uploadPartURI is the presigned URI of one part of upload u.
func (s *server) uploadPartURI(u store.FileUpload, part int, limit int64, expires time.Time) string {
	exp := expires.Unix()
	q := url.Values{}
	q.Set("part", strconv.Itoa(part))
	q.Set("limit", strconv.FormatInt(limit, 10))
	q.Set("expires", strconv.FormatInt(exp, 10))
	q.Set("signature", s.uriSigner.Sign(uploadPartFields(grantOfUpload(u), u.Path, u.Ref, part, limit, exp)...))
	return s.baseURL + apiPrefix + "/file_uploads/" + u.Ref + "?" + q.Encode()
}

// downloadURI is the presigned URI of the file at p (a path in the
// caller's view) for the caller.
func (s *server) downloadURI(c *apiCall, p string) string {
	g := grantOf(c)
	exp := s.now().Add(downloadURILifetime).Unix()
	q := url.Values{}
	q.Set("user_id", strconv.FormatInt(g.userID, 10))
	q.Set("credential", g.credential())
	q.Set("expires", strconv.FormatInt(exp, 10))
	q.Set("signature", s.uriSigner.Sign(downloadFields(g, p, exp)...))
	return s.baseURL + apiPrefix + "/file_downloads/" + escapePath(strings.TrimPrefix(p, "/")) + "?" + q.Encode()
}

// positive parses a query parameter that must be a plain positive
// decimal (no sign, no leading zeros, no spaces).
func positive(q url.Values, name string) (int64, bool) {
	v := q.Get(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != v || len(q[name]) != 1 {
		return 0, false
	}
	return n, true
}

// checkExpiry answers whether a signed expiry has passed.
func (s *server) expired(exp int64) bool { return !s.now().Before(time.Unix(exp, 0)) }

// readmitGrant asks again whether the grant's user, with its credential,
// may still use the REST API, and lays out their file view as it is now.
func (s *server) readmitGrant(ctx context.Context, site store.Site, g grant) (store.User, vfs.FS, error) {
	in := identity.TransferSignIn{SiteID: g.siteID, UserID: g.userID, Channel: identity.ChannelAPI, At: s.now()}
	if g.apiKeyID != 0 {
		in.Credential, in.APIKeyID = identity.CredentialAPIKey, g.apiKeyID
	} else {
		in.Credential, in.SessionID = identity.CredentialSession, g.sessionID
	}
	st, err := s.svc.Readmit(ctx, in)
	if err != nil {
		return store.User{}, nil, err
	}
	if s.files == nil {
		return store.User{}, nil, identity.ErrNotFound.With("this server has no file storage configured")
	}
	return st.User, s.files.View(site, st.User, st.Memberships), nil
}

// NewURLSigner returns the signer of presigned URIs for a master key
// (Options.URLSigner): every node with the same master key signs alike.
func NewURLSigner(masterKey []byte) (*secret.Signer, error) {
	if masterKey == nil {
		return nil, errors.New("web: no master key for presigned URIs")
	}
	return newSigner(masterKey)
}

// newSigner makes the signer for a master key, or with nil, for a key of
// its own, which only this process knows (tests, a server configured
// without one).
func newSigner(key []byte) (*secret.Signer, error) {
	if key == nil {
		key = make([]byte, secret.KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	k, err := secret.DeriveKey(key, presignPurpose)
	if err != nil {
		return nil, err
	}
	return secret.NewSigner(k)
}
