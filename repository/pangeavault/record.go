// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavault

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxSecretLength is the most characters (code points) a Pangea Vault
// secret holds: the maxLength of vault-req-secret, the secret of
// POST /v2/secret/store, in the Vault OpenAPI specification the Pangea
// SDKs test against (pangeacyber/pangea-python,
// packages/pangea-sdk/tests/testdata/specs/vault.openapi.json). A record,
// envelope included, must fit in it.
const MaxSecretLength = 10240

// MaxValueSize is the size in bytes of the largest value that always fits
// in a record, whatever its bytes and expiry: a value that is not JSON is
// stored in base64 (4 characters per 3 bytes) next to at most 40
// characters of envelope. JSON values are stored as they are and fit up to
// about 10,200 bytes.
const MaxValueSize = 7650

// namePrefix starts the Vault item name of every key this package stores.
const namePrefix = "mcpauth_"

// nameEncoding is lower-case base32 without padding: only [a-z2-7], so
// names survive any name rule and case-insensitive matching.
var nameEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// EncodeName returns the Vault item name that holds key: namePrefix
// followed by the key's bytes in lower-case, unpadded base32.
func EncodeName(key string) string {
	return namePrefix + nameEncoding.EncodeToString([]byte(key))
}

// DecodeName returns the key an item name holds, and false if the name was
// not made by [EncodeName].
func DecodeName(name string) (string, bool) {
	enc, ok := strings.CutPrefix(name, namePrefix)
	if !ok {
		return "", false
	}
	b, err := nameEncoding.DecodeString(enc)
	if err != nil || nameEncoding.EncodeToString(b) != enc {
		return "", false
	}
	return string(b), true
}

// recordVersion is the "mcpauth" field of the record envelope.
const recordVersion = 1

// encodeRecord builds the secret stored in Vault:
//
//	{"mcpauth":1,"exp":<unix ms>,"v":<value>}   value is compact-safe JSON
//	{"mcpauth":1,"exp":<unix ms>,"b":"<base64>"} any other bytes
//
// "exp" is omitted when the record never expires. A JSON value is embedded
// as it is (readable in the Pangea console) when it is valid UTF-8 JSON
// without surrounding whitespace, so it decodes back byte for byte.
func encodeRecord(value []byte, exp time.Time) string {
	buf := make([]byte, 0, len(value)+48)
	buf = append(buf, `{"mcpauth":`...)
	buf = strconv.AppendInt(buf, recordVersion, 10)
	if !exp.IsZero() {
		buf = append(buf, `,"exp":`...)
		buf = strconv.AppendInt(buf, exp.UnixMilli(), 10)
	}
	if embeddable(value) {
		buf = append(buf, `,"v":`...)
		buf = append(buf, value...)
	} else {
		buf = append(buf, `,"b":"`...)
		buf = base64.StdEncoding.AppendEncode(buf, value)
		buf = append(buf, '"')
	}
	buf = append(buf, '}')
	return string(buf)
}

func embeddable(v []byte) bool {
	return len(v) > 0 && len(bytes.TrimSpace(v)) == len(v) && utf8.Valid(v) && json.Valid(v)
}

// record is a decoded envelope.
type record struct {
	value []byte
	exp   time.Time // zero: never
}

func (r record) expired(now time.Time) bool {
	return !r.exp.IsZero() && now.UnixMilli() >= r.exp.UnixMilli()
}

var errNotRecord = errors.New("not a record envelope")

func decodeRecord(secret string) (record, error) {
	var env struct {
		Version *int            `json:"mcpauth"`
		Exp     int64           `json:"exp"`
		V       json.RawMessage `json:"v"`
		B       *string         `json:"b"`
	}
	if err := json.Unmarshal([]byte(secret), &env); err != nil {
		return record{}, errNotRecord
	}
	if env.Version == nil || *env.Version != recordVersion || (env.V == nil) == (env.B == nil) {
		return record{}, errNotRecord
	}
	var r record
	if env.Exp != 0 {
		r.exp = time.UnixMilli(env.Exp)
	}
	if env.V != nil {
		r.value = env.V
		return r, nil
	}
	b, err := base64.StdEncoding.DecodeString(*env.B)
	if err != nil {
		return record{}, errNotRecord
	}
	r.value = b
	return r, nil
}
