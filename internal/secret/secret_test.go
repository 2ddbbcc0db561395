package secret

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal([]byte("hunter2"), "a")
	if bytes.Contains(sealed, []byte("hunter2")) {
		t.Fatal("plaintext visible in sealed value")
	}
	got, err := s.Open(sealed, "a")
	if err != nil || string(got) != "hunter2" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open(sealed, "b"); err != ErrDecrypt {
		t.Fatalf("wrong label: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open(sealed, "a"); err != ErrDecrypt {
		t.Fatalf("tampered: %v", err)
	}
	if _, err := s.Open([]byte("short"), "a"); err != ErrDecrypt {
		t.Fatalf("short: %v", err)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("reload: %v", err)
	}
	must(t, os.Chmod(path, 0o644))
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("world-readable key accepted")
	}
}

func TestTokens(t *testing.T) {
	a, b := NewToken("x_"), NewToken("x_")
	if a == b || len(a) < 40 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if !Equal(HashToken(a), HashToken(a)) || Equal(HashToken(a), HashToken(b)) {
		t.Fatal("hash compare")
	}
}

func TestDeriveKeyAndSigner(t *testing.T) {
	master := bytes.Repeat([]byte{9}, KeySize)
	k1, err := DeriveKey(master, "purpose one")
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := DeriveKey(master, "purpose two")
	if bytes.Equal(k1, k2) || bytes.Equal(k1, master) || len(k1) != 32 {
		t.Fatalf("derived keys must differ per purpose and from the master key")
	}
	if _, err := DeriveKey(master[:5], "x"); err == nil {
		t.Fatal("a short master key was accepted")
	}
	s1, err := NewSigner(k1)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := NewSigner(k2)
	sig := s1.Sign("upload", "7", "/a.txt")
	if !s1.Verify(sig, "upload", "7", "/a.txt") {
		t.Fatal("a signature does not verify")
	}
	for _, bad := range [][]string{{"upload", "7", "/b.txt"}, {"upload", "7"}, {"upload7", "", "/a.txt"}, {"uploa", "d7", "/a.txt"}} {
		if s1.Verify(sig, bad...) {
			t.Fatalf("the signature of other fields verified: %q", bad)
		}
	}
	if s2.Verify(sig, "upload", "7", "/a.txt") {
		t.Fatal("another purpose's key verified the signature")
	}
	if s1.Verify(sig[:10], "upload", "7", "/a.txt") || s1.Verify("!!!", "upload") {
		t.Fatal("a malformed signature verified")
	}
	if _, err := NewSigner(make([]byte, 8)); err == nil {
		t.Fatal("a short signing key was accepted")
	}
}

// must fails the test on a setup step's error, where it happened rather
// than as a confusing failure further on.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
