package identity

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// EventTypeSettingsChange is the external event of an admin's (or the
// operator's) change of the site's settings, an SSO provider or a user:
// Files.com keeps these as "Settings Changes". It names who made the
// change and which fields it set, never their values, some of which are
// secrets (a password, a client secret, a bind password).
const EventTypeSettingsChange = "settings_change"

// EventTypePasswordChange is the external event of a user changing their
// own password (on the web page, or with change_password on the API).
const EventTypePasswordChange = "password_change"

// recordSettingsChange writes the settings_change event of what, changed
// by a with change c (a SiteChange, SSOStrategyChange or UserChange), in
// the caller's transaction.
func (s *Service) recordSettingsChange(ctx context.Context, siteID int64, a Actor, what string, c any, providerID int64) error {
	body := fmt.Sprintf("%s by %s", what, describeActor(a))
	if fields := changedFields(c); len(fields) > 0 {
		body += ": " + strings.Join(fields, ", ")
	}
	return s.recordExternalEvent(ctx, siteID, EventTypeSettingsChange, store.EventSuccess, body, providerID)
}

// changedFields names the fields change c sets (its pointer, slice and
// map fields that are not nil), by their API names, in declaration order.
func changedFields(c any) []string {
	v := reflect.Indirect(reflect.ValueOf(c))
	if v.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range v.NumField() {
		f, field := v.Field(i), v.Type().Field(i)
		switch f.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			if f.IsNil() {
				continue
			}
		default:
			continue
		}
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = field.Name
		}
		out = append(out, name)
	}
	return out
}
