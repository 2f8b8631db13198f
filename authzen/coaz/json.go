// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz

import (
	"errors"
	"fmt"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

// maxJSONDepth bounds the nesting of decoded JSON.
const maxJSONDepth = 64

// decodeStrict decodes one JSON value with the shared scanner
// (jsonscan.Strict), refusing repeated member names at any depth, nesting
// of more than maxJSONDepth objects and arrays and trailing data. Numbers
// are json.Number values.
func decodeStrict(b []byte) (any, error) {
	v, err := jsonscan.Strict(b, maxJSONDepth)
	if err == nil {
		return v, nil
	}
	var rep *jsonscan.RepeatedNameError
	switch {
	case errors.As(err, &rep):
		return nil, fmt.Errorf("member %q repeated", rep.Name)
	case errors.Is(err, jsonscan.ErrTooDeep):
		return nil, errors.New("JSON nested too deeply")
	case errors.Is(err, jsonscan.ErrTrailing):
		return nil, errors.New("trailing data after the JSON value")
	}
	return nil, errors.New("malformed JSON")
}
