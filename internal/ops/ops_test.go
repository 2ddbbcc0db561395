package ops

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type pinger struct{ err error }

func (p *pinger) Ping(context.Context) error { return p.err }

func TestEndpoints(t *testing.T) {
	p := &pinger{}
	o := New(p)
	mux := http.NewServeMux()
	o.MountHealth(mux)
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(418) })
	srv := httptest.NewServer(o.Instrument(mux))
	defer srv.Close()
	metrics := httptest.NewServer(o.MetricsHandler())
	defer metrics.Close()
	var saturated bool
	o.NotReadyWhen("request queue saturated", func() bool { return saturated })

	get := func(path string) (int, string) {
		base := srv.URL
		if path == "/metrics" {
			base = metrics.URL
		}
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	if code, _ := get("/readyz"); code != 200 {
		t.Fatalf("readyz %d", code)
	}
	saturated = true
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "saturated") {
		t.Fatalf("readyz with the queue saturated %d %s", code, body)
	}
	saturated = false
	p.err = errors.New("down")
	if code, _ := get("/readyz"); code != 503 {
		t.Fatalf("readyz with store down %d", code)
	}
	get("/teapot")
	_, body := get("/metrics")
	if !strings.Contains(body, `gatehouse_http_requests_total{code="418",method="GET"} 1`) {
		t.Fatalf("metrics missing request count:\n%s", body)
	}
}
