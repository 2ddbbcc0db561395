package webdav

import (
	"context"
	"encoding/xml"
	"io/fs"
	"net/http"
	"strings"

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

// checksumAgrees says whether an oc:checksums value a client sends agrees
// with the file's: each MD5 it names is the file's (other algorithms are
// not kept, and say nothing either way).
func (f propFile) checksumAgrees(inner string) bool {
	fi, err := f.fs.Stat(f.ctx, f.name)
	if err != nil {
		return false
	}
	have := vfs.ChecksumsOf(f.ctx, fi).MD5
	for _, field := range strings.Fields(ocChecksumText(inner)) {
		algo, sum, ok := strings.Cut(field, ":")
		if ok && strings.EqualFold(algo, "MD5") && (have == "" || !strings.EqualFold(sum, have)) {
			return false
		}
	}
	return true
}

// ocChecksumText is the text of an oc:checksums value: its oc:checksum
// elements' contents, or the value itself when it holds no element.
func ocChecksumText(inner string) string {
	var v struct {
		Checksums []string `xml:"checksum"`
	}
	if err := xml.Unmarshal([]byte("<c>"+inner+"</c>"), &v); err == nil && len(v.Checksums) > 0 {
		return strings.Join(v.Checksums, " ")
	}
	return inner
}
