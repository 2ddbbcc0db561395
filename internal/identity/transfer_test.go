package identity

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TestReadmit: what ends a transfer connection that signed in earlier,
// and what does not, credential by credential.
func TestReadmit(t *testing.T) {
	e := newEnv(t)
	e.admin("keeper")
	alice := e.user("alice", UserChange{FTPPermission: ptr(true), SFTPPermission: ptr(true)})
	_, key, err := e.svc.CreateAPIKey(e.ctx, SystemActor, e.site.ID, APIKeyChange{UserID: &alice.ID, Name: ptr("laptop")})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := e.svc.CreatePublicKey(e.ctx, SystemActor, e.site.ID, PublicKeyChange{UserID: &alice.ID, Title: ptr("laptop"),
		PublicKey: ptr(newAuthorizedKey(t))})
	if err != nil {
		t.Fatal(err)
	}
	apiKey, err := e.st.GetAPIKeyByHash(e.ctx, secret.HashToken(key))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	at := e.svc.Now()
	byPassword := TransferSignIn{SiteID: e.site.ID, UserID: alice.ID, Channel: ChannelFTP, Credential: CredentialPassword, At: at}
	byAPIKey := TransferSignIn{SiteID: e.site.ID, UserID: alice.ID, Channel: ChannelFTP, Credential: CredentialAPIKey, APIKeyID: apiKey.ID, At: at}
	bySSHKey := TransferSignIn{SiteID: e.site.ID, UserID: alice.ID, Channel: ChannelSFTP, Credential: CredentialSSHKey,
		SSHKeyFingerprint: pub.FingerprintSHA256, At: at}
	e.clock.Advance(time.Second)
	for _, in := range []TransferSignIn{byPassword, byAPIKey, bySSHKey} {
		if _, err := e.svc.Readmit(e.ctx, in); err != nil {
			t.Fatalf("%s right after sign-in: %v", in.Credential, err)
		}
	}

	// A lockout ends nothing that signed in before it.
	if _, err := e.st.UpdateUser(e.ctx, e.site.ID, alice.ID, func(u *store.User) error {
		u.LockoutExpires = e.svc.Now().Add(time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []TransferSignIn{byPassword, byAPIKey, bySSHKey} {
		_, err := e.svc.Readmit(e.ctx, in)
		wantErr(t, string(in.Credential)+" of a locked-out user", err, nil)
	}

	// A new password ends password connections only.
	if _, err := e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, alice.ID, UserChange{Password: ptr("another good password")}, false); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Readmit(e.ctx, byPassword)
	wantErr(t, "password connection after a password change", err, ErrInvalidSession)
	for _, in := range []TransferSignIn{byAPIKey, bySSHKey} {
		_, err := e.svc.Readmit(e.ctx, in)
		wantErr(t, string(in.Credential)+" after a password change", err, nil)
	}
	afterChange := byPassword
	afterChange.At = e.svc.Now().Add(time.Second)
	_, err = e.svc.Readmit(e.ctx, afterChange)
	wantErr(t, "password connection signed in after the change", err, nil)

	// Removing a key ends the connections it signed in.
	if err := e.svc.DeletePublicKey(e.ctx, SystemActor, e.site.ID, pub.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Readmit(e.ctx, bySSHKey)
	wantErr(t, "SSH-key connection after the key's removal", err, ErrInvalidSession)
	if _, err := e.st.UpdateAPIKey(e.ctx, e.site.ID, apiKey.ID, func(k *store.APIKey) error {
		k.PermissionSet = PermissionSetNone
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Readmit(e.ctx, byAPIKey)
	wantErr(t, "API-key connection after its permission set became none", err, ErrAPIKeyDisabled)
	if _, err := e.st.UpdateAPIKey(e.ctx, e.site.ID, apiKey.ID, func(k *store.APIKey) error {
		k.PermissionSet = PermissionSetFull
		k.ExpiresAt = e.svc.Now()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Readmit(e.ctx, byAPIKey)
	wantErr(t, "API-key connection after the key expired", err, ErrInvalidAPIKey)
	if err := e.svc.DeleteAPIKey(e.ctx, SystemActor, e.site.ID, apiKey.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Readmit(e.ctx, byAPIKey)
	wantErr(t, "API-key connection after the key's deletion", err, ErrInvalidAPIKey)

	// The policy: the channel permission, and the account itself.
	if _, err := e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, alice.ID, UserChange{FTPPermission: ptr(false)}, false); err != nil {
		t.Fatal(err)
	}
	afterChange.Channel = ChannelFTP
	_, err = e.svc.Readmit(e.ctx, afterChange)
	wantErr(t, "FTP connection without ftp_permission", err, ErrChannelNotPermitted)
	if err := e.svc.DeleteUser(e.ctx, SystemActor, e.site.ID, alice.ID, false); err != nil {
		t.Fatal(err)
	}
	afterChange.Channel = ChannelSFTP
	_, err = e.svc.Readmit(e.ctx, afterChange)
	wantErr(t, "connection of a deleted user", err, ErrUserDisabled)
}

// TestReadmitView: the view fingerprint changes with what the file view
// is laid out from (admin flag, memberships, group admin, group names)
// and with nothing else, so connections lay their view out again only
// when it changed.
func TestReadmitView(t *testing.T) {
	e := newEnv(t)
	e.admin("keeper")
	bob := e.user("bob", UserChange{FTPPermission: ptr(true)})
	in := TransferSignIn{SiteID: e.site.ID, UserID: bob.ID, Channel: ChannelFTP, Credential: CredentialPassword, At: e.svc.Now().Add(time.Second)}
	e.clock.Advance(2 * time.Second)
	view := func() [32]byte {
		t.Helper()
		st, err := e.svc.Readmit(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return st.View
	}
	g, err := e.svc.CreateGroup(e.ctx, SystemActor, e.site.ID, GroupChange{Name: ptr("eng")})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		change  func() error
		changes bool
	}{
		{"notes edited", func() error {
			_, err := e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, bob.ID, UserChange{Notes: ptr("on leave")}, false)
			return err
		}, false},
		{"joins eng", func() error {
			return e.st.AddGroupUser(e.ctx, &store.GroupUser{SiteID: e.site.ID, GroupID: g.ID, UserID: bob.ID})
		}, true},
		{"made eng's admin", func() error {
			_, err := e.svc.UpdateGroupUser(e.ctx, SystemActor, e.site.ID, g.ID, bob.ID, true)
			return err
		}, true},
		{"eng renamed", func() error {
			_, err := e.svc.UpdateGroup(e.ctx, SystemActor, e.site.ID, g.ID, GroupChange{Name: ptr("engineering")})
			return err
		}, true},
		{"made site admin", func() error {
			_, err := e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, bob.ID, UserChange{SiteAdmin: ptr(true)}, false)
			return err
		}, true},
		{"demoted", func() error {
			_, err := e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, bob.ID, UserChange{SiteAdmin: ptr(false)}, true)
			return err
		}, true},
		{"leaves engineering", func() error {
			return e.svc.RemoveGroupUser(e.ctx, SystemActor, e.site.ID, g.ID, bob.ID)
		}, true},
	}
	before := view()
	for _, s := range steps {
		if err := s.change(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		after := view()
		if (after != before) != s.changes {
			t.Errorf("%s: view changed %v, want %v", s.name, after != before, s.changes)
		}
		before = after
	}
}
