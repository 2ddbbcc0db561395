package ldapsync

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/connector/ldap"
)

// TestReport is the answer of a connection test.
type TestReport struct {
	SSOStrategyID int64       `json:"sso_strategy_id"`
	OK            bool        `json:"ok"` // every step passed
	Steps         []ldap.Step `json:"steps"`
}

// Test tries the provider's directory step by step — each host, TLS, the
// service account's bind, a search of the base DN, and the lookup of
// sampleUser when given — and says how each went, in plain words. Opening
// the directory failing (settings that cannot work, a password that cannot
// be unsealed) is reported as a failed first step, not an error: the
// admin reading the report is the one who can fix it.
func (s *Service) Test(ctx context.Context, siteID, providerID int64, sampleUser string) (*TestReport, error) {
	p, err := s.provider(ctx, siteID, providerID)
	if err != nil {
		return nil, err
	}
	rep := &TestReport{SSOStrategyID: p.ID}
	dir, err := s.dirs.Directory(ctx, p)
	if err != nil {
		rep.Steps = []ldap.Step{{Name: "settings", OK: false, Detail: err.Error()}}
		return rep, nil
	}
	rep.Steps = dir.Test(ctx, sampleUser)
	rep.OK = len(rep.Steps) > 0
	for _, st := range rep.Steps {
		rep.OK = rep.OK && st.OK
	}
	return rep, nil
}
