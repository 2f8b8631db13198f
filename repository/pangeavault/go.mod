module github.com/mcpauth/mcpauth/repository/pangeavault

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/mcpauth/mcpauth v0.1.0
)

replace github.com/mcpauth/mcpauth => ../..
