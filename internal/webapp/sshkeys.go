package webapp

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/store"
)

// maxKeyFile bounds what is read of an uploaded key file. The service
// refuses anything over its own, smaller limit with its message; this
// only keeps a large file from being copied into memory whole.
const maxKeyFile = 64 << 10

// sshKeysPage is what the My SSH keys page shows.
type sshKeysPage struct {
	Keys []store.PublicKey
	// Added is the key just added, whose fingerprint the page repeats.
	Added *store.PublicKey
	// The form as sent, when the service refused it.
	Title, PublicKey string
}

func (a *App) sshKeys(w http.ResponseWriter, r *http.Request, c *Call) {
	a.showSSHKeys(w, r, c, http.StatusOK, sshKeysPage{}, r.URL.Query().Get("done"), "")
}

// showSSHKeys lists the user's own keys with the form.
func (a *App) showSSHKeys(w http.ResponseWriter, r *http.Request, c *Call, status int, pg sshKeysPage, done, problem string) {
	keys, err := a.svc.ListPublicKeys(r.Context(), c.Actor, c.Site.ID, store.KeyQuery{UserID: c.User.ID})
	if err != nil {
		a.refuse(w, r, c, err, "ssh-keys")
		return
	}
	pg.Keys = keys[:0:0]
	for _, k := range keys {
		if k.UserID == c.User.ID {
			pg.Keys = append(pg.Keys, k)
		}
	}
	note := ""
	switch {
	case pg.Added != nil:
		note = "SSH key added. Its fingerprint is " + pg.Added.FingerprintSHA256 + "."
	case done == "removed":
		note = "SSH key removed. It no longer signs you in, and SFTP connections made with it end."
	}
	a.render(w, c, status, "sshkeys", view{Title: "My SSH keys", Section: "ssh-keys", Notice: note, Error: problem, Data: pg})
}

// addSSHKey adds a pasted or uploaded public key to the signed-in user.
// Whether it is a key Gatehouse accepts, and whether this user may have
// one, is the identity service's to say; its refusal is shown as it is.
func (a *App) addSSHKey(w http.ResponseWriter, r *http.Request, c *Call) {
	pg := sshKeysPage{Title: strings.TrimSpace(r.PostForm.Get("title")), PublicKey: r.PostForm.Get("public_key")}
	if r.MultipartForm != nil {
		if files := r.MultipartForm.File["public_key_file"]; len(files) > 0 && files[0].Size > 0 {
			f, err := files[0].Open()
			if err != nil {
				a.refuse(w, r, c, err, "ssh-keys")
				return
			}
			raw, err := io.ReadAll(io.LimitReader(f, maxKeyFile))
			_ = f.Close()
			if err != nil {
				a.refuse(w, r, c, err, "ssh-keys")
				return
			}
			pg.PublicKey = string(raw)
			if pg.Title == "" {
				pg.Title = strings.TrimSuffix(files[0].Filename, ".pub")
			}
		}
	}
	if strings.TrimSpace(pg.PublicKey) == "" {
		a.showSSHKeys(w, r, c, http.StatusUnprocessableEntity, pg, "", "Paste your public key, or choose its file (such as id_ed25519.pub).")
		return
	}
	if pg.Title == "" {
		pg.Title = keyComment(pg.PublicKey)
	}
	k, err := a.svc.CreatePublicKey(r.Context(), c.Actor, c.Site.ID, identity.PublicKeyChange{Title: &pg.Title, PublicKey: &pg.PublicKey})
	if err != nil {
		e := identity.AsError(err)
		if e == identity.ErrInternal {
			a.refuse(w, r, c, err, "ssh-keys")
			return
		}
		// What was sent is not shown back: it may be a private key pasted
		// by mistake, and it need not reach the page (or a screenshot) again.
		pg.PublicKey = ""
		a.showSSHKeys(w, r, c, e.Status, pg, "", message(e))
		return
	}
	a.showSSHKeys(w, r, c, http.StatusOK, sshKeysPage{Added: &k}, "", "")
}

// keyComment names a key by its comment (often user@host), so the title
// field may stay empty. Only the first line of what looks like a public
// key is read: a private key pasted by mistake must not become a title.
func keyComment(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	fields := strings.Fields(line)
	if len(fields) >= 3 && (strings.HasPrefix(fields[0], "ssh-") || strings.HasPrefix(fields[0], "ecdsa-") || strings.HasPrefix(fields[0], "sk-")) {
		if comment := strings.Join(fields[2:], " "); len(comment) <= 100 {
			return comment
		}
	}
	return "SSH key"
}

// removeSSHKey deletes one of the user's own keys; another user's key is,
// here, a key that does not exist.
func (a *App) removeSSHKey(w http.ResponseWriter, r *http.Request, c *Call) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		a.refuse(w, r, c, identity.ErrPublicKeyNotFound, "ssh-keys")
		return
	}
	k, err := a.svc.GetPublicKey(r.Context(), c.Actor, c.Site.ID, id)
	if err == nil && k.UserID != c.User.ID {
		err = identity.ErrPublicKeyNotFound
	}
	if err == nil {
		err = a.svc.DeletePublicKey(r.Context(), c.Actor, c.Site.ID, id)
	}
	if err != nil {
		a.refuse(w, r, c, err, "ssh-keys")
		return
	}
	a.log.Info("SSH key removed in the web app", "site_id", c.Site.ID, "ssh_key_id", id, "user_id", c.User.ID)
	http.Redirect(w, r, "/ssh-keys?done=removed", http.StatusSeeOther)
}
