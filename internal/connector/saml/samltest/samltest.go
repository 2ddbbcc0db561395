// Package samltest runs the SAML identity provider the tests sign their
// responses with: pysaml2 and xmlsec1 from Debian, driven by
// ../testdata/idp.py, so what the tests verify was signed by code nobody
// here wrote. A missing peer skips the test, or fails it when
// GATEHOUSE_REQUIRE_PEERS=1 (see package testpeer).
package samltest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testpeer"
)

// Python is Debian's interpreter, the one that sees python3-pysaml2.
const Python = "/usr/bin/python3"

var (
	peerOnce    sync.Once
	peerMissing string
)

// RequirePeer skips the test when pysaml2 or xmlsec1 is missing, or fails
// it when GATEHOUSE_REQUIRE_PEERS=1.
func RequirePeer(t testing.TB) {
	t.Helper()
	peerOnce.Do(func() {
		if _, err := exec.LookPath("xmlsec1"); err != nil {
			peerMissing = "xmlsec1 not installed"
			return
		}
		if err := exec.Command(Python, "-c", "import saml2").Run(); err != nil {
			peerMissing = "python3-pysaml2 not importable by " + Python
		}
	})
	if peerMissing != "" {
		testpeer.Missing(t, "SAML IdP: %s (Debian python3-pysaml2 and xmlsec1)", peerMissing)
	}
}

// Script is the path of idp.py, found next to this package's source.
func Script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "idp.py")
}

// Run gives idp.py one job — cfg, written to a file in dir — and returns
// what it prints, failing the test on an error. The keys cfg takes are
// documented in idp.py.
func Run(t testing.TB, dir string, cfg map[string]any) []byte {
	t.Helper()
	out, err := Job(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Job is Run returning its error instead, for callers off the test's
// goroutine (an identity provider answering HTTP requests).
func Job(dir string, cfg map[string]any) ([]byte, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "idp-*.json")
	if err != nil {
		return nil, err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Python, Script(), f.Name())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("idp.py %v: %w\n%s", cfg["mode"], err, stderr.String())
	}
	return out, nil
}
