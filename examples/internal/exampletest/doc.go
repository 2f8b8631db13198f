// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package exampletest holds the helpers the examples' tests share: starting
// an example on a free loopback port and driving it with the go-sdk client.
package exampletest
