// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxJSONDepth bounds the nesting of decoded JSON.
const maxJSONDepth = 64

// decodeStrict decodes one JSON value, refusing repeated member names at
// any depth, nesting beyond maxJSONDepth and trailing data. Numbers are
// json.Number values.
func decodeStrict(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := decodeValue(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func decodeValue(d *json.Decoder, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("JSON nested too deeply")
	}
	tok, err := d.Token()
	if err != nil {
		return nil, errors.New("malformed JSON")
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch delim {
	case '{':
		m := map[string]any{}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, errors.New("malformed JSON")
			}
			key, _ := k.(string)
			if _, dup := m[key]; dup {
				return nil, fmt.Errorf("member %q repeated", key)
			}
			if m[key], err = decodeValue(d, depth+1); err != nil {
				return nil, err
			}
		}
		if _, err := d.Token(); err != nil {
			return nil, errors.New("malformed JSON")
		}
		return m, nil
	case '[':
		a := []any{}
		for d.More() {
			v, err := decodeValue(d, depth+1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		if _, err := d.Token(); err != nil {
			return nil, errors.New("malformed JSON")
		}
		return a, nil
	}
	return nil, errors.New("malformed JSON")
}
