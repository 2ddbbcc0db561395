package webapp

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/store"
)

// accountPage is what the account page shows.
type accountPage struct {
	User store.User
	// PasswordElsewhere names where the password of a user without a
	// Gatehouse password lives; "" for a user with one.
	PasswordElsewhere string
}

// Account is the page a sign-in lands on (/): the user's profile, and
// where they change their password, in the app's layout so it is one of
// the app's pages. The front end routes it, since / is also where its own
// sign-in and password pages send people.
func (a *App) Account(w http.ResponseWriter, r *http.Request, c *Call) {
	var notice string
	// Only known values are shown: the query names a notice, it is never
	// the text.
	if r.URL.Query().Get("done") == "password" {
		notice = "Your password has been changed, and your other sessions have been signed out."
	}
	a.render(w, c, http.StatusOK, "account", view{Title: "Signed in", Section: "account", Notice: notice,
		Data: accountPage{User: c.User, PasswordElsewhere: a.svc.PasswordKeeper(r.Context(), c.Site.ID, c.User)}})
}
