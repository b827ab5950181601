package audit

import (
	"context"
	"testing"
)

// BenchmarkAppend measures durable appends (WAL, synchronous=FULL, one
// fsync-ed commit per record) into a real database file, with the
// default checkpoint cadence.
func BenchmarkAppend(b *testing.B) {
	f := newFixture(b, 0, 0)
	ctx := context.Background()
	r := goldenRecord
	for b.Loop() {
		if _, err := f.log.Append(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkVerify measures a full verification of a 2,000-record log.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b, 2000, 0)
	ctx := context.Background()
	for b.Loop() {
		rep, err := f.log.Verify(ctx)
		if err != nil || !rep.OK {
			b.Fatal(err, rep)
		}
	}
	b.ReportMetric(2000*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkAppendParallel measures durable appends from 16 concurrent
// callers, as a busy station's request handlers make them; the writer
// commits the records waiting at each moment together.
func BenchmarkAppendParallel(b *testing.B) {
	f := newFixture(b, 0, 0)
	ctx := context.Background()
	b.SetParallelism(8) // 8 × GOMAXPROCS(2) = 16 goroutines
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.log.Append(ctx, goldenRecord); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
