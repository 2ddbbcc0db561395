package vfs

import (
	"context"
	"io/fs"
)

// diskInfo describes a file of an area. Its checksums are read only when
// asked for (ChecksumsOf, ChecksumsOfEach), so listings for channels that
// do not show them cost nothing more.
type diskInfo struct {
	fs.FileInfo
	area   *area
	folder string // the file's folder inside the area ("." for its top)
}

// described wraps the description of the entry of folder that fi
// describes, when it is a file that may have checksums.
func (a *area) described(folder string, fi fs.FileInfo) fs.FileInfo {
	if !a.sums || !fi.Mode().IsRegular() {
		return fi
	}
	return diskInfo{FileInfo: fi, area: a, folder: folder}
}

func (d diskInfo) Checksums(context.Context) (Checksums, error) {
	return d.area.checksumsIn(d.folder, []diskInfo{d})[0], nil
}

// ChecksumsOfEach is ChecksumsOf for each of infos, a listing, read in one
// pass where the storage can: local disk opens each folder once instead
// of once per file, which halves what reading them adds to a listing
// (BenchmarkListing).
func ChecksumsOfEach(ctx context.Context, infos []fs.FileInfo) []Checksums {
	out := make([]Checksums, len(infos))
	var group []int // indexes of consecutive entries of one folder
	flush := func() {
		if len(group) == 0 {
			return
		}
		entries := make([]diskInfo, len(group))
		for i, j := range group {
			entries[i] = infos[j].(diskInfo)
		}
		for i, sums := range entries[0].area.checksumsIn(entries[0].folder, entries) {
			out[group[i]] = sums
		}
		group = group[:0]
	}
	for i, fi := range infos {
		d, ok := fi.(diskInfo)
		if !ok {
			out[i] = ChecksumsOf(ctx, fi)
			continue
		}
		if len(group) > 0 {
			if first := infos[group[0]].(diskInfo); first.area.dir != d.area.dir || first.folder != d.folder {
				flush()
			}
		}
		group = append(group, i)
	}
	flush()
	return out
}

// checksumsIn reads the records of files of one folder of the area and
// answers each file's checksums when its record describes it both as it
// is now and as the caller's description (the one shown with them) says
// it was; zero Checksums otherwise.
func (a *area) checksumsIn(folder string, files []diskInfo) []Checksums {
	out := make([]Checksums, len(files))
	r, err := a.openRoot()
	if err != nil {
		return out
	}
	defer r.Close()
	dir, err := r.Open(folder)
	if err != nil {
		return out
	}
	defer dir.Close()
	for i, want := range files {
		rec, size, mtime, ok := entryRecord(dir, want.Name())
		if ok && size == rec.size && mtime.Equal(rec.mtime) && rec.describes(want.FileInfo) {
			out[i] = rec.sums
		}
	}
	return out
}
