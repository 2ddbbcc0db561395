// Package credential signs people in on the transfer channels that carry a
// username and one secret (FTP's USER/PASS, WebDAV's HTTP Basic): the
// secret is an API key when it looks like one and is a live key, and a
// password otherwise. Which of the two a user may use on which channel is
// the identity core's login policy; this package only tells them apart and
// passes them on, so the policy stays in one place.
package credential

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Identity is what a sign-in with a username and a secret asks of the
// identity core; *identity.Service is one. It is declared here, where it
// is used, so that a transfer front end depends on these few decisions of
// the core and on nothing else it could reach through it.
type Identity interface {
	Now() time.Time
	LoginWithAPIKey(ctx context.Context, siteID int64, key string, ch identity.Channel, ip string) (store.User, store.APIKey, error)
	LoginWithPassword(ctx context.Context, l identity.PasswordLogin) (store.User, error)
	RecordSignIn(ctx context.Context, siteID, userID int64, ch identity.Channel) (store.User, error)
	RecordChannelLogin(ctx context.Context, siteID int64, ch identity.Channel, cred identity.Credential, username, ip string, refusal error)
}

// SignIn is one sign-in's outcome.
type SignIn struct {
	User store.User
	// Connection is what the connection keeps of the sign-in: whether the
	// secret was a password or an API key (and which), and when the
	// sign-in began. Front ends watch the connection with it (package
	// access), which re-asks the identity core at every request.
	Connection identity.TransferSignIn
}

// Login signs username in on ch with secret. An API key must belong to
// username: a key is not a way to become someone else, and site-wide keys
// (which belong to nobody) have no home folder to serve, so both answer as
// a wrong password. A secret with the API key prefix that is no live key is
// tried as a password, so a password that happens to start like a key
// still works, and a guessed key counts towards lockout like any guess.
//
// Every outcome is written as a transfer sign-in event (RecordChannelLogin),
// with its reason when refused, and never with the secret.
func Login(ctx context.Context, svc Identity, siteID int64, username, secret string, ch identity.Channel, ip string) (SignIn, error) {
	at := svc.Now()
	in, err := login(ctx, svc, siteID, username, secret, ch, ip)
	cred := in.Connection.Credential
	if cred == "" {
		cred = identity.CredentialPassword
		if strings.HasPrefix(secret, identity.APIKeyPrefix) {
			cred = identity.CredentialAPIKey
		}
	}
	svc.RecordChannelLogin(ctx, siteID, ch, cred, username, ip, err)
	if err != nil {
		return SignIn{}, err
	}
	in.Connection.SiteID, in.Connection.UserID = siteID, in.User.ID
	in.Connection.Channel, in.Connection.At, in.Connection.IP = ch, at, ip
	return in, nil
}

func login(ctx context.Context, svc Identity, siteID int64, username, secret string, ch identity.Channel, ip string) (SignIn, error) {
	if strings.HasPrefix(secret, identity.APIKeyPrefix) {
		u, key, err := svc.LoginWithAPIKey(ctx, siteID, secret, ch, ip)
		switch {
		case err == nil:
			if u.ID == 0 || !strings.EqualFold(u.Username, username) {
				return SignIn{}, identity.ErrInvalidUsernameOrPassword.With("this API key belongs to another user; sign in with the key owner's username")
			}
			u, err = svc.RecordSignIn(ctx, siteID, u.ID, ch)
			if err != nil {
				return SignIn{}, err
			}
			return SignIn{User: u, Connection: identity.TransferSignIn{Credential: identity.CredentialAPIKey, APIKeyID: key.ID}}, nil
		case !errors.Is(err, identity.ErrInvalidAPIKey):
			return SignIn{}, err
		}
	}
	u, err := svc.LoginWithPassword(ctx, identity.PasswordLogin{SiteID: siteID, Username: username, Password: secret, Channel: ch, IP: ip})
	if err != nil {
		return SignIn{}, err
	}
	return SignIn{User: u, Connection: identity.TransferSignIn{Credential: identity.CredentialPassword}}, nil
}

// Reason is the short reason of a refusal for logs and events: the error
// type, never the secret. A policy refusal the client was answered as a
// wrong password (identity.ConcealedReason) is named beside it, since the
// log is the admin's.
func Reason(err error) string {
	if reason, ok := identity.ConcealedReason(err); ok {
		return identity.AsError(err).Type + " (concealed: " + reason.Type + ")"
	}
	return identity.AsError(err).Type
}
