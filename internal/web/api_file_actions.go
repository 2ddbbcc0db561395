package web

import (
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/transfer/fileerr"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// Files.com's copy and move: POST /file_actions/copy/{path} and
// /file_actions/move/{path} with destination, overwrite and (copy)
// structure. Files.com answers a file action with a status and, while a
// large one runs in the background, the id of a file_migration to poll;
// Gatehouse copies and moves before it answers, so the status is always
// "completed" (or the request fails) and no client has a migration to
// poll: Files.com's Go SDK, and rclone through it, poll only while the
// status is "pending".

// fileActionJSON is Files.com's file_action object.
type fileActionJSON struct {
	Status string `json:"status"`
}

// fileActionParams are the parameters of a copy or move; the SDKs send
// them as a JSON body, and a query string works too. copy_behaviors
// (copy the folder behaviors, a Files.com feature Gatehouse does not
// have) is accepted and has nothing to copy.
type fileActionParams struct {
	Destination   *string   `json:"destination"`
	Overwrite     *flexBool `json:"overwrite"`
	Structure     *flexBool `json:"structure"`
	CopyBehaviors *flexBool `json:"copy_behaviors"`
}

// read fills the parameters from the body, then from the query for what
// the body did not give.
func (p *fileActionParams) read(r *http.Request) error {
	if err := readLenientJSON(r, p); err != nil {
		return err
	}
	q := r.URL.Query()
	if p.Destination == nil && q.Has("destination") {
		d := q.Get("destination")
		p.Destination = &d
	}
	if err := queryFlag(q, "overwrite", &p.Overwrite); err != nil {
		return err
	}
	if err := queryFlag(q, "structure", &p.Structure); err != nil {
		return err
	}
	if p.Destination == nil || *p.Destination == "" {
		return identity.ErrParamsRequired.With("destination is required: the path to copy or move to")
	}
	return nil
}

func (p *fileActionParams) flag(b *flexBool) bool { return b != nil && bool(*b) }

// queryFlag sets *dst from the query parameter name when the body did not
// set it.
func queryFlag(q url.Values, name string, dst **flexBool) error {
	if *dst != nil || !q.Has(name) {
		return nil
	}
	v, ok := parseBool(q.Get(name))
	if !ok {
		return errInvalidQuery.With("%s must be true or false", name)
	}
	b := flexBool(v)
	*dst = &b
	return nil
}

// copyFileAction answers POST /file_actions/copy/{path}: a file, or a
// folder with everything in it (only its folders with structure=true),
// copied whole or not at all.
func (s *server) copyFileAction(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	var p fileActionParams
	if err := p.read(r); err != nil {
		return err
	}
	fsys, err := s.filesFor(r, c)
	if err != nil {
		return err
	}
	o := vfs.CopyOptions{Replace: p.flag(p.Overwrite), StructureOnly: p.flag(p.Structure)}
	if err := fsys.Copy(r.Context(), filePath(r), *p.Destination, o); err != nil {
		return fileerr.Action(err)
	}
	writeJSON(w, http.StatusOK, fileActionJSON{Status: "completed"})
	return nil
}

// moveFileAction answers POST /file_actions/move/{path}: within one area
// (a home, a group's folder) a rename, between areas a complete copy
// before the source is removed.
func (s *server) moveFileAction(w http.ResponseWriter, r *http.Request, c *apiCall) error {
	var p fileActionParams
	if err := p.read(r); err != nil {
		return err
	}
	if p.Structure != nil {
		return identity.ErrInvalidParams.With("structure applies to copies only")
	}
	fsys, err := s.filesFor(r, c)
	if err != nil {
		return err
	}
	if err := fsys.Move(r.Context(), filePath(r), *p.Destination, p.flag(p.Overwrite)); err != nil {
		return fileerr.Action(err)
	}
	writeJSON(w, http.StatusOK, fileActionJSON{Status: "completed"})
	return nil
}
