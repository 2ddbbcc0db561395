package webdav

import (
	"context"
	"encoding/xml"
	"io/fs"
	"net/http"

	"golang.org/x/net/webdav"

	"github.com/gatehouse/gatehouse/internal/transfer/vfs"
)

// A file's checksums are published as ownCloud's oc:checksums property
// ("MD5:<hex>"), the form ownCloud and Nextcloud clients and rclone's
// webdav backend (vendor owncloud) read, so that a WebDAV client can
// check what it uploaded or downloaded, and `rclone check` can compare
// without reading the files back. The value is the MD5 the storage
// computed while the file was written, as on every other channel.

// ocNamespace is ownCloud's property namespace.
const ocNamespace = "http://owncloud.org/ns"

var ocChecksums = xml.Name{Space: ocNamespace, Local: "checksums"}

// readFile is a file opened for reading (GET, and PROPFIND of its
// properties).
type readFile struct {
	vfs.File
	ctx  context.Context
	info fs.FileInfo // as the storage's Stat answered it, with its checksums
}

// DeadProps answers the file's checksums, when the storage knows them.
func (f readFile) DeadProps() (map[xml.Name]webdav.Property, error) {
	sums := vfs.ChecksumsOf(f.ctx, f.info)
	if sums.MD5 == "" {
		return nil, nil
	}
	return map[xml.Name]webdav.Property{ocChecksums: {XMLName: ocChecksums,
		InnerXML: []byte(`<checksum xmlns="` + ocNamespace + `">MD5:` + sums.MD5 + `</checksum>`)}}, nil
}

// Patch refuses every change: a file opened for reading changes nothing
// (PROPPATCH opens files as propFile).
func (readFile) Patch(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	refused := webdav.Propstat{Status: http.StatusForbidden}
	for _, p := range patches {
		for _, prop := range p.Props {
			refused.Props = append(refused.Props, webdav.Property{XMLName: prop.XMLName})
		}
	}
	return []webdav.Propstat{refused}, nil
}
