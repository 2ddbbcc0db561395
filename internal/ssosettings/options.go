package ssosettings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// MaxOptionsBytes bounds a provider's options object; the identity core
// refuses a larger one before it is parsed.
const MaxOptionsBytes = 64 << 10

// object is a provider's options with each value left raw, so that every
// key is decoded (and refused) on its own and a rewrite keeps the keys it
// does not touch.
type object map[string]json.RawMessage

// readObject reads options: "" and null are the empty object; anything
// else must be a JSON object.
func readObject(options string) (object, error) {
	o := object{}
	if strings.TrimSpace(options) == "" {
		return o, nil
	}
	if err := json.Unmarshal([]byte(options), &o); err != nil {
		return nil, FieldErrors{{Field: "options", Message: "options must be a JSON object of settings, such as " +
			`{"ldap_page_size": 1000}` + "; its keys are " + strings.Join(KnownKeys(), ", ")}}
	}
	if o == nil {
		o = object{}
	}
	return o, nil
}

// raw returns key's value; absent and null are both "not set".
func (o object) raw(key string) (json.RawMessage, bool) {
	v, ok := o[key]
	if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		return nil, false
	}
	return v, true
}

// str decodes a string key; a value of another JSON type is refused.
func (o object) str(c *collector, key, what string) string {
	v, ok := o.raw(key)
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		c.add(field(key), "options.%s must be a string: %s", key, what)
		return ""
	}
	return s
}

// boolean decodes a true/false key.
func (o object) boolean(c *collector, key string) (value, set bool) {
	v, ok := o.raw(key)
	if !ok {
		return false, false
	}
	if err := json.Unmarshal(v, &value); err != nil {
		c.add(field(key), "options.%s must be true or false (JSON, without quotes), got %s", key, clip(string(v)))
		return false, false
	}
	return value, true
}

// integer decodes a whole-number key in [lo, hi]; hint says what the
// value means and its default.
func (o object) integer(c *collector, key string, lo, hi int, hint string) (int, bool) {
	v, ok := o.raw(key)
	if !ok {
		return 0, false
	}
	var n int
	if err := json.Unmarshal(v, &n); err != nil || n < lo || n > hi {
		c.add(field(key), "options.%s must be a whole number from %d to %d (JSON, without quotes), got %s: %s", key, lo, hi, clip(string(v)), hint)
		return 0, false
	}
	return n, true
}

// field is the API name of an options key.
func field(key string) string { return "options." + key }

// KnownKeys lists every options key a provider may carry, sorted.
func KnownKeys() []string {
	keys := slices.Concat(oidcKeys, samlKeys, ldapKeys, provisionKeys)
	slices.Sort(keys)
	return keys
}

// CheckKnownKeys refuses options holding a key no part of Gatehouse
// reads, unless before (the options they replace) held it already: a
// misspelt key ("ldap_pagesize") would otherwise be stored and silently
// do nothing, while a stored key that a later version no longer reads
// must not block rewriting the others. Sign-ins and syncs do not run it,
// so such a key never breaks a stored provider.
func CheckKnownKeys(options, before string) error {
	o, err := readObject(options)
	if err != nil {
		return err
	}
	had, _ := readObject(before) // unreadable old options held no key worth keeping
	known := KnownKeys()
	var c collector
	keys := make([]string, 0, len(o))
	for k := range o {
		if _, ok := had[k]; !ok && !slices.Contains(known, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		c.add(field(clip(k)), "options.%s is not a setting Gatehouse knows; remove it, or use one of %s",
			clip(k), strings.Join(known, ", "))
	}
	return c.err()
}

// SetKey returns options with key set to value (JSON-encoded), keeping
// every other key as it was; a nil value removes the key. Options that
// are not a JSON object are refused rather than replaced, so a writer of
// one key never drops the others.
func SetKey(options, key string, value any) (string, error) {
	o, err := readObject(options)
	if err != nil {
		return "", err
	}
	if value == nil {
		delete(o, key)
	} else {
		raw, err := json.Marshal(value)
		if err != nil {
			return "", fmt.Errorf("ssosettings: encode options.%s: %w", key, err)
		}
		o[key] = raw
	}
	out, err := json.Marshal(o)
	if err != nil {
		return "", fmt.Errorf("ssosettings: encode options: %w", err)
	}
	return string(out), nil
}
