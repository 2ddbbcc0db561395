package identity

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/events"
	"github.com/gatehouse/gatehouse/internal/store"
)

// EventTypeTransferLogin is the external event type of a sign-in over a
// file-transfer channel (SFTP, FTP, WebDAV), successful or refused.
const EventTypeTransferLogin = "transfer_login"

// EventTypeLogin is the external event type of a password sign-in on the
// web page or the REST API (POST /sessions), successful or refused.
// Sign-ins through an identity provider are in the SSO log.
const EventTypeLogin = "login"

// loginEventType is the event type of a sign-in over ch.
func loginEventType(ch Channel) string {
	switch ch {
	case ChannelWeb, ChannelAPI, ChannelDesktop:
		return EventTypeLogin
	}
	return EventTypeTransferLogin
}

// maxEventUsername bounds how much of a client-sent username an event keeps.
const maxEventUsername = 200

// RecordChannelLogin writes the external event of one sign-in attempt over
// any channel (login for the web page and the API, transfer_login for
// SFTP, FTP and WebDAV): who, over which channel, with which credential,
// from where and, when refused, why, so an admin can see who signed in
// and why a client keeps failing. The credential itself is never
// written.
//
// Every success is written. A refusal proves nothing about who sent it —
// anyone can send FTP's USER and PASS, WebDAV's Basic or an SSH password
// from anywhere — so refusals go through the refusal limiter, which writes
// the first few of each kind a minute and counts the rest in one summary.
// The kind is the channel, the credential, the refusal's type and whether
// the username names an account of the site, not the username itself: a
// spray of made-up names is one kind, so it cannot buy itself a budget per
// name, and neither can a list of real ones; yet it cannot drown a real
// account's refusals either, which are a kind apart. The summary names the
// usernames tried (the first few, with their counts).
func (s *Service) RecordChannelLogin(ctx context.Context, siteID int64, ch Channel, cred Credential, username, ip string, refusal error) {
	shown := username
	if len(shown) > maxEventUsername {
		shown = shown[:maxEventUsername] + "…"
	}
	if refusal == nil {
		body := fmt.Sprintf("%s sign-in of %q with %s from %s: signed in", ch, shown, cred, ip)
		if err := s.recordExternalEvent(ctx, siteID, loginEventType(ch), store.EventSuccess, body, 0); err != nil {
			s.log.Error("could not record a sign-in event", "site_id", siteID, "channel", ch, "error", err)
		}
		return
	}
	e := AsError(refusal)
	body := fmt.Sprintf("%s sign-in of %q with %s from %s: refused: %s", ch, shown, cred, ip, e.Error())
	if reason, ok := ConcealedReason(refusal); ok {
		// The client was told only that the password was wrong; the admin
		// reads why the account could not have signed in anyway.
		body += fmt.Sprintf(" (the account is also refused: %s; the client was not told, as the password did not verify)", reason.Error())
	}
	s.refusals.RecordExternalEvent(ctx, store.ExternalEvent{SiteID: siteID, EventType: loginEventType(ch),
		Status: store.EventFailure, Body: body, CreatedAt: s.now()},
		events.Refusal{Check: s.channelRefusalKind(ctx, siteID, ch, cred, username, e), IP: ip, Subject: shown})
}

// channelRefusalKind is the check a refused file-channel sign-in is
// counted under: "ftp password: not-authenticated/invalid-username-or-password,
// an existing account", say. An address refused unchecked by the throttle
// named no account anyone looked at, and its refusals are counted as such.
func (s *Service) channelRefusalKind(ctx context.Context, siteID int64, ch Channel, cred Credential, username string, e *Error) string {
	check := fmt.Sprintf("%s %s: %s", ch, cred, e.Type)
	if e.Type == ErrTooManyLoginAttempts.Type {
		return check + ", address throttled"
	}
	if username != "" && len(username) <= 4*maxUsernameLen {
		if _, err := s.st.GetUserByUsername(ctx, siteID, username); err == nil {
			return check + ", an existing account"
		}
	}
	return check + ", no such account"
}
