package identity

import (
	"bytes"
	"crypto/x509"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

func TestSAMLSPKeyMadeOnceSealedPerSite(t *testing.T) {
	e := newEnv(t)
	other, err := e.svc.CreateSite(e.ctx, SystemActor, "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}

	// Concurrent first uses agree on one key.
	var wg sync.WaitGroup
	certs := make([]*x509.Certificate, 4)
	for i := range certs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key, cert, err := e.svc.SAMLSPKey(e.ctx, e.site.ID)
			if err != nil {
				t.Errorf("SAMLSPKey: %v", err)
				return
			}
			if key.N.BitLen() != 2048 || !key.PublicKey.Equal(cert.PublicKey) {
				t.Errorf("SAMLSPKey: %d bits, certificate of another key", key.N.BitLen())
				return
			}
			certs[i] = cert
		}()
	}
	wg.Wait()
	for _, c := range certs[1:] {
		if c == nil || !c.Equal(certs[0]) {
			t.Fatal("concurrent first uses made different keys")
		}
	}
	if !certs[0].NotAfter.After(e.clock.Now().AddDate(9, 0, 0)) {
		t.Errorf("certificate expires %s", certs[0].NotAfter)
	}

	// Stored sealed; another site has its own key, and a sealed key copied
	// to another site does not open there.
	k, err := e.st.GetSAMLSPKey(e.ctx, e.site.ID)
	if err != nil {
		t.Fatal(err)
	}
	key, _, _ := e.svc.SAMLSPKey(e.ctx, e.site.ID)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	if bytes.Contains(k.PrivateKeyEnc, der[len(der)-64:]) {
		t.Fatal("the private key is stored in the clear")
	}
	_, otherCert, err := e.svc.SAMLSPKey(e.ctx, other.ID)
	if err != nil || otherCert.Equal(certs[0]) {
		t.Fatalf("the other site's key: %v, same certificate %v", err, otherCert.Equal(certs[0]))
	}
	third, err := e.svc.CreateSite(e.ctx, SystemActor, "third", "Third")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateSAMLSPKey(e.ctx, &store.SAMLSPKey{SiteID: third.ID, PrivateKeyEnc: k.PrivateKeyEnc, Certificate: k.Certificate}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.SAMLSPKey(e.ctx, third.ID); err == nil {
		t.Fatal("a sealed key copied from another site opened")
	}

	// Without a master key there is no key.
	bare := New(e.st, Options{Clock: e.clock.Now})
	if _, _, err := bare.SAMLSPKey(e.ctx, other.ID); err == nil {
		t.Fatal("SAMLSPKey worked without a master key")
	}
}
