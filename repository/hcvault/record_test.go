// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package hcvault

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEncodeKey(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want string
	}{
		{"empty", "", "k"},
		{"plain", "abc", "kYWJj"},
		{"slash", "a/b", "kYS9i"},
		{"dot dot", "..", "kLi4"},
		{"base64 specials", "?>?", "kPz4_"},
		{"unicode", "é", "kw6k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := encodeKey(tt.key); got != tt.want {
				t.Errorf("encodeKey(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

// checkSegment fails unless seg is one safe path segment that decodes back
// to key.
func checkSegment(t *testing.T, key, seg string) {
	t.Helper()
	if seg == "" || seg == "." || seg == ".." {
		t.Fatalf("encodeKey(%q) = %q, not a usable path segment", key, seg)
	}
	for _, r := range seg {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
		if !ok {
			t.Fatalf("encodeKey(%q) = %q contains %q", key, seg, r)
		}
	}
	got, ok := decodeKey(seg)
	if !ok || got != key {
		t.Fatalf("decodeKey(encodeKey(%q)) = %q, %v; want the key back", key, got, ok)
	}
}

func TestKeyRoundTrip(t *testing.T) {
	keys := []string{
		"", " ", ".", "..", "/", "../x", "a/../b", "a//b", "a+b", "a=b", "a%2Fb", "\x00", "\xff", "🔑",
		"sha256-ab+/cd==", "mcp_0123456789abcdef", strings.Repeat("é/+=", 64), strings.Repeat("x", 1024),
	}
	seen := map[string]string{}
	for _, key := range keys {
		seg := encodeKey(key)
		checkSegment(t, key, seg)
		if prev, dup := seen[seg]; dup {
			t.Errorf("keys %q and %q both encode to %q", prev, key, seg)
		}
		seen[seg] = key
	}
}

func TestDecodeKeyRejectsForeignSegments(t *testing.T) {
	for _, seg := range []string{"", "mcpauth", "YWJj", "kYWJj=", "kYWJ", "k!!", "kYW Jj", "kYWJj/", "k\r", "kYW\nJj", "kYWJj\r\n"} {
		t.Run(seg, func(t *testing.T) {
			if got, ok := decodeKey(seg); ok {
				t.Errorf("decodeKey(%q) = %q, true; want false", seg, got)
			}
		})
	}
}

func FuzzKey(f *testing.F) {
	for _, k := range []string{"", "a/b", "..", "\xff\x00", "sha256-ab+/cd=="} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		checkSegment(t, key, encodeKey(key))
	})
}

func FuzzDecodeKey(f *testing.F) {
	for _, s := range []string{"k", "kYWJj", "kYW", "x", "kA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seg string) {
		key, ok := decodeKey(seg)
		if ok && encodeKey(key) != seg {
			t.Errorf("decodeKey(%q) = %q, which encodes to %q: two segments for one key", seg, key, encodeKey(key))
		}
	})
}

