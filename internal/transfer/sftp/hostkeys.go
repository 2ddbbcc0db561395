package sftp

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// Host key files in the data directory. They are generated on first start
// and reused, so clients' known_hosts entries stay valid across restarts.
const (
	hostKeyEd25519 = "ssh_host_ed25519_key"
	hostKeyRSA     = "ssh_host_rsa_key"
	rsaHostKeyBits = 3072
)

// loadHostKeys reads the server's host keys from dir, generating any that
// are missing: ed25519 for current clients and RSA for old ones.
func loadHostKeys(dir string) ([]ssh.Signer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the host key folder %s: %w", dir, err)
	}
	var signers []ssh.Signer
	for _, k := range []struct {
		file     string
		generate func() (any, error)
	}{
		{hostKeyEd25519, func() (any, error) {
			_, priv, err := ed25519.GenerateKey(rand.Reader)
			return priv, err
		}},
		{hostKeyRSA, func() (any, error) { return rsa.GenerateKey(rand.Reader, rsaHostKeyBits) }},
	} {
		s, err := loadOrGenerate(filepath.Join(dir, k.file), k.generate)
		if err != nil {
			return nil, err
		}
		signers = append(signers, s)
	}
	return signers, nil
}

func loadOrGenerate(path string, generate func() (any, error)) (ssh.Signer, error) {
	pemBytes, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err := generate()
		if err != nil {
			return nil, fmt.Errorf("generate SSH host key %s: %w", path, err)
		}
		block, err := ssh.MarshalPrivateKey(key, "gatehouse host key")
		if err != nil {
			return nil, fmt.Errorf("encode SSH host key %s: %w", path, err)
		}
		pemBytes = pem.EncodeToMemory(block)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("write SSH host key %s (check the data directory's permissions): %w", path, err)
		}
		_, werr := f.Write(pemBytes)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return nil, fmt.Errorf("write SSH host key %s: %w", path, werr)
		}
	} else if err != nil {
		return nil, fmt.Errorf("read SSH host key %s: %w", path, err)
	}
	signer, err := ssh.ParsePrivateKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("SSH host key %s is unreadable; move it away to generate a new one (clients will see a changed host key): %w", path, err)
	}
	return signer, nil
}
