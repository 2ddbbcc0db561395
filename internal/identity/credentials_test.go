package identity

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/store"
)

func TestPublicKeys(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann", UserChange{})
	bob := e.user("bob", UserChange{})
	annActor := ActorFor(ann, "")
	line := newAuthorizedKey(t)

	k, err := e.svc.CreatePublicKey(e.ctx, annActor, e.site.ID, PublicKeyChange{Title: ptr("laptop"), PublicKey: ptr("  " + line + "\n")})
	wantErr(t, "add", err, nil)
	if k.PublicKey != line || !strings.HasPrefix(k.FingerprintSHA256, "SHA256:") || k.UserID != ann.ID {
		t.Fatalf("stored %+v", k)
	}
	_, err = e.svc.CreatePublicKey(e.ctx, annActor, e.site.ID, PublicKeyChange{Title: ptr("again"), PublicKey: ptr(line)})
	wantErr(t, "same key twice", err, ErrDuplicate)

	weakRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakPub, _ := ssh.NewPublicKey(&weakRSA.PublicKey)
	weakLine := string(ssh.MarshalAuthorizedKey(weakPub))
	fields := strings.Fields(line)

	for name, bad := range map[string]string{
		"garbage":        "this is not a key",
		"empty":          "",
		"truncated":      fields[0] + " " + fields[1][:20],
		"options":        `command="/bin/sh" ` + line,
		"two keys":       line + "\n" + newAuthorizedKey(t),
		"private key":    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
		"weak rsa":       weakLine,
		"oversized":      strings.Repeat("A", 20000),
		"sql":            "ssh-ed25519 '); DROP TABLE public_keys; --",
		"wrong key type": "ssh-rsa " + fields[1],
	} {
		_, err := e.svc.CreatePublicKey(e.ctx, annActor, e.site.ID, PublicKeyChange{Title: ptr(name), PublicKey: ptr(bad)})
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if e := AsError(err); e.Status != 400 && e.Status != 422 {
			t.Errorf("%s: %v is not a client error", name, err)
		}
	}
	_, err = e.svc.CreatePublicKey(e.ctx, annActor, e.site.ID, PublicKeyChange{PublicKey: ptr(newAuthorizedKey(t))})
	wantErr(t, "no title", err, ErrParamsRequired)

	// Ownership: bob cannot see, rename, delete or add ann's keys.
	bobActor := ActorFor(bob, "")
	_, err = e.svc.GetPublicKey(e.ctx, bobActor, e.site.ID, k.ID)
	wantErr(t, "bob reads ann's key", err, ErrPublicKeyNotFound)
	_, err = e.svc.UpdatePublicKey(e.ctx, bobActor, e.site.ID, k.ID, PublicKeyChange{Title: ptr("mine")})
	wantErr(t, "bob renames ann's key", err, ErrPublicKeyNotFound)
	wantErr(t, "bob deletes ann's key", e.svc.DeletePublicKey(e.ctx, bobActor, e.site.ID, k.ID), ErrPublicKeyNotFound)
	_, err = e.svc.CreatePublicKey(e.ctx, bobActor, e.site.ID, PublicKeyChange{UserID: &ann.ID, Title: ptr("x"), PublicKey: ptr(newAuthorizedKey(t))})
	wantErr(t, "bob adds a key to ann", err, ErrUserNotFound)
	keys, _ := e.svc.ListPublicKeys(e.ctx, bobActor, e.site.ID, store.KeyQuery{UserID: ann.ID})
	if len(keys) != 0 {
		t.Fatalf("bob listed %d of ann's keys", len(keys))
	}

	renamed, err := e.svc.UpdatePublicKey(e.ctx, annActor, e.site.ID, k.ID, PublicKeyChange{Title: ptr("old laptop"), PublicKey: ptr(line)})
	wantErr(t, "rename (same key sent back)", err, nil)
	if renamed.Title != "old laptop" {
		t.Fatalf("title %q", renamed.Title)
	}
	_, err = e.svc.UpdatePublicKey(e.ctx, annActor, e.site.ID, k.ID, PublicKeyChange{PublicKey: ptr(newAuthorizedKey(t))})
	wantErr(t, "swap key material", err, ErrInvalidParams)
	wantErr(t, "delete", e.svc.DeletePublicKey(e.ctx, annActor, e.site.ID, k.ID), nil)
	_, err = e.svc.GetPublicKey(e.ctx, annActor, e.site.ID, k.ID)
	wantErr(t, "deleted", err, ErrPublicKeyNotFound)
}

