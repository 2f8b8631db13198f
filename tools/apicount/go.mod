module github.com/mcpauth/mcpauth/tools/apicount

go 1.26.0
