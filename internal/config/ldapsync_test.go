package config

import (
	"strings"
	"testing"
	"time"
)

func TestLDAPSyncInterval(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil || c.LDAPSyncEvery != time.Hour {
		t.Fatalf("default: %v, %v", c.LDAPSyncEvery, err)
	}
	for in, want := range map[string]time.Duration{"15m": 15 * time.Minute, "2h": 2 * time.Hour, "off": 0, "0": 0} {
		c, err := load(t, []string{"--ldap-sync-interval", in}, nil)
		if err != nil || c.LDAPSyncEvery != want {
			t.Errorf("--ldap-sync-interval %s: %v, %v; want %v", in, c.LDAPSyncEvery, err, want)
		}
	}
	c, err = load(t, nil, map[string]string{"GATEHOUSE_LDAP_SYNC_INTERVAL": "30m"})
	if err != nil || c.LDAPSyncEvery != 30*time.Minute {
		t.Fatalf("environment: %v, %v", c.LDAPSyncEvery, err)
	}
	for _, bad := range []string{"30s", "-5m", "hourly", "60"} {
		if _, err := load(t, []string{"--ldap-sync-interval", bad}, nil); err == nil || !strings.Contains(err.Error(), "ldap-sync-interval") {
			t.Errorf("--ldap-sync-interval %s: %v, want a refusal naming the flag", bad, err)
		}
	}
}
