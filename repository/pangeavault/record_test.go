// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavault

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestRecordEncoding(t *testing.T) {
	exp := time.UnixMilli(1_700_000_000_123)
	tests := []struct {
		name  string
		value string
		exp   time.Time
		want  string
	}{
		{"JSON object", `{"a":1}`, time.Time{}, `{"mcpauth":1,"v":{"a":1}}`},
		{"JSON with expiry", `[1,2]`, exp, `{"mcpauth":1,"exp":1700000000123,"v":[1,2]}`},
		{"JSON null", `null`, time.Time{}, `{"mcpauth":1,"v":null}`},
		{"surrounding space", ` 1`, time.Time{}, `{"mcpauth":1,"b":"IDE="}`},
		{"empty", ``, time.Time{}, `{"mcpauth":1,"b":""}`},
		{"invalid UTF-8 in a JSON string", "\"\xff\"", time.Time{}, `{"mcpauth":1,"b":"Iv8i"}`},
		{"not JSON", `abc`, exp, `{"mcpauth":1,"exp":1700000000123,"b":"YWJj"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeRecord([]byte(tt.value), tt.exp)
			if got != tt.want {
				t.Errorf("encodeRecord = %s, want %s", got, tt.want)
			}
			r, err := decodeRecord(got)
			if err != nil {
				t.Fatalf("decodeRecord: %v", err)
			}
			if !bytes.Equal(r.value, []byte(tt.value)) || !r.exp.Equal(tt.exp) {
				t.Errorf("round trip: got %q exp %v, want %q exp %v", r.value, r.exp, tt.value, tt.exp)
			}
		})
	}
}

func TestNameEncoding(t *testing.T) {
	for _, bad := range []string{"", "mcpauth", "other_abc", "mcpauth_A", "mcpauth_1", "mcpauth_a"} {
		if k, ok := DecodeName(bad); ok {
			t.Errorf("DecodeName(%q) = %q, true; want false", bad, k)
		}
	}
}

// FuzzRecord: any value and expiry survive the envelope byte for byte, and
// the envelope is valid JSON that survives being a JSON string.
func FuzzRecord(f *testing.F) {
	for _, s := range []string{"", "null", `{"a":1}`, " {} ", "\xff", "\x00", `"\u2028<>&"`} {
		f.Add([]byte(s), int64(0))
		f.Add([]byte(s), int64(1_700_000_000_000))
	}
	f.Fuzz(func(t *testing.T, value []byte, expMs int64) {
		var exp time.Time
		if expMs > 0 {
			exp = time.UnixMilli(expMs)
		}
		secret := encodeRecord(value, exp)
		if !json.Valid([]byte(secret)) {
			t.Fatalf("envelope %q is not valid JSON", secret)
		}
		wire, err := json.Marshal(secret)
		if err != nil {
			t.Fatal(err)
		}
		var back string
		if err := json.Unmarshal(wire, &back); err != nil || back != secret {
			t.Fatalf("envelope does not survive a JSON string: %q", back)
		}
		r, err := decodeRecord(back)
		if err != nil {
			t.Fatalf("decodeRecord(%q): %v", back, err)
		}
		if !bytes.Equal(r.value, value) || !r.exp.Equal(exp) {
			t.Fatalf("got %q %v, want %q %v", r.value, r.exp, value, exp)
		}
	})
}

// FuzzName: names round-trip and contain only [a-z2-7_].
func FuzzName(f *testing.F) {
	for _, s := range []string{"", "sha256-ab+/cd==", "ключ", "\xff", "a/../b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		name := EncodeName(key)
		for _, c := range name {
			if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7' || c == '_') {
				t.Fatalf("EncodeName(%q) = %q contains %q", key, name, c)
			}
		}
		got, ok := DecodeName(name)
		if !ok || got != key {
			t.Fatalf("DecodeName(EncodeName(%q)) = %q, %v", key, got, ok)
		}
	})
}

// FuzzDecodeRecord: arbitrary secrets never panic, and anything accepted
// re-encodes to a record with the same content.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range []string{`{"mcpauth":1,"v":1}`, `{"mcpauth":1,"b":"AA=="}`, `{"mcpauth":1,"exp":5,"v":{}}`, `{}`, `x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, secret string) {
		r, err := decodeRecord(secret)
		if err != nil {
			return
		}
		r2, err := decodeRecord(encodeRecord(r.value, r.exp))
		if err != nil || !bytes.Equal(r2.value, r.value) || !r2.exp.Equal(r.exp) {
			t.Fatalf("re-encoding %q changed it: %q %v, %v", secret, r2.value, r2.exp, err)
		}
	})
}
