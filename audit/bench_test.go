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
