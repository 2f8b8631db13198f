// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package jsonrpc

import (
	"fmt"
	"strings"
	"testing"
)

// smallCall is a typical small tools/call body (about 100 bytes).
const smallCall = `{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"get_weather","arguments":{"city":"Paris"}}}`

// largeCall returns a tools/call body whose arguments are about 16 KiB:
// nested objects, arrays, numbers and escaped strings.
func largeCall() []byte {
	var b strings.Builder
	b.WriteString(`{"jsonrpc":"2.0","id":"req-7","method":"tools/call","params":{"name":"bulk_import","arguments":{`)
	for i := 0; b.Len() < 16<<10; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"field_%d":{"id":%d,"label":"row \"%d\" caf\u00e9","tags":["a","b","c"],"score":%d.5,"ok":true}`, i, i, i, i)
	}
	b.WriteString(`}}}`)
	return []byte(b.String())
}

// batchBody returns a batch of n small tools/call messages.
func batchBody(n int) []byte {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strings.Replace(smallCall, `"id":42`, fmt.Sprintf(`"id":%d`, i), 1)
	}
	return []byte("[" + strings.Join(parts, ",") + "]")
}

func BenchmarkDecode(b *testing.B) {
	for _, bc := range []struct {
		name string
		body []byte
	}{
		{"small_tools_call", []byte(smallCall)},
		{"16KiB_arguments", largeCall()},
		{"batch_10", batchBody(10)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if _, _, err := Decode(bc.body); err != nil {
				b.Fatalf("Decode: %v", err)
			}
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Decode(bc.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeObject(b *testing.B) {
	msgs, _, err := Decode([]byte(smallCall))
	if err != nil {
		b.Fatal(err)
	}
	args := msgs[0].Arguments
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeObject(args); err != nil {
			b.Fatal(err)
		}
	}
}