// viaJSON returns data as the api client hands it back: JSON-encoded and
// decoded with UseNumber.
func viaJSON(t *testing.T, data map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRecordRoundTrip(t *testing.T) {
	exp := time.Date(2262, 4, 11, 0, 0, 0, 123456789, time.UTC).UnixNano() // near the int64 limit
	tests := []struct {
		name   string
		value  []byte
		expiry int64
	}{
		{"empty", []byte{}, 0},
		{"nil", nil, 0},
		{"json", []byte(`{"a":1}`), exp},
		{"binary", []byte{0, 0xff, 0xfe, '\n'}, 1},
		{"envelope lookalike", []byte(`{"v":["eA=="],"n":1,"exp":"0"}`), 0},
		{"several chunks", bytes.Repeat([]byte{0xfb, 0xef, 0xbe}, chunkSize/4*3+1), 7},
		{"exactly one chunk", bytes.Repeat([]byte{1, 2, 3}, chunkSize/4), 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := decodeRecord(viaJSON(t, encodeRecord(tt.value, tt.expiry)))
			if err != nil {
				t.Fatalf("decodeRecord: %v", err)
			}
			want := tt.value
			if want == nil {
				want = []byte{}
			}
			if diff := cmp.Diff(want, rec.value); diff != "" {
				t.Errorf("value (-want +got):\n%s", diff)
			}
			if rec.expiry != tt.expiry || rec.tombstone {
				t.Errorf("got expiry %d, tombstone %v; want %d, false", rec.expiry, rec.tombstone, tt.expiry)
			}
		})
	}
	rec, err := decodeRecord(viaJSON(t, tombstoneRecord()))
	if err != nil || !rec.tombstone {
		t.Errorf("tombstone: got %+v, %v; want a tombstone", rec, err)
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	good := func() map[string]any { return viaJSON(t, encodeRecord([]byte("hello, world"), 42)) }
	with := func(k string, v any) map[string]any {
		m := good()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		data map[string]any
	}{
		{"empty", map[string]any{}},
		{"foreign data", map[string]any{"password": "hunter2"}},
		{"value missing", with(fieldValue, nil)},
		{"length missing", with(fieldLength, nil)},
		{"expiry missing", with(fieldExpiry, nil)},
		{"extra field", with("x", "y")},
		{"value a plain string", with(fieldValue, "aGVsbG8sIHdvcmxk")},
		{"value not a list of strings", with(fieldValue, []any{json.Number("1")})},
		{"value without chunks", with(fieldValue, []any{})},
		{"value not base64", with(fieldValue, []any{"!!!!"})},
		{"value unpadded", with(fieldValue, []any{"aGk"})},
		{"value truncated to a base64 quantum", with(fieldValue, []any{"aGVsbG8s"})},
		{"value in short chunks", with(fieldValue, []any{"aGVs", "bG8sIHdvcmxk"})},
		{"length too long", with(fieldLength, json.Number("13"))},
		{"length a string", with(fieldLength, "12")},
		{"length fractional", with(fieldLength, json.Number("12.5"))},
		{"expiry a number", with(fieldExpiry, json.Number("42"))},
		{"expiry negative", with(fieldExpiry, "-1")},
		{"expiry with a sign", with(fieldExpiry, "+42")},
		{"expiry with leading zero", with(fieldExpiry, "042")},
		{"expiry fractional", with(fieldExpiry, "1.5")},
		{"expiry overflows", with(fieldExpiry, "9223372036854775808")},
		{"tombstone false", map[string]any{fieldTombstone: false}},
		{"tombstone a string", map[string]any{fieldTombstone: "true"}},
		{"tombstone with a value", map[string]any{fieldTombstone: true, fieldValue: []any{"aGk="}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rec, err := decodeRecord(tt.data); err == nil {
				t.Errorf("decodeRecord(%v) = %+v, nil; want an error", tt.data, rec)
			}
		})
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(`{"v":["aGk="],"n":2,"exp":"0"}`)
	f.Add(`{"tomb":true}`)
	f.Add(`{"v":["aGk="],"n":3,"exp":"0"}`)
	f.Add(`{"v":[""],"n":0,"exp":"1000"}`)
	f.Add(`{"v":["aG","k="],"n":2,"exp":"1"}`)
	f.Fuzz(func(t *testing.T, s string) {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var data map[string]any
		if dec.Decode(&data) != nil {
			return
		}
		rec, err := decodeRecord(data)
		if err != nil || rec.tombstone {
			return
		}
		// Whatever decodes must be exactly what encodeRecord writes.
		again, err := decodeRecord(viaJSON(t, encodeRecord(rec.value, rec.expiry)))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if diff := cmp.Diff(rec, again, cmp.AllowUnexported(record{})); diff != "" {
			t.Errorf("round trip changed the record (-first +second):\n%s", diff)
		}
		if int64(len(rec.value)) != mustInt(t, data[fieldLength]) {
			t.Errorf("decoded %d bytes, record says %v", len(rec.value), data[fieldLength])
		}
	})
}

func mustInt(t *testing.T, v any) int64 {
	t.Helper()
	n, err := integer(v)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestExpired(t *testing.T) {
	now := time.Unix(100, 0)
	tests := []struct {
		name   string
		expiry int64
		want   bool
	}{
		{"no expiry", 0, false},
		{"future", now.UnixNano() + 1, false},
		{"exactly now", now.UnixNano(), true},
		{"past", now.UnixNano() - 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (record{expiry: tt.expiry}).expired(now); got != tt.want {
				t.Errorf("expired() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEncodeRecordChunks(t *testing.T) {
	tests := []struct {
		name       string
		size       int
		wantChunks []int
	}{
		{"empty", 0, []int{0}},
		{"small", 10, []int{16}},
		{"one full chunk", chunkSize / 4 * 3, []int{chunkSize}},
		{"one byte more", chunkSize/4*3 + 1, []int{chunkSize, 4}},
		{"1 MiB", 1 << 20, []int{chunkSize, chunkSize, 1<<20/3*4 + 4 - 2*chunkSize}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks := encodeRecord(make([]byte, tt.size), 0)[fieldValue].([]string)
			var got []int
			for _, c := range chunks {
				got = append(got, len(c))
			}
			if diff := cmp.Diff(tt.wantChunks, got); diff != "" {
				t.Errorf("chunk lengths (-want +got):\n%s", diff)
			}
		})
	}
}
