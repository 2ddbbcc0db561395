package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	AddFlags(fs, true)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return Load(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.BaseURL != "http://127.0.0.1:8080" || c.DataDir != "gatehouse-data" ||
		c.MasterKeyFile != filepath.Join("gatehouse-data", "master.key") || c.UsesPostgres() {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "g.yaml")
	must(t, os.WriteFile(file, []byte("listen: 127.0.0.1:1\nsite-domain: file.example\ndata-dir: /from/file\n"), 0o600))
	env := map[string]string{"GATEHOUSE_CONFIG": file, "GATEHOUSE_LISTEN": "127.0.0.1:2", "GATEHOUSE_BASE_URL": "https://app.example.com/"}
	c, err := load(t, []string{"--listen", "127.0.0.1:3"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:3" || c.SiteDomain != "file.example" || c.DataDir != "/from/file" || c.BaseURL != "https://app.example.com" {
		t.Fatalf("precedence: %+v", c)
	}
}

func TestRefusals(t *testing.T) {
	for _, args := range [][]string{
		{"--listen", "nope"},
		{"--base-url", "ftp://x"},
		{"--database-url", "mysql://x"},
		{"--log-level", "loud"},
		{"--data-dir", ""},
	} {
		if _, err := load(t, args, nil); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "g.yaml")
	must(t, os.WriteFile(file, []byte("listne: x\n"), 0o600))
	if _, err := load(t, []string{"--config", file}, nil); err == nil {
		t.Error("unknown file key accepted")
	}
}

func TestAllowPrivateOutbound(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want bool
	}{
		{nil, nil, false},
		{[]string{"--allow-private-outbound"}, nil, true},
		{[]string{"--allow-private-outbound=false"}, nil, false},
		{nil, map[string]string{"GATEHOUSE_ALLOW_PRIVATE_OUTBOUND": "true"}, true},
		{[]string{"--allow-private-outbound=false"}, map[string]string{"GATEHOUSE_ALLOW_PRIVATE_OUTBOUND": "true"}, false},
	} {
		c, err := load(t, tc.args, tc.env)
		if err != nil || c.Outbound.AllowPrivate != tc.want {
			t.Errorf("%v %v: %v, %v; want %v", tc.args, tc.env, c.Outbound.AllowPrivate, err, tc.want)
		}
	}
	if _, err := load(t, []string{"--allow-private-outbound=maybe"}, nil); err == nil {
		t.Error("--allow-private-outbound=maybe accepted")
	}
}

func TestHTTPSettings(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.MetricsListen != "127.0.0.1:9464" || !c.HTTP.MetricsEnabled() || c.HTTP.BodyIdleTimeout != 2*time.Minute {
		t.Fatalf("defaults: %+v", c.HTTP)
	}
	c, err = load(t, []string{"--metrics-listen", "off", "--http-body-idle-timeout", "1s"}, nil)
	if err != nil || c.HTTP.MetricsEnabled() || c.HTTP.BodyIdleTimeout != time.Second {
		t.Fatalf("set: %+v %v", c.HTTP, err)
	}
	for _, args := range [][]string{
		{"--metrics-listen", "9464"},
		{"--http-body-idle-timeout", "2"},
		{"--http-body-idle-timeout", "1ms"},
	} {
		if _, err := load(t, args, nil); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil || len(c.HTTP.TrustedProxies) != 0 {
		t.Fatalf("default: %v %v", c.HTTP.TrustedProxies, err)
	}
	c, err = load(t, []string{"--trusted-proxies", "10.0.0.0/8, 192.0.2.7"}, nil)
	if err != nil || len(c.HTTP.TrustedProxies) != 2 || c.HTTP.TrustedProxies[1] != "192.0.2.7" {
		t.Fatalf("set: %v %v", c.HTTP.TrustedProxies, err)
	}
	c, err = load(t, nil, map[string]string{"GATEHOUSE_TRUSTED_PROXIES": "fd00::/8"})
	if err != nil || len(c.HTTP.TrustedProxies) != 1 {
		t.Fatalf("environment: %v %v", c.HTTP.TrustedProxies, err)
	}
	if _, err := load(t, []string{"--trusted-proxies", "lb.example.com"}, nil); err == nil || !strings.Contains(err.Error(), "--trusted-proxies") {
		t.Errorf("a host name accepted: %v", err)
	}
}

// must fails the test on a setup step's error, where it happened rather
// than as a confusing failure further on.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