func TestSSOStrategies(t *testing.T) {
	e := newEnv(t)
	opts := json.RawMessage(`{"deprovision_limit_percent": 10}`)
	p, err := e.svc.CreateSSOStrategy(e.ctx, SystemActor, e.site.ID, SSOStrategyChange{
		Protocol: ptr(ProtocolOAuth2), Provider: ptr("azure"), Label: ptr("Entra ID"),
		ClientID: ptr("client"), ClientSecret: ptr("s3cr3t-value"), Options: &opts,
		SAMLProviderCertFingerprint: ptr(strings.Repeat("AB:", 31) + "AB"),
	})
	wantErr(t, "create oidc", err, nil)
	if !p.Enabled || !p.DisplayOnLoginPage || p.DeprovisionBehavior != "disable" {
		t.Fatalf("defaults %+v", p)
	}
	if len(p.ClientSecretEnc) == 0 || strings.Contains(string(p.ClientSecretEnc), "s3cr3t-value") {
		t.Fatal("client secret not sealed")
	}
	stored, err := e.svc.GetSSOStrategy(e.ctx, e.site.ID, p.ID)
	wantErr(t, "get", err, nil)
	secretValue, err := e.svc.OpenProviderSecret(stored, SecretClientSecret)
	if err != nil || secretValue != "s3cr3t-value" {
		t.Fatalf("OpenProviderSecret = %q, %v", secretValue, err)
	}
	// The seal is bound to its site: the same bytes on another site do not open.
	moved := stored
	moved.SiteID = e.site.ID + 1
	if _, err := e.svc.OpenProviderSecret(moved, SecretClientSecret); err == nil {
		t.Fatal("a secret opened under another site's label")
	}

	// Updating other fields keeps the secret; "" clears it.
	stored, err = e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, p.ID, SSOStrategyChange{Label: ptr("Entra")})
	wantErr(t, "relabel", err, nil)
	if v, _ := e.svc.OpenProviderSecret(stored, SecretClientSecret); v != "s3cr3t-value" {
		t.Fatal("relabel lost the secret")
	}
	stored, err = e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, p.ID, SSOStrategyChange{ClientSecret: ptr("")})
	wantErr(t, "clear secret", err, nil)
	if len(stored.ClientSecretEnc) != 0 {
		t.Fatal("secret not cleared")
	}

	bad := map[string]SSOStrategyChange{
		"no protocol":           {},
		"unknown protocol":      {Protocol: ptr("kerberos")},
		"placeholder protocol":  {Protocol: ptr("_unused_openid2")},
		"oauth2 no provider":    {Protocol: ptr(ProtocolOAuth2)},
		"unknown provider":      {Protocol: ptr(ProtocolSAML), Provider: ptr("myspace")},
		"ldap provider on saml": {Protocol: ptr(ProtocolSAML), Provider: ptr("ldap")},
		"saml provider on ad":   {Protocol: ptr(ProtocolActiveDirectory), Provider: ptr("okta")},
		"bad deprovision":       {Protocol: ptr(ProtocolSAML), DeprovisionBehavior: ptr("shred")},
		"bad scim auth":         {Protocol: ptr(ProtocolSCIM), SCIMAuthenticationMethod: ptr("cookie")},
		"bad metadata url":      {Protocol: ptr(ProtocolSAML), SAMLProviderMetadataURL: ptr("javascript:alert(1)")},
		"bad fingerprint":       {Protocol: ptr(ProtocolSAML), SAMLProviderCertFingerprint: ptr("abcd")},
		"bad ldap host":         {Protocol: ptr(ProtocolOpenLDAP), LDAPHost: ptr("ldap://host/path")},
		"bad ldap port":         {Protocol: ptr(ProtocolOpenLDAP), LDAPPort: ptr(70000)},
		"bad username field":    {Protocol: ptr(ProtocolOpenLDAP), LDAPUsernameField: ptr("uid)(objectClass=*")},
		"options not object":    {Protocol: ptr(ProtocolSAML), Options: ptr(json.RawMessage(`[1,2]`))},
		"long label":            {Protocol: ptr(ProtocolSAML), Label: ptr(strings.Repeat("l", 257))},
	}
	for name, c := range bad {
		_, err := e.svc.CreateSSOStrategy(e.ctx, SystemActor, e.site.ID, c)
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if !errorsIsAny(err, ErrInvalidParams, ErrParamsRequired) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err = e.svc.UpdateSSOStrategy(e.ctx, SystemActor, e.site.ID, p.ID, SSOStrategyChange{Protocol: ptr(ProtocolActiveDirectory)})
	wantErr(t, "switch an azure provider to AD", err, ErrInvalidParams)
	_, err = e.svc.GetSSOStrategy(e.ctx, e.otherSite().ID, p.ID)
	wantErr(t, "provider of another site", err, ErrSSOStrategyNotFound)
}

func TestDeleteSSOStrategyInUse(t *testing.T) {
	e := newEnv(t)
	saml := e.provider(ProtocolSAML)
	ann := e.user("ann", UserChange{AuthenticationMethod: ptr(store.AuthSSO), SSOStrategyID: &saml.ID})
	n, err := e.svc.CountProviderUsers(e.ctx, e.site.ID, saml.ID)
	if err != nil || n != 1 {
		t.Fatalf("CountProviderUsers = %d, %v", n, err)
	}
	err = e.svc.DeleteSSOStrategy(e.ctx, SystemActor, e.site.ID, saml.ID)
	wantErr(t, "delete with a user", err, ErrProviderInUse)
	if e := AsError(err); e.Status != 409 || !strings.Contains(e.Message, "move them") {
		t.Errorf("refusal %d %q", e.Status, e.Message)
	}
	_, err = e.svc.UpdateUser(e.ctx, SystemActor, e.site.ID, ann.ID,
		UserChange{AuthenticationMethod: ptr(store.AuthPassword), SSOStrategyID: ptr(int64(0))}, false)
	wantErr(t, "move the user", err, nil)
	wantErr(t, "delete unused", e.svc.DeleteSSOStrategy(e.ctx, SystemActor, e.site.ID, saml.ID), nil)
	wantErr(t, "delete again", e.svc.DeleteSSOStrategy(e.ctx, SystemActor, e.site.ID, saml.ID), ErrSSOStrategyNotFound)
}

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if AsError(err).Is(t) {
			return true
		}
	}
	return false
}
