// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Command apicount counts the exported API of the Go package in dir (arg 1):
// top-level consts, vars, funcs, types, methods on exported types, and the
// exported fields of structs whose name ends in "Options" or is "Limits".
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"sort"
	"strings"
)

func main() {
	dir := os.Args[1]
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		panic(err)
	}
	n := map[string]int{}
	fields := map[string]int{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if !d.Name.IsExported() {
						continue
					}
					if d.Recv == nil {
						n["func"]++
						continue
					}
					t := d.Recv.List[0].Type
					if s, ok := t.(*ast.StarExpr); ok {
						t = s.X
					}
					if id, ok := t.(*ast.Ident); ok && id.IsExported() {
						n["method"]++
					}
				case *ast.GenDecl:
					for _, s := range d.Specs {
						switch s := s.(type) {
						case *ast.ValueSpec:
							for _, id := range s.Names {
								if id.IsExported() {
									n[d.Tok.String()]++
								}
							}
						case *ast.TypeSpec:
							if !s.Name.IsExported() {
								continue
							}
							n["type"]++
							st, ok := s.Type.(*ast.StructType)
							if !ok || !(strings.HasSuffix(s.Name.Name, "Options") || s.Name.Name == "Limits") {
								continue
							}
							for _, fl := range st.Fields.List {
								for _, id := range fl.Names {
									if id.IsExported() {
										fields[s.Name.Name]++
									}
								}
							}
						}
					}
				}
			}
		}
	}
	top := n["const"] + n["var"] + n["func"] + n["type"]
	fmt.Printf("exported top-level names: %d (const %d, var %d, func %d, type %d); methods %d\n", top, n["const"], n["var"], n["func"], n["type"], n["method"])
	var names []string
	tot := 0
	for k, v := range fields {
		names = append(names, fmt.Sprintf("%s=%d", k, v))
		tot += v
	}
	sort.Strings(names)
	fmt.Printf("option fields: %d in %d structs (%s)\n", tot, len(fields), strings.Join(names, " "))
}
