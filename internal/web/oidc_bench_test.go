package web

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/connector/oidc/oidctest"
	"github.com/gatehouse/gatehouse/internal/identity"
	"github.com/gatehouse/gatehouse/internal/ops"
)

// BenchmarkOIDCCallback measures GET /login_from_oauth, the OpenID
// Connect redirect URI, through the whole front end to an issued session
// on SQLite: the browser's binding cookie and the state, the code redeemed
// at the provider's token endpoint (in-process, answering with ID tokens
// signed beforehand, so each sign-in costs one RSA verify of ours), the
// account, the login policy, the event and the session cookie. Each
// sign-in was started with GET /oauth/login before the clock runs:
//
//	go test -run '^$' -bench BenchmarkOIDCCallback -benchtime 3000x ./internal/web
func BenchmarkOIDCCallback(b *testing.B) {
	ops.TuneGC()
	defer debug.SetGCPercent(100)
	defer debug.SetMemoryLimit(math.MaxInt64)
	l := newLoadServer(b)
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tp := oidctest.NewTokenEndpoint(b, tenant)
	opts, _ := json.Marshal(map[string]string{identity.OptionOIDCTenantID: tenant, identity.OptionOIDCAuthority: tp.Authority()})
	raw := json.RawMessage(opts)
	proto, kind, label, clientID, secret, yes := identity.ProtocolOAuth2, "azure", "Entra OIDC", "client-bench", "secret-bench", true
	p, err := l.svc.CreateSSOStrategy(b.Context(), identity.SystemActor, l.siteID, identity.SSOStrategyChange{
		Protocol: &proto, Provider: &kind, Label: &label, ClientID: &clientID, ClientSecret: &secret,
		Options: &raw, Enabled: &yes, ProvisionUsers: &yes})
	if err != nil {
		b.Fatal(err)
	}
	type started struct{ callback, cookie string }
	all := make([]started, b.N)
	for i := range all {
		res, err := l.client.Get(fmt.Sprintf("%s/oauth/login?sso_strategy_id=%d", l.srv.URL, p.ID))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		loc, err := url.Parse(res.Header.Get("Location"))
		if err != nil || res.StatusCode != http.StatusFound || len(res.Cookies()) == 0 {
			b.Fatalf("/oauth/login answered %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		q := loc.Query()
		code := fmt.Sprintf("code-%d", i)
		n := i % 200
		tp.Expect(code, tp.Sign(b, clientID, q.Get("nonce"), time.Now(), oidctest.Person{
			OID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n), Username: fmt.Sprintf("user%04d@contoso.example", n)}))
		cb := url.Values{"provider": {kind}, "code": {code}, "state": {q.Get("state")}}
		c := res.Cookies()[0]
		all[i] = started{callback: l.srv.URL + "/login_from_oauth?" + cb.Encode(), cookie: c.Name + "=" + c.Value}
	}
	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	b.SetParallelism(2)
	b.ResetTimer()
	cpu0 := processCPU()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			req, _ := http.NewRequest("GET", all[i].callback, nil)
			req.Header.Set("Cookie", all[i].cookie)
			t0 := time.Now()
			res, err := l.client.Do(req)
			latencies[i] = time.Since(t0)
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if res.StatusCode != http.StatusSeeOther || sessionCookieOf(rawResponse{status: res.StatusCode, header: res.Header}) == nil {
				b.Errorf("callback answered %d: %.300s", res.StatusCode, body)
				return
			}
		}
	})
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "signins/s")
	b.ReportMetric(float64(latencies[min(len(latencies)-1, len(latencies)*99/100)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}
