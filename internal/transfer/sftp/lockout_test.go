package sftp

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/gatehouse/gatehouse/internal/identity"
)

// Test200ConcurrentFailedPasswords: two hundred wrong passwords at once
// from one address are all refused, only the site's tries-1 of them are
// checked (the rest are throttled), so the account is not locked, and the
// server still answers another user promptly.
func Test200ConcurrentFailedPasswords(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	target := h.passwordUser("target")
	other := h.passwordUser("other")
	otherKey := h.addKey(other)
	config := func(user, password string) *ssh.ClientConfig {
		return &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.Password(password)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused, failures := 0, []error{}
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := ssh.Dial("tcp", h.addr.String(), config("target", "not the password"))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				c.Close()
				failures = append(failures, errors.New("a wrong password signed in"))
				return
			}
			if strings.Contains(err.Error(), "unable to authenticate") {
				refused++
			} else {
				failures = append(failures, err)
			}
		}()
	}
	// While the storm runs, another user signs in with OpenSSH.
	start := time.Now()
	if out, err := h.run("other", auth{key: otherKey}, t.TempDir(), "ls\n"); err != nil {
		t.Fatalf("server unresponsive during the storm: %v\n%s", err, out)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("a sign-in during the storm took %v", d)
	}
	wg.Wait()
	if len(failures) > 0 || refused != 200 {
		t.Fatalf("refused %d of 200; other outcomes: %v", refused, failures)
	}
	// One address could not lock the account: it counted the site's tries-1
	// failures, the owner signs in from elsewhere, and the guessing address
	// is told, in a banner, that it is throttled.
	if got, err := h.id.GetUser(h.ctx, h.site.ID, target.ID); err != nil || !got.LockoutExpires.IsZero() || got.FailedLogins != 5 {
		t.Fatalf("after 200 failures from one address: %+v %v; want 5 counted and no lockout", got, err)
	}
	_, err := h.id.LoginWithPassword(h.ctx, identity.PasswordLogin{SiteID: h.site.ID, Username: "target",
		Password: testPassword, Channel: identity.ChannelSFTP, IP: "192.0.2.10"})
	if err != nil {
		t.Fatalf("the right password from another address: %v", err)
	}
	out, err := h.run("target", auth{password: testPassword}, t.TempDir(), "ls\n")
	if err == nil || !strings.Contains(out, "too many failed sign-ins from your address") {
		t.Fatalf("throttled address over SFTP: %v\n%s", err, out)
	}
}
