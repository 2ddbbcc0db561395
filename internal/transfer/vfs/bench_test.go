package vfs

import (
	"fmt"
	"testing"
)

// BenchmarkUpload measures an upload of 64 MiB written in 1 MiB chunks
// with and without checksums, which every upload now computes as it is
// written (MD5 dominates).
func BenchmarkUpload(b *testing.B) {
	const size, chunk = 64 << 20, 1 << 20
	data := randomBytes(chunk, 1)
	for _, sums := range []bool{false, true} {
		b.Run(fmt.Sprintf("checksums=%v", sums), func(b *testing.B) {
			f := newFixture(b)
			f.s.sums = sums
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
