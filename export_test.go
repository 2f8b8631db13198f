// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"time"

	"github.com/mcpauth/mcpauth/internal/jwtpolicy"
)

// The unexported defaults, exposed to the external test package:
// envdefaults_test.go checks the defaults mcpauthenv's table documents
// against them.
const (
	DefaultResourcePrefix     = defaultResourcePrefix
	DefaultMaxBodyBytes       = defaultMaxBodyBytes
	DefaultDenyCode           = defaultDenyCode
	DefaultDenyMessage        = defaultDenyMessage
	DefaultIdentityHeader     = defaultIdentityHeader
	DefaultHeaderRegex        = defaultHeaderRegex
	DefaultJWTClaim           = defaultJWTClaim
	DefaultFixedUser          = defaultFixedUser
	DefaultCacheSize          = defaultCacheSize
	DefaultAllowTTL           = defaultAllowTTL
	DefaultDenyTTL            = defaultDenyTTL
	DefaultPDPTimeout         = defaultPDPTimeout
	DefaultJWTLeeway          = defaultJWTLeeway
	DefaultJWKSRefresh        = jwtpolicy.DefaultJWKSRefresh
	DefaultPermitPDPURL       = defaultPDPURL
	DefaultAuthZENSubjectType = defaultAuthZENSubjectType
	DefaultAuthZENMetadataTTL = defaultAuthZENMetadataTTL
)

// Normalize applies the defaults New applies to o.
func Normalize(o *Options) error { return normalize(o) }

// Settings of an AuthZEN authorizer after NewAuthZEN's defaults.
func (a *AuthZEN) APIKeyHeader() string       { return a.keyHeader }
func (a *AuthZEN) SubjectType() string        { return a.subjectType }
func (a *AuthZEN) MetadataTTL() time.Duration { return a.ttl }
func (a *AuthZEN) Timeout() time.Duration     { return a.timeout }

// Settings of a Permit authorizer after NewPermit's defaults.
func (p *Permit) PDPURL() string         { return p.pdpURL }
func (p *Permit) Timeout() time.Duration { return p.timeout }
