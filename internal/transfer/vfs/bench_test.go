package vfs

import (
	"strconv"
	"testing"
)

// BenchmarkUpload measures an upload of 64 MiB written in 1 MiB chunks
// without checksums, with them hashed inline by the writer, and as
// uploads hash them (on their own goroutine beyond the first MiB). MD5
// dominates the cost.
func BenchmarkUpload(b *testing.B) {
	const size, chunk = 64 << 20, 1 << 20
	data := randomBytes(chunk, 1)
	for _, mode := range []string{"off", "inline", "on"} {
		b.Run("checksums="+mode, func(b *testing.B) {
			f := newFixture(b)
			f.s.sums = mode != "off"
			if mode == "inline" {
				defer func(was int64) { syncLimit = was }(syncLimit)
				syncLimit = 1 << 62
			}
			v, err := f.s.For(f.ctx, f.site, f.alice)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			for b.Loop() {
				up, err := v.Create(f.ctx, "/bench.bin", 0)
				if err != nil {
					b.Fatal(err)
				}
				for off := 0; off < size; off += chunk {
					if _, err := up.Write(data); err != nil {
						b.Fatal(err)
					}
				}
				if err := up.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkListing measures a listing of 1,000 files without checksums,
// with each file's read on its own (ChecksumsOf), and with them read in
// one pass (ChecksumsOfEach, as the REST API's folder listing does).
func BenchmarkListing(b *testing.B) {
	f := newFixture(b)
	v, err := f.s.For(f.ctx, f.site, f.alice)
	if err != nil {
		b.Fatal(err)
	}
	if err := v.Mkdir(f.ctx, "/many"); err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		up, err := v.Create(f.ctx, "/many/f"+strconv.Itoa(i), 0)
		if err != nil {
			b.Fatal(err)
		}
		up.Write([]byte("some bytes"))
		if err := up.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	for _, mode := range []string{"none", "one-by-one", "each"} {
		b.Run("checksums="+mode, func(b *testing.B) {
			for b.Loop() {
				infos, err := v.ReadDir(f.ctx, "/many")
				if err != nil || len(infos) != 1000 {
					b.Fatal(err, len(infos))
				}
				switch mode {
				case "one-by-one":
					for _, fi := range infos {
						if !ChecksumsOf(f.ctx, fi).Known() {
							b.Fatal("no checksums")
						}
					}
				case "each":
					for _, sums := range ChecksumsOfEach(f.ctx, infos) {
						if !sums.Known() {
							b.Fatal("no checksums")
						}
					}
				}
			}
		})
	}
}
