// The release tool: builds a module proxy from the working tree and checks
// that every published module installs and runs from it the way a user's
// `go get` would. It is its own module, never published, so that
// golang.org/x/mod is not a requirement of github.com/mcpauth/mcpauth.
module github.com/mcpauth/mcpauth/tools/release

go 1.26.0

require golang.org/x/mod v0.37.0
