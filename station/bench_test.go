package station

import (
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"caseviewer/wire"
)

// BenchmarkAuditAppendThroughServer measures durable audit appends as the
// server makes them: each case lookup over HTTPS appends one record committed
// with synchronous=FULL. Reported as records/s, with 8 clients (8 laptops,
// each its own goroutine and session, whatever GOMAXPROCS is).
func BenchmarkAuditAppendThroughServer(b *testing.B) {
	const clients = 8
	e := newEnv(b)
	laptops := make([]*laptop, clients)
	for i := range laptops {
		laptops[i] = e.session("D1")
		if err := laptops[i].do("GET", wire.CaseLookupPath("H-1"), nil, nil); err != nil { // warm the connection
			b.Fatal(err)
		}
	}
	var left atomic.Int64
	left.Store(int64(b.N))
	var busy, most atomic.Int64 // requests in flight, and the most seen
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, l := range laptops {
		wg.Add(1)
		go func(l *laptop) {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				n := busy.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				err := l.do("GET", wire.CaseLookupPath("H-1"), nil, nil)
				busy.Add(-1)
				if err != nil {
					b.Error(err)
					return
				}
			}
		}(l)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(most.Load()), "max-in-flight")
}

// BenchmarkGrantIssuance50Clients measures document opens (access check,
// durable audit record, grant sealed with HPKE ML-KEM-768+X25519) by 50
// concurrent clients over HTTPS on loopback, reporting p50 and p99 latency.
func BenchmarkGrantIssuance50Clients(b *testing.B) {
	const clients = 50
	e := newEnv(b)
	doc := e.docOf("H-1")
	laptops := make([]*laptop, clients)
	for i := range laptops {
		laptops[i] = e.session("D1")
		if err := laptops[i].do("POST", wire.DocumentOpenPath(doc), nil, nil); err != nil { // warm the connection
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	var mu sync.Mutex
	work := make(chan struct{}, b.N)
	for i := 0; i < b.N; i++ {
		work <- struct{}{}
	}
	close(work)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, l := range laptops {
		wg.Add(1)
		go func(l *laptop) {
			defer wg.Done()
			for range work {
				t0 := time.Now()
				err := l.do("POST", wire.DocumentOpenPath(doc), nil, nil)
				d := time.Since(t0)
				if err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}(l)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "grants/s")
	}
}
