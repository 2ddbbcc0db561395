// Package fileerr turns the file view's errors (internal/transfer/vfs)
// into the typed refusals of the HTTP front ends, so that the REST files
// API and the web app's file pages refuse the same thing with the same
// status, type and words (Files.com's types where it has one).
package fileerr

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// Typed answers a failed file operation with its refusal; an error the
// file view does not name is returned as it is (an internal error).
func Typed(err error) error {
	switch {
	case errors.Is(err, vfs.ErrNotExist):
		return (&identity.Error{Status: http.StatusNotFound, Type: "not-found/file-not-found", Title: "File Not Found"}).With("%s", err.Error())
	case errors.Is(err, vfs.ErrPermission):
		return identity.ErrNotAuthorized.With("%s", err.Error())
	case errors.Is(err, vfs.ErrExist):
		return (&identity.Error{Status: http.StatusUnprocessableEntity, Type: "processing-failure/destination-exists", Title: "Destination Exists"}).With("%s", err.Error())
	case errors.Is(err, vfs.ErrNotEmpty):
		return (&identity.Error{Status: http.StatusUnprocessableEntity, Type: "processing-failure/folder-not-empty", Title: "Folder Not Empty"}).With("%s; delete it with recursive=true to remove what is in it", err.Error())
	case errors.Is(err, vfs.ErrInvalidName), errors.Is(err, vfs.ErrIsDir), errors.Is(err, vfs.ErrNotDir),
		errors.Is(err, vfs.ErrInvalidOffset), errors.Is(err, vfs.ErrCrossFolder),
		errors.Is(err, vfs.ErrIntoItself):
		return (&identity.Error{Status: http.StatusBadRequest, Type: "bad-request/invalid-path", Title: "Invalid Path"}).With("%s", err.Error())
	}
	return err
}

// Action answers a refused copy, move or rename with Files.com's types for
// what is wrong with the destination; the rest as Typed.
func Action(err error) error {
	switch {
	case errors.Is(err, vfs.ErrSamePath):
		return (&identity.Error{Status: http.StatusBadRequest, Type: "bad-request/destination-same", Title: "Destination Same"}).With("%s", err.Error())
	case errors.Is(err, vfs.ErrNoParent):
		return (&identity.Error{Status: http.StatusUnprocessableEntity, Type: "processing-failure/destination-parent-does-not-exist",
			Title: "Destination Parent Does Not Exist"}).With("%s", err.Error())
	case errors.Is(err, vfs.ErrParentNotDir):
		return (&identity.Error{Status: http.StatusUnprocessableEntity, Type: "processing-failure/destination-parent-conflict",
			Title: "Destination Parent Conflict"}).With("%s", err.Error())
	}
	return Typed(err)
}
