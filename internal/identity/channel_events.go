package identity

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

// EventTypeTransferLogin is the external event type of a sign-in over a
// file-transfer channel (SFTP, FTP, WebDAV), successful or refused.
const EventTypeTransferLogin = "transfer_login"

// maxEventUsername bounds how much of a client-sent username an event keeps.
const maxEventUsername = 200

// RecordChannelLogin writes the external event of one sign-in attempt over a
// file-transfer channel: who, over which channel, with which credential, from
// where and, when refused, why. The web and API channels have their own
// records (sessions, SSO events); transfer protocols have only this one, so
// an admin can see why a client keeps failing. The credential itself is
// never written.
func (s *Service) RecordChannelLogin(ctx context.Context, siteID int64, ch Channel, cred Credential, username, ip string, refusal error) {
	if len(username) > maxEventUsername {
		username = username[:maxEventUsername] + "…"
	}
	status, outcome := store.EventSuccess, "signed in"
	if refusal != nil {
		status, outcome = store.EventFailure, "refused: "+AsError(refusal).Error()
	}
	body := fmt.Sprintf("%s sign-in of %q with %s from %s: %s", ch, username, cred, ip, outcome)
	if err := s.recordExternalEvent(ctx, siteID, EventTypeTransferLogin, status, body, 0); err != nil {
		s.log.Error("could not record a sign-in event", "site_id", siteID, "channel", ch, "error", err)
	}
}
