// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonrpc

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDecodeObjectIntoMatchesDecodeObject checks that DecodeObjectInto
// accepts and refuses exactly what DecodeObject does and stores the same
// values under the renamed keys.
func TestDecodeObjectIntoMatchesDecodeObject(t *testing.T) {
	inputs := []string{
		``, `null`, `{}`, `{"a":1,"b":"x","c":[1,{"d":null}],"e":{"f":true}}`,
		`{"\u0061":2}`, `{"a":1,"a":2}`, `{"a":1,"A":2}`, `[1]`, `"s"`, `{"a":}`, `{"a":{"b":1,"b":2}}`,
	}
	for _, in := range inputs {
		want, wantErr := DecodeObject(json.RawMessage(in))
		got := map[string]any{"keep": "me"}
		n, err := DecodeObjectInto(json.RawMessage(in), got, func(k []byte) (string, error) { return "arg_" + string(k), nil })
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%s: err %v, DecodeObject err %v", in, err, wantErr)
			continue
		}
		if err != nil {
			continue
		}
		renamed := map[string]any{"keep": "me"}
		for k, v := range want {
			renamed["arg_"+k] = v
		}
		if diff := cmp.Diff(renamed, got); diff != "" || n != len(want) {
			t.Errorf("%s: n=%d (want %d), map (-want +got):\n%s", in, n, len(want), diff)
		}
	}
	// ArgumentsInto on a decoded message gives the same as DecodeObjectInto.
	msgs, _, err := Decode([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"a":1,"b":{"c":[true,null]},"d":"x"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{}
	if _, err := DecodeObjectInto(msgs[0].Arguments, want, func(k []byte) (string, error) { return "p_" + string(k), nil }); err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	if n, err := msgs[0].ArgumentsInto(got, func(k []byte) (string, error) { return "p_" + string(k), nil }); err != nil || n != 3 {
		t.Fatalf("ArgumentsInto: n=%d, err %v", n, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ArgumentsInto (-DecodeObjectInto +got):\n%s", diff)
	}
	stop := errors.New("stop")
	if _, err := DecodeObjectInto(json.RawMessage(`{"x":1}`), map[string]any{}, func([]byte) (string, error) { return "", stop }); !errors.Is(err, stop) {
		t.Errorf("name error = %v, want it returned", err)
	}
}
