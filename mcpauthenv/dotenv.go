// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauthenv

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode"
)

// LoadFile reads a .env file and returns a lookup function for
// [FromLookup] that consults the process environment first (as it is
// when LoadFile is called) and the file second, as pydantic-settings
// does. Names are matched case-insensitively in both.
//
// The file has one NAME=value per line; blank lines and lines starting with
// # are ignored, and an "export " prefix is allowed. Values may be single-
// quoted (literal) or double-quoted (with \n, \t, \", \\ escapes), and
// quoted values may span lines, as PEM keys do. In an unquoted value, a #
// after white space starts a comment. Variable references are not
// expanded. A missing file is an error wrapping fs.ErrNotExist.
func LoadFile(path string) (func(string) (string, bool), error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mcpauthenv: reading env file: %w", err)
	}
	entries, err := parseEnvFile(data)
	if err != nil {
		return nil, fmt.Errorf("mcpauthenv: env file %s: %w", path, err)
	}
	file, err := envFold(entries)
	if err != nil {
		return nil, err
	}
	env, err := envFold(os.Environ())
	if err != nil {
		return nil, err
	}
	return func(name string) (string, bool) {
		if v, ok := env.lookup(name); ok {
			return v, true
		}
		return file.lookup(name)
	}, nil
}

// parseEnvFile parses .env content into "NAME=value" entries. Errors name
// the line, never the value.
func parseEnvFile(data []byte) ([]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		// Only the left is trimmed here: trailing space may be part of a
		// quoted value.
		line := strings.TrimLeftFunc(strings.TrimSuffix(sc.Text(), "\r"), unicode.IsSpace)
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "export"); ok && rest != "" && unicode.IsSpace(rune(rest[0])) {
			line = strings.TrimLeftFunc(rest, unicode.IsSpace)
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !envValidName(name) {
			return nil, fmt.Errorf("line %d: not NAME=value", lineNo)
		}
		value = strings.TrimLeftFunc(value, unicode.IsSpace)
		start := lineNo
		if value != "" && (value[0] == '"' || value[0] == '\'') {
			quote := value[0]
			body := value[1:]
			for {
				v, rest, closed := envCloseQuote(body, quote)
				if closed {
					rest = strings.TrimSpace(rest)
					if rest != "" && !strings.HasPrefix(rest, "#") {
						return nil, fmt.Errorf("line %d: text after the closing quote", lineNo)
					}
					value = v
					break
				}
				if !sc.Scan() {
					return nil, fmt.Errorf("line %d: unterminated quoted value", start)
				}
				lineNo++
				body += "\n" + strings.TrimSuffix(sc.Text(), "\r")
			}
		} else {
			for i := 1; i < len(value); i++ {
				if value[i] == '#' && unicode.IsSpace(rune(value[i-1])) {
					value = value[:i]
					break
				}
			}
			value = strings.TrimSpace(value)
		}
		out = append(out, name+"="+value)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	return out, nil
}

// envCloseQuote finds the closing quote in s, decoding escapes for double
// quotes. It returns the value, the text after the quote and whether the
// quote was closed.
func envCloseQuote(s string, quote byte) (value, rest string, closed bool) {
	if quote == '\'' {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			return "", "", false
		}
		return s[:i], s[i+1:], true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), s[i+1:], true
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '"', '\\', '\'':
				b.WriteByte(s[i])
			default:
				b.WriteByte('\\')
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

func envValidName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		if !(r == '_' || r == '.' || r == '-' || unicode.IsLetter(r) || i > 0 && unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}
