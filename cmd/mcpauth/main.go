// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mcpauth/mcpauth/policy"
)

// Exit codes.
const (
	exitOK      = 0 // success; for explain, the request is allowed
	exitFailed  = 1 // an invalid policy; for explain, the request is denied
	exitUsage   = 2 // bad usage, or input that cannot be read
	programName = "mcpauth"
)

const usage = `usage:
  mcpauth policy check FILE    validate a policy file
  mcpauth policy demo          print the demo policy (a starting point)
  mcpauth policy serve [flags] serve a policy file as an AuthZEN PDP
  mcpauth explain [flags] [REQUEST_FILE | -]
                               show how a JSON-RPC request is authorized

Run "mcpauth explain -h" or "mcpauth policy serve -h" for their flags.

Exit codes: 0 success (explain: allowed), 1 invalid policy (explain: denied),
2 usage error or unreadable input.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole command, with its streams injected for tests.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "policy":
		return runPolicy(args[1:], stdout, stderr)
	case "explain":
		return runExplain(args[1:], stdin, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "%s: unknown command %q\n\n%s", programName, args[0], usage)
	return exitUsage
}

func runPolicy(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "check":
		if len(args) != 2 {
			fmt.Fprintf(stderr, "%s: policy check takes exactly one FILE\n\n%s", programName, usage)
			return exitUsage
		}
		return checkPolicy(args[1], stdout, stderr)
	case "demo":
		if len(args) != 1 {
			fmt.Fprintf(stderr, "%s: policy demo takes no arguments\n\n%s", programName, usage)
			return exitUsage
		}
		stdout.Write(policy.DemoJSON())
		return exitOK
	case "serve":
		return runServe(args[1:], os.Getenv, stdout, stderr)
	}
	fmt.Fprintf(stderr, "%s: unknown policy command %q\n\n%s", programName, args[0], usage)
	return exitUsage
}

// checkPolicy validates one policy file.
func checkPolicy(path string, stdout, stderr io.Writer) int {
	p, err := policy.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		var pe *policy.Error
		if errors.As(err, &pe) {
			return exitFailed
		}
		return exitUsage // the file could not be read
	}
	s := p.Stats()
	fmt.Fprintf(stdout, "%s: ok (%d resources, %d permissions, %d roles, %d users, %d condition sets, %d set rules)\n",
		path, s.Resources, s.Permissions, s.Roles, s.Users, s.ConditionSets, s.SetRules)
	warnPolicyCollisions(stderr, p, p.Resources())
	return exitOK
}

// newFlagSet returns a flag set that reports errors to stderr and never
// exits.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(programName+" "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
