package sftp

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/transfer/credential"
)

// Extension keys carrying the sign-in through ssh.Permissions to the
// connection's access.Session.
const (
	extUserID      = "gatehouse-user-id"
	extCredential  = "gatehouse-credential"
	extAPIKeyID    = "gatehouse-api-key-id"
	extFingerprint = "gatehouse-key-fingerprint"
	extSignInAt    = "gatehouse-sign-in-at" // unix nanoseconds
)

// sshConfig builds the SSH server configuration: password, keyboard-
// interactive (the same password, for clients that prefer it) and public
// key authentication, every one decided by the identity core's login policy
// for the sftp channel.
func (s *Server) sshConfig() *ssh.ServerConfig {
	c := &ssh.ServerConfig{
		MaxAuthTries:  10,
		ServerVersion: "SSH-2.0-Gatehouse",
		PasswordCallback: func(conn ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
			return s.passwordLogin(conn, string(password))
		},
		KeyboardInteractiveCallback: func(conn ssh.ConnMetadata, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			answers, err := ask("", "", []string{"Password: "}, []bool{false})
			if err != nil {
				return nil, err
			}
			if len(answers) != 1 {
				return nil, errors.New("expected one answer")
			}
			return s.passwordLogin(conn, answers[0])
		},
		// Every offered key is acceptable at query time, so a query tells
		// an attacker nothing about which keys or users exist; the real
		// check runs once the client has proved it holds the key.
		PublicKeyCallback: func(conn ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			return &ssh.Permissions{Extensions: map[string]string{extFingerprint: ssh.FingerprintSHA256(key)}}, nil
		},
		VerifiedPublicKeyCallback: func(conn ssh.ConnMetadata, key ssh.PublicKey, p *ssh.Permissions, _ string) (*ssh.Permissions, error) {
			return s.publicKeyLogin(conn, ssh.FingerprintSHA256(key))
		},
	}
	for _, k := range s.hostKeys {
		c.AddHostKey(k)
	}
	return c
}

// passwordLogin checks the secret a client typed as a password. It goes
// through the same sign-in as FTP and WebDAV (package credential), so an
// API key sent as the password gets the login policy's own answer for SFTP
// (use an SSH key) instead of counting as a wrong password.
func (s *Server) passwordLogin(conn ssh.ConnMetadata, password string) (*ssh.Permissions, error) {
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	in, err := credential.Login(ctx, s.id, s.siteID, conn.User(), password, identity.ChannelSFTP, remoteIP(conn.RemoteAddr()))
	if err != nil {
		return nil, refusal(err)
	}
	return permissionsFor(in.Connection), nil
}

func (s *Server) publicKeyLogin(conn ssh.ConnMetadata, fingerprint string) (*ssh.Permissions, error) {
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	ip, at := remoteIP(conn.RemoteAddr()), s.id.Now()
	u, err := s.id.LoginWithPublicKey(ctx, s.siteID, conn.User(), fingerprint, identity.ChannelSFTP, ip)
	s.id.RecordChannelLogin(ctx, s.siteID, identity.ChannelSFTP, identity.CredentialSSHKey, conn.User(), ip, err)
	if err != nil {
		return nil, refusal(err)
	}
	return permissionsFor(identity.TransferSignIn{SiteID: s.siteID, UserID: u.ID, Channel: identity.ChannelSFTP,
		Credential: identity.CredentialSSHKey, SSHKeyFingerprint: fingerprint, At: at, IP: ip}), nil
}

// permissionsFor carries a sign-in to the connection.
func permissionsFor(in identity.TransferSignIn) *ssh.Permissions {
	return &ssh.Permissions{Extensions: map[string]string{
		extUserID:      strconv.FormatInt(in.UserID, 10),
		extCredential:  string(in.Credential),
		extAPIKeyID:    strconv.FormatInt(in.APIKeyID, 10),
		extFingerprint: in.SSHKeyFingerprint,
		extSignInAt:    strconv.FormatInt(in.At.UnixNano(), 10),
	}}
}

// signInOf reads back the sign-in permissionsFor carried.
func (s *Server) signInOf(conn *ssh.ServerConn) identity.TransferSignIn {
	ext := conn.Permissions.Extensions
	userID, _ := strconv.ParseInt(ext[extUserID], 10, 64)
	keyID, _ := strconv.ParseInt(ext[extAPIKeyID], 10, 64)
	at, _ := strconv.ParseInt(ext[extSignInAt], 10, 64)
	return identity.TransferSignIn{SiteID: s.siteID, UserID: userID, Channel: identity.ChannelSFTP,
		Credential: identity.Credential(ext[extCredential]), APIKeyID: keyID, SSHKeyFingerprint: ext[extFingerprint],
		At: time.Unix(0, at), IP: remoteIP(conn.RemoteAddr())}
}

// refusal turns the login policy's answer into what the SSH client sees. A
// wrong password or unknown user is a plain failure; a refusal the user can
// act on (single sign-on account, disabled, no SFTP permission) is also
// shown as a banner, which OpenSSH prints, saying what to do. The identity
// core gives such a refusal only once the password or key verified (before
// that it is a wrong password), so the banner names no account to anyone
// who does not already hold its credential.
func refusal(err error) error {
	e := identity.AsError(err)
	if errors.Is(err, identity.ErrInvalidUsernameOrPassword) {
		return err
	}
	msg := "Gatehouse refused the sign-in: " + e.Message + "\n"
	if errors.Is(err, identity.ErrMustAuthenticateWithAPIKey) {
		msg = "Gatehouse: this account signs in through single sign-on, so its password does not work over SFTP.\n" +
			"Use an SSH key here (add your public key to your profile); on FTP, WebDAV and the REST API use an API key.\n"
	}
	return &ssh.BannerError{Err: err, Message: msg}
}

func remoteIP(a net.Addr) string {
	if host, _, err := net.SplitHostPort(a.String()); err == nil {
		return host
	}
	return a.String()
}
