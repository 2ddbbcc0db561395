package config

import (
	"strings"
	"testing"
)

func TestSMTPSettings(t *testing.T) {
	c, err := load(t, []string{"--smtp-url", "smtp://alerts:s3cret@mail.example.com:587", "--base-url", "https://files.example.org/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPURL != "smtp://alerts:s3cret@mail.example.com:587" || c.SMTPFrom != "gatehouse@files.example.org" {
		t.Fatalf("smtp settings: %q from %q", c.SMTPURL, c.SMTPFrom)
	}
	env := map[string]string{"GATEHOUSE_SMTP_URL": "smtps://mail.example.com", "GATEHOUSE_SMTP_FROM": "Alerts <alerts@example.com>"}
	if c, err = load(t, nil, env); err != nil {
		t.Fatal(err)
	}
	if c.SMTPURL != "smtps://mail.example.com" || c.SMTPFrom != "alerts@example.com" {
		t.Fatalf("smtp settings from the environment: %q from %q", c.SMTPURL, c.SMTPFrom)
	}
}

func TestSMTPFromDefault(t *testing.T) {
	for base, want := range map[string]string{
		"":                        "gatehouse@127.0.0.1", // http://LISTEN
		"http://[::1]:8080":       "gatehouse@localhost", // no address can name an IPv6 host
		"https://App.Example.com": "gatehouse@App.Example.com",
	} {
		args := []string{}
		if base != "" {
			args = append(args, "--base-url", base)
		}
		c, err := load(t, args, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.SMTPFrom != want {
			t.Errorf("base %q: from %q, want %q", base, c.SMTPFrom, want)
		}
	}
}

func TestSMTPRefusalsHideThePassword(t *testing.T) {
	for _, args := range [][]string{
		{"--smtp-url", "http://u:topsecret@mail.example.com"},
		{"--smtp-url", "smtp://u:topsecret@"},
		{"--smtp-url", "smtp://u:topsecret@mail.example.com/path"},
		{"--smtp-url", "smtp://u:topsecret@mail.example.com?x=1"},
		{"--smtp-url", "smtp://u:topsecret@mail.example.com:bad port"},
		{"--smtp-from", "not an address"},
		{"--smtp-from", "a@example.com\r\nBcc: victim@example.com"},
	} {
		_, err := load(t, args, nil)
		if err == nil {
			t.Errorf("%q accepted", args)
			continue
		}
		if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("%q: error shows the password: %v", args, err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"smtp://u:pw@h:587": "smtp://u:xxxxx@h:587",
		"smtps://h":         "smtps://h",
		"smtp://u:pw@h:%zz": "(unparsable URL)",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
