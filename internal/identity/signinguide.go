package identity

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse/internal/store"
)

// GuideChannels are the channels a sign-in guide covers, in the order
// people meet them: the browser, programs, then the transfer protocols.
var GuideChannels = []Channel{ChannelWeb, ChannelAPI, ChannelSFTP, ChannelFTP, ChannelWebDAV}

// guideCredentials are the credentials a person chooses between, in the
// order a guide offers them: what they already have first.
var guideCredentials = []Credential{CredentialPassword, CredentialSSO, CredentialSSHKey, CredentialAPIKey}

// ChannelGuide is what one channel takes from one user.
type ChannelGuide struct {
	Channel Channel
	// Refusal is why the user may not use the channel at all (a missing
	// channel permission, a disabled account); "" when they may.
	Refusal string
	// Credentials are those that sign the user in here.
	Credentials []Credential
}

// Works reports whether cred signs the user in on the channel.
func (g ChannelGuide) Works(cred Credential) bool {
	for _, c := range g.Credentials {
		if c == cred {
			return true
		}
	}
	return false
}

// SignInGuide is the login policy's answer, for one user, to "which of my
// credentials works where": the seed's table filled in for them. The web
// app's How to connect page shows it, so that page and every sign-in
// decide by the same rules (Decide), and a change to the rules changes the
// page too.
type SignInGuide struct {
	Method MethodClass
	// PasswordKeeper names where the password of a user without a
	// Gatehouse password lives (see PasswordKeeper); "" otherwise.
	PasswordKeeper string
	// ProviderDisabled: the user's SSO provider is switched off, so only
	// keys sign them in.
	ProviderDisabled bool
	Channels         []ChannelGuide
}

// GuideFor asks the login policy, for u as stored now, about every
// credential on every channel of GuideChannels. A required password
// change is left out: the web sign-in leads to it, and it ends once done.
func (s *Service) GuideFor(ctx context.Context, siteID int64, u store.User) (SignInGuide, error) {
	u, err := s.GetUser(ctx, siteID, u.ID)
	if err != nil {
		return SignInGuide{}, err
	}
	sub, err := s.loadSubject(ctx, u)
	if err != nil {
		return SignInGuide{}, err
	}
	now := s.now()
	g := SignInGuide{
		Method:           ClassifyMethod(u, sub.provider),
		PasswordKeeper:   s.PasswordKeeper(ctx, siteID, u),
		ProviderDisabled: sub.provider != nil && !sub.provider.Enabled,
	}
	for _, ch := range GuideChannels {
		cg := ChannelGuide{Channel: ch}
		for _, cred := range guideCredentials {
			d := sub.decision(ch, cred, now)
			d.RequirePasswordChange = false
			err := Decide(d)
			switch {
			case err == nil:
				cg.Credentials = append(cg.Credentials, cred)
			case errors.Is(err, ErrChannelNotPermitted) || errors.Is(err, ErrUserDisabled):
				cg.Refusal = AsError(err).Message
				if cg.Refusal == "" {
					cg.Refusal = AsError(err).Title
				}
			}
		}
		if cg.Refusal != "" {
			cg.Credentials = nil
		}
		g.Channels = append(g.Channels, cg)
	}
	return g, nil
}
