package storetest

import (
	"fmt"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

var loginStateTests = []test{
	{"TakeOnce", func(f *fixture) {
		ls := store.LoginState{KeyHash: []byte("k1"), SiteID: f.site.ID, SSOStrategyID: 7,
			Kind: store.LoginStateSAMLRequest, Data: hostile[0], ExpiresAt: at(time.Minute), CreatedAt: at(0)}
		f.must(f.s.CreateLoginState(f.ctx, &ls))
		dup := ls
		f.wantErr(f.s.CreateLoginState(f.ctx, &dup), store.ErrConflict)
		got, err := f.s.TakeLoginState(f.ctx, []byte("k1"), at(time.Minute-time.Microsecond))
		f.must(err)
		equal(f, got, store.LoginState{KeyHash: []byte("k1"), SiteID: f.site.ID, SSOStrategyID: 7,
			Kind: store.LoginStateSAMLRequest, Data: hostile[0], ExpiresAt: micro(at(time.Minute)), CreatedAt: micro(at(0))})
		_, err = f.s.TakeLoginState(f.ctx, []byte("k1"), at(0))
		f.wantErr(err, store.ErrNotFound)
		_, err = f.s.TakeLoginState(f.ctx, nil, at(0))
		f.wantErr(err, store.ErrNotFound)
	}},
	{"Expired", func(f *fixture) {
		ls := store.LoginState{KeyHash: []byte("old"), SiteID: f.site.ID, Kind: store.LoginStateOIDC, ExpiresAt: at(time.Minute)}
		f.must(f.s.CreateLoginState(f.ctx, &ls))
		_, err := f.s.TakeLoginState(f.ctx, []byte("old"), at(time.Minute))
		f.wantErr(err, store.ErrNotFound)
		for _, bad := range []store.LoginState{
			{SiteID: f.site.ID, ExpiresAt: at(time.Minute)},
			{KeyHash: []byte("forever"), SiteID: f.site.ID},
		} {
			if err := f.s.CreateLoginState(f.ctx, &bad); err == nil {
				f.t.Fatalf("login state %+v was stored", bad)
			}
		}
	}},
	{"SweepExpired", func(f *fixture) {
		for i, exp := range []time.Duration{time.Minute, time.Hour} {
			ls := store.LoginState{KeyHash: []byte(name("k", i)), SiteID: f.site.ID, ExpiresAt: at(exp)}
			f.must(f.s.CreateLoginState(f.ctx, &ls))
			_, err := f.s.RememberAssertion(f.ctx, 1, name("id", i), at(exp))
			f.must(err)
		}
		n, err := f.s.DeleteExpiredLoginState(f.ctx, at(time.Minute))
		f.must(err)
		if n != 2 {
			f.t.Fatalf("DeleteExpiredLoginState removed %d rows, want 2", n)
		}
		_, err = f.s.TakeLoginState(f.ctx, []byte(name("k", 1)), at(time.Minute))
		f.must(err)
		first, err := f.s.RememberAssertion(f.ctx, 1, name("id", 0), at(time.Hour))
		f.must(err)
		if !first {
			f.t.Fatal("a swept assertion id was still remembered")
		}
	}},
	{"RememberAssertion", func(f *fixture) {
		first, err := f.s.RememberAssertion(f.ctx, 1, "_a1", at(time.Hour))
		f.must(err)
		again, err2 := f.s.RememberAssertion(f.ctx, 1, "_a1", at(2*time.Hour))
		f.must(err2)
		otherIdP, err3 := f.s.RememberAssertion(f.ctx, 2, "_a1", at(time.Hour))
		f.must(err3)
		if !first || again || !otherIdP {
			f.t.Fatalf("first %v, again %v, other provider %v; want true, false, true", first, again, otherIdP)
		}
		if _, err := f.s.RememberAssertion(f.ctx, 1, "", at(time.Hour)); err == nil {
			f.t.Fatal("an empty assertion id was remembered")
		}
	}},
	{"RememberAssertionConcurrently", func(f *fixture) {
		const callers = 8
		for round := 0; round < 5; round++ {
			id := fmt.Sprintf("_race%d", round)
			var wg sync.WaitGroup
			results := make(chan bool, callers)
			errs := make(chan error, callers)
			for range callers {
				wg.Go(func() {
					first, err := f.s.RememberAssertion(f.ctx, 3, id, at(time.Hour))
					if err != nil {
						errs <- err
						return
					}
					results <- first
				})
			}
			wg.Wait()
			close(results)
			close(errs)
			for err := range errs {
				f.must(err)
			}
			firsts := 0
			for r := range results {
				if r {
					firsts++
				}
			}
			if firsts != 1 {
				f.t.Fatalf("%d concurrent callers were first, want exactly 1", firsts)
			}
		}
	}},
	{"SSOMetadata", func(f *fixture) {
		p := store.SSOStrategy{SiteID: f.site.ID, Protocol: "saml", Label: "Entra"}
		f.must(f.s.CreateSSOStrategy(f.ctx, &p))
		_, err := f.s.GetSSOMetadata(f.ctx, p.ID)
		f.wantErr(err, store.ErrNotFound)
		m := store.SSOMetadata{SSOStrategyID: p.ID, Raw: "<md/>" + hostile[7], FetchedAt: at(0)}
		f.must(f.s.PutSSOMetadata(f.ctx, &m))
		got, err := f.s.GetSSOMetadata(f.ctx, p.ID)
		f.must(err)
		equal(f, got, store.SSOMetadata{SSOStrategyID: p.ID, Raw: m.Raw, FetchedAt: micro(at(0))})
		m.LastError, m.LastErrorAt = "metadata-fetch: 503", at(time.Hour)
		m.SourceURL, m.Failures = "https://login.example.com/md.xml?appid="+hostile[3], 3
		f.must(f.s.PutSSOMetadata(f.ctx, &m))
		got, err = f.s.GetSSOMetadata(f.ctx, p.ID)
		f.must(err)
		equal(f, got, m)
		// Clearing the copy (a provider's trust settings changed) leaves
		// nothing of the old one.
		cleared := store.SSOMetadata{SSOStrategyID: p.ID}
		f.must(f.s.PutSSOMetadata(f.ctx, &cleared))
		got, err = f.s.GetSSOMetadata(f.ctx, p.ID)
		f.must(err)
		equal(f, got, store.SSOMetadata{SSOStrategyID: p.ID})
		missing := store.SSOMetadata{SSOStrategyID: p.ID + 1000, Raw: "x"}
		f.wantErr(f.s.PutSSOMetadata(f.ctx, &missing), store.ErrNotFound)
		f.must(f.s.DeleteSSOStrategy(f.ctx, f.site.ID, p.ID))
		_, err = f.s.GetSSOMetadata(f.ctx, p.ID)
		f.wantErr(err, store.ErrNotFound)
	}},
}

var samlSPKeyTests = []test{
	{"OnePerSite", func(f *fixture) {
		_, err := f.s.GetSAMLSPKey(f.ctx, f.site.ID)
		f.wantErr(err, store.ErrNotFound)
		k := store.SAMLSPKey{SiteID: f.site.ID, PrivateKeyEnc: []byte("sealed\x00key"), Certificate: []byte{0x30, 0x82, 0}, CreatedAt: at(0)}
		f.must(f.s.CreateSAMLSPKey(f.ctx, &k))
		got, err := f.s.GetSAMLSPKey(f.ctx, f.site.ID)
		f.must(err)
		equal(f, got, store.SAMLSPKey{SiteID: f.site.ID, PrivateKeyEnc: k.PrivateKeyEnc, Certificate: k.Certificate, CreatedAt: micro(at(0))})
		second := store.SAMLSPKey{SiteID: f.site.ID, PrivateKeyEnc: []byte("other"), Certificate: []byte("other")}
		f.wantErr(f.s.CreateSAMLSPKey(f.ctx, &second), store.ErrConflict)
		_, err = f.s.GetSAMLSPKey(f.ctx, f.other.ID)
		f.wantErr(err, store.ErrNotFound)
		if err := f.s.CreateSAMLSPKey(f.ctx, &store.SAMLSPKey{SiteID: f.other.ID}); err == nil {
			f.t.Fatal("an empty SAML SP key was stored")
		}
		f.wantErr(f.s.CreateSAMLSPKey(f.ctx, &store.SAMLSPKey{SiteID: 987654, PrivateKeyEnc: []byte("k"), Certificate: []byte("c")}), store.ErrNotFound)
	}},
}
