package oidclogin

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/oidc/oidctest"
	"github.com/gatehouse/gatehouse/internal/identity"
)

// BenchmarkCallbackToSession measures the callback of an OpenID Connect
// sign-in through to an issued session, on SQLite: take the state, redeem
// the code at the provider's token endpoint (in-process, answering with
// tokens signed beforehand), verify the ID token (one RSA verify), find
// the account, apply the login policy, record the event, start the
// session. One sign-in runs at once per CPU. Reported: sign-ins/s and the
// 99th percentile latency.
func BenchmarkCallbackToSession(b *testing.B) {
	e := newEnv(b)
	tp := oidctest.NewTokenEndpoint(b, tenantA)
	p := e.entraProvider(tp, "Entra", false)
	const people = 50
	for i := range people {
		e.ssoUser(fmt.Sprintf("user%d@contoso.example", i), p)
	}
	// Sign-ins are started and their tokens signed before the clock runs:
	// the benchmark is the callback.
	type ready struct {
		cb  Callback
		who string
	}
	all := make([]ready, b.N)
	for i := range all {
		bg := e.begin(p)
		who := fmt.Sprintf("user%d@contoso.example", i%people)
		code := "code-" + bg.state
		tp.Expect(code, tp.Sign(b, p.ClientID, bg.nonce, e.clock.Now(), oidctest.Person{OID: fmt.Sprintf("oid-%d", i%people), Username: who}))
		all[i] = ready{cb: Callback{HostSite: e.site, Provider: p.Provider, State: bg.state, Code: code, Browser: bg.browser, IP: "192.0.2.1"}, who: who}
	}
	var next atomic.Int64
	var mu sync.Mutex
	latencies := make([]time.Duration, 0, b.N)
	b.SetParallelism(1)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			r := all[next.Add(1)-1]
			t0 := time.Now()
			in, err := e.svc.Finish(e.ctx, r.cb)
			if err != nil {
				b.Errorf("Finish: %v", err)
				return
			}
			if _, _, err := e.id.StartSSOSession(e.ctx, in.User, identity.ChannelWeb, "192.0.2.1", "bench", identity.SSOSessionInfo{}); err != nil {
				b.Errorf("StartSSOSession: %v", err)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		latencies = append(latencies, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "signins/s")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
}
