package web

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/webapp"
)

// appRoutes are the web app's pages as routes of the front end: any
// signed-in user with a browser session, the app's assets public.
func (s *server) appRoutes() []route {
	if s.app == nil {
		return nil
	}
	var out []route
	for _, ar := range s.app.Routes() {
		if ar.Plain != nil {
			out = append(out, route{Method: ar.Method, Pattern: ar.Pattern, Access: accessPublic, plain: ar.Plain})
			continue
		}
		out = append(out, route{Method: ar.Method, Pattern: ar.Pattern, Access: accessSignedIn, page: s.appPage(ar)})
	}
	return out
}

// appPage hands a web app page its call. Pages are reached by the
// browser's session only; pageEndpoint has already sent a signed-out
// browser to sign in, checked a form's origin and CSRF token, and sent a
// user whose password must change to change it.
func (s *server) appPage(ar webapp.Route) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, pc *pageCall) {
		ar.Page(w, r, &webapp.Call{Site: pc.site, User: pc.who.user, Actor: pc.who.actor(pc.ip), CSRF: pc.csrf})
	}
}
