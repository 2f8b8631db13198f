module github.com/mcpauth/mcpauth/repository/pangeavault

go 1.25.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/mcpauth/mcpauth v0.0.0
)

replace github.com/mcpauth/mcpauth => ../..
