package storetest

import (
	"crypto/sha256"

	"github.com/gatehouse/gatehouse/internal/store"
)

var scimCredentialTests = []test{
	{"ByTokenHashAcrossSites", func(f *fixture) {
		mine := fullStrategy(f.site.ID)
		mine.SCIMTokenHash = hashOf("mine")
		f.must(f.s.CreateSSOStrategy(f.ctx, &mine))
		theirs := fullStrategy(f.other.ID)
		theirs.SCIMTokenHash = hashOf("theirs")
		f.must(f.s.CreateSSOStrategy(f.ctx, &theirs))
		none := store.SSOStrategy{SiteID: f.site.ID, Protocol: "saml"}
		f.must(f.s.CreateSSOStrategy(f.ctx, &none))

		got, err := f.s.GetSSOStrategyBySCIMTokenHash(f.ctx, hashOf("theirs"))
		f.must(err)
		equal(f, got, theirs)
		got, err = f.s.GetSSOStrategyBySCIMTokenHash(f.ctx, hashOf("mine"))
		f.must(err)
		equal(f, got, mine)
		_, err = f.s.GetSSOStrategyBySCIMTokenHash(f.ctx, hashOf("unknown"))
		f.wantErr(err, store.ErrNotFound)
		_, err = f.s.GetSSOStrategyBySCIMTokenHash(f.ctx, nil)
		f.wantErr(err, store.ErrNotFound)
		_, err = f.s.GetSSOStrategyBySCIMTokenHash(f.ctx, []byte{})
		f.wantErr(err, store.ErrNotFound)

		// A reset replaces the hash: the old one finds nothing any more.
		_, err = f.s.UpdateSSOStrategy(f.ctx, f.site.ID, mine.ID, func(x *store.SSOStrategy) error {
			x.SCIMTokenHash = hashOf("mine, reset")
			return nil
		})
		f.must(err)
		_, err = f.s.GetSSOStrategyBySCIMTokenHash(f.ctx, hashOf("mine"))
		f.wantErr(err, store.ErrNotFound)
		got, err = f.s.GetSSOStrategyBySCIMTokenHash(f.ctx, hashOf("mine, reset"))
		f.must(err)
		wantIDs(f, []int64{got.ID}, mine.ID)
	}},
	{"ByUsernameAcrossSites", func(f *fixture) {
		mk := func(siteID int64, username string) store.SSOStrategy {
			p := store.SSOStrategy{SiteID: siteID, Protocol: "saml", SCIMUsername: username, SCIMAuthenticationMethod: "basic"}
			f.must(f.s.CreateSSOStrategy(f.ctx, &p))
			return p
		}
		a := mk(f.site.ID, "scim-shared")
		b := mk(f.other.ID, "scim-shared")
		c := mk(f.site.ID, "scim-only")
		mk(f.site.ID, "")
		mk(f.site.ID, "SCIM-SHARED") // exact match only: a different username

		got, err := f.s.ListSSOStrategiesBySCIMUsername(f.ctx, "scim-shared", 0, 0)
		f.must(err)
		wantIDs(f, ids(f, got), a.ID, b.ID)
		equal(f, got[1], b)
		got, err = f.s.ListSSOStrategiesBySCIMUsername(f.ctx, "scim-shared", 0, 1)
		f.must(err)
		wantIDs(f, ids(f, got), a.ID)
		got, err = f.s.ListSSOStrategiesBySCIMUsername(f.ctx, "scim-only", 0, 0)
		f.must(err)
		wantIDs(f, ids(f, got), c.ID)
		got, err = f.s.ListSSOStrategiesBySCIMUsername(f.ctx, "nobody", 0, 0)
		f.must(err)
		wantIDs(f, ids(f, got))
		got, err = f.s.ListSSOStrategiesBySCIMUsername(f.ctx, "", b.ID, 0)
		f.must(err)
		wantIDs(f, ids(f, got))

		// alsoID adds one provider of any site, whatever its username.
		got, err = f.s.ListSSOStrategiesBySCIMUsername(f.ctx, "nobody", b.ID, 0)
		f.must(err)
		wantIDs(f, ids(f, got), b.ID)
		equal(f, got[0], b)
		got, err = f.s.ListSSOStrategiesBySCIMUsername(f.ctx, "scim-only", b.ID, 0)
		f.must(err)
		wantIDs(f, ids(f, got), b.ID, c.ID)
		got, err = f.s.ListSSOStrategiesBySCIMUsername(f.ctx, "scim-only", c.ID, 0)
		f.must(err)
		wantIDs(f, ids(f, got), c.ID)
	}},
}

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
