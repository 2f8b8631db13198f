// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package policy

import (
	_ "embed"
	"sync"
)

//go:embed demo.json
var demoJSON []byte

// DemoJSON returns the source of the demo policy, for writing it to a file
// as a starting point.
func DemoJSON() []byte { return append([]byte(nil), demoJSON...) }

var demo = sync.OnceValue(func() *Policy {
	p, err := Parse("demo.json", demoJSON)
	if err != nil {
		// demo.json is embedded at build time and covered by tests.
		panic(err)
	}
	return p
})

// Demo returns the shipped demo policy, which reproduces the policy of
// permit-fastmcp's example server: users "admin" (role Admin: every tool)
// and "client" (role Client: greet, login and tools/list, and
// conditional-greet only when its number argument is greater than 10),
// plus "unknown" (role Guest: login only). See demo.json for the
// reasoning. The returned policy is shared and immutable.
func Demo() *Policy { return demo() }
