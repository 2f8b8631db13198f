// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
	"github.com/mcpauth/mcpauth"
)

// kinds of template nodes.
const (
	kindLiteral = iota
	kindExpr
	kindObject
	kindArray
	kindServerID // $token.aud in a default mapping: the server's identifier
)

// node is a compiled mapping value: a literal, a CEL expression, or an
// object or array of nodes.
type node struct {
	kind int
	lit  any
	src  string      // the expression, with its "$"
	prg  cel.Program // with runtime cost tracking
	path *selectPath // set when the expression is a plain selection path
	// fast is prg without runtime cost tracking, set when the expression's
	// estimated worst-case cost is within the cost limit as long as every
	// value at the sized paths has at most maxSize elements, bytes or
	// entries (see untracked).
	fast    cel.Program
	sized   [][]string
	maxSize int
	// choice evaluates fast without the interpreter, for the inputs it
	// handles; set only with fast.
	choice *choice
	keys   []string // object members, sorted
	fields []*node
	items  []*node
}

// compiler compiles mapping values into nodes with one CEL environment.
type compiler struct {
	env      *cel.Env
	cost     uint64
	maxExprs int
	exprs    int  // expressions compiled so far for the current mapping
	defaults bool // compiling a default mapping: "$token.aud" is the server id
}

func newEnv(maxExprBytes int) (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("params", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("token", cel.MapType(cel.StringType, cel.DynType)),
		cel.CustomTypeAdapter(jsonAdapter{}),
		cel.OptionalTypes(),
		cel.CrossTypeNumericComparisons(true),
		ext.Strings(),
		cel.ParserExpressionSizeLimit(maxExprBytes),
		cel.ParserRecursionLimit(32),
	)
}

// jsonAdapter lets CEL read decoded JSON as it is, without copying:
// json.Number (how the middleware decodes arguments and JWT claims) is a
// double, as CEL reads JSON numbers, and maps and lists are wrapped so that
// their elements are converted the same way when read.
type jsonAdapter struct{}

func (jsonAdapter) NativeToValue(v any) ref.Val {
	switch v := v.(type) {
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return types.Double(f)
		}
		return types.String(v)
	case map[string]any:
		return types.NewStringInterfaceMap(jsonAdapter{}, v)
	case []any:
		return types.NewDynamicList(jsonAdapter{}, v)
	}
	return types.DefaultTypeAdapter.NativeToValue(v)
}

// vars is the CEL activation of one request: the two input variables. It
// is built only when an expression needs the interpreter. params is a
// map[string]any or, for a tools/call whose arguments the middleware
// decoded, a *toolParams.
type vars struct {
	params any
	token  map[string]any
}

func (a *vars) ResolveName(name string) (any, bool) {
	switch name {
	case "params":
		return a.params, true
	case "token":
		return a.token, true
	}
	return nil, false
}

func (a *vars) Parent() interpreter.Activation { return nil }

// compile compiles a decoded JSON value.
func (c *compiler) compile(v any, path string) (*node, error) {
	switch v := v.(type) {
	case string:
		switch {
		case strings.HasPrefix(v, "$$"):
			return &node{kind: kindLiteral, lit: v[1:]}, nil
		case c.defaults && v == "$token.aud":
			return &node{kind: kindServerID, src: v}, nil
		case strings.HasPrefix(v, "$"):
			return c.expr(v, path)
		}
		return &node{kind: kindLiteral, lit: v}, nil
	case map[string]any:
		n := &node{kind: kindObject}
		for k := range v {
			n.keys = append(n.keys, k)
		}
		sort.Strings(n.keys)
		for _, k := range n.keys {
			f, err := c.compile(v[k], path+"."+k)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, f)
		}
		return n, nil
	case []any:
		n := &node{kind: kindArray}
		for i, e := range v {
			it, err := c.compile(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, it)
		}
		return n, nil
	}
	return &node{kind: kindLiteral, lit: v}, nil
}

func (c *compiler) expr(src, path string) (*node, error) {
	c.exprs++
	if c.exprs > c.maxExprs {
		return nil, fmt.Errorf("more than %d expressions", c.maxExprs)
	}
	ast, iss := c.env.Compile(src[1:])
	if iss != nil && iss.Err() != nil {
		return nil, fmt.Errorf("%s: expression '%s' does not compile: %v", path, src, iss.Err())
	}
	prg, err := c.env.Program(ast, cel.CostLimit(c.cost), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("%s: expression '%s': %v", path, src, err)
	}
	n := &node{kind: kindExpr, src: src, prg: prg, path: parsePath(src[1:])}
	if n.path == nil {
		n.fast, n.sized, n.maxSize = c.untracked(ast)
		if n.fast != nil {
			n.choice = newChoice(ast)
		}
	}
	return n, nil
}

// sizeHints are the size hints tried, largest first, when estimating an
// expression's cost.
var sizeHints = []uint64{4096, 1024, 256, 64, 16}

// untracked returns a program without runtime cost tracking when CEL's
// static cost estimate proves the expression stays within the cost limit:
// outright, or on the condition that the values at the returned paths (each
// a selection from params or token the estimate depends on) have at most
// maxSize elements, entries or bytes, which Map checks before each use
// (inputs.within). Runtime tracking is most of the interpreter's cost; the
// tracked program remains for inputs over the hint and for expressions the
// estimate cannot bound (a comprehension over a list's elements' sizes).
func (c *compiler) untracked(ast *cel.Ast) (cel.Program, [][]string, int) {
	for _, hint := range sizeHints {
		est := &sizeEstimator{max: hint}
		cost, err := c.env.EstimateCost(ast, est)
		if err != nil {
			return nil, nil, 0
		}
		if cost.Max <= c.cost {
			prg, err := c.env.Program(ast, cel.EvalOptions(cel.OptOptimize))
			if err != nil {
				return nil, nil, 0
			}
			return prg, est.paths, int(hint)
		}
		if len(est.paths) == 0 {
			break // no input size matters: smaller hints change nothing
		}
	}
	return nil, nil, 0
}

// sizeEstimator bounds the size of every value selected from params or
// token by plain field names, and records those paths. Elements of
// comprehensions ("@items", "@keys", "@values") get no bound: checking them
// would mean walking every element.
type sizeEstimator struct {
	max   uint64
	paths [][]string
}

func (e *sizeEstimator) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	path := n.Path()
	if len(path) == 0 || (path[0] != "params" && path[0] != "token") {
		return nil
	}
	for _, f := range path[1:] {
		if strings.HasPrefix(f, "@") {
			return nil
		}
	}
	if !slices.ContainsFunc(e.paths, func(p []string) bool { return slices.Equal(p, path) }) {
		e.paths = append(e.paths, slices.Clone(path))
	}
	return &checker.SizeEstimate{Min: 0, Max: e.max}
}

func (e *sizeEstimator) EstimateCallCost(function, overloadID string, target *checker.AstNode, args []checker.AstNode) *checker.CallEstimate {
	return nil
}

// selectPath is an expression that only selects fields, such as
// params.arguments.id or token.?client_id: the common case, evaluated
// without the CEL interpreter with CEL's semantics (TestSelectPathMatchesCEL).
type selectPath struct {
	root     string   // "params" or "token"
	fields   []string // selected in order
	optional bool     // the last selection is ".?": absent when missing
}

// parsePath recognizes root(.field)*(.?field)? with plain identifiers.
func parsePath(expr string) *selectPath {
	parts := strings.Split(expr, ".")
	if len(parts) < 2 || (parts[0] != "params" && parts[0] != "token") {
		return nil
	}
	p := &selectPath{root: parts[0]}
	for i, f := range parts[1:] {
		if strings.HasPrefix(f, "?") {
			if i != len(parts)-2 {
				return nil
			}
			f, p.optional = f[1:], true
		}
		if !isIdent(f) {
			return nil
		}
		p.fields = append(p.fields, f)
	}
	return p
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
		case i > 0 && c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return true
}

// eval selects the path's value as CEL would: a missing field fails, or
// is absent for the optional last selection; selecting in a value that is
// not a map fails. The value is the input's own (see jsonValue).
func (p *selectPath) eval(in *inputs) (any, bool, error) {
	var cur any
	start := 0
	switch {
	case p.root == "token":
		cur = in.token
	case p.fields[0] == "arguments" && in.r != nil && in.r.Method == mcpauth.MethodToolsCall && in.r.Arguments != nil:
		// The arguments the middleware decoded, without building params.
		cur, start = in.r.Arguments, 1
	default:
		params, err := in.paramsMap()
		if err != nil {
			return nil, false, err
		}
		cur = params
	}
	for i := start; i < len(p.fields); i++ {
		f := p.fields[i]
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, errors.New("no such overload")
		}
		v, ok := m[f]
		if !ok {
			if p.optional && i == len(p.fields)-1 {
				return nil, false, nil
			}
			return nil, false, fmt.Errorf("no such key: %s", f)
		}
		cur = v
	}
	return cur, true, nil
}

// requestString gives the value of p from the request's fields the
// middleware decoded, when it can: params.name of a tools/call (Name, as
// params holds it), and params.name or params.uri when Name or URI is set
// (the decoder sets them only to a present string member).
func (p *selectPath) requestString(in *inputs) (string, bool) {
	if p.root != "params" || len(p.fields) != 1 || p.optional || in.r == nil {
		return "", false
	}
	switch p.fields[0] {
	case "name":
		if in.r.Name != "" || in.r.Method == mcpauth.MethodToolsCall {
			return in.r.Name, true
		}
	case "uri":
		if in.r.URI != "" {
			return in.r.URI, true
		}
	}
	return "", false
}

// jsonValue converts a selected value as CEL reads it: json.Number is a
// double.
func jsonValue(v any, depth int) any {
	switch v := v.(type) {
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return f
		}
		return string(v)
	case map[string]any:
		if depth > maxJSONDepth {
			return nil
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = jsonValue(e, depth+1)
		}
		return out
	case []any:
		if depth > maxJSONDepth {
			return nil
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonValue(e, depth+1)
		}
		return out
	}
	return v
}

// inputs are what expressions see, for one request. What is costly is
// built on first use and kept for the request's other expressions: params
// (not at all when expressions only select tools/call arguments) and the
// CEL activation (not at all when every expression is a selection path).
type inputs struct {
	m     *Mapping // for the server identifier; nil in tests of expressions
	r     *mcpauth.Request
	token map[string]any

	params     map[string]any
	paramsErr  error
	paramsDone bool
	act        *vars

	// Whether the subject being resolved set id and type itself.
	hasSubjectID, hasSubjectType bool
}

// paramsMap returns the params input variable, decoding it on first use.
func (in *inputs) paramsMap() (map[string]any, error) {
	if !in.paramsDone {
		in.paramsDone = true
		in.params, in.paramsErr = paramsOf(in.r)
		if in.paramsErr != nil {
			in.paramsErr = fmt.Errorf("params: %v", in.paramsErr)
		}
	}
	return in.params, in.paramsErr
}

// activation returns the CEL activation, built on first use.
func (in *inputs) activation() (*vars, error) {
	if in.act == nil {
		if tp := in.toolParams(); tp != nil {
			in.act = &vars{params: tp, token: in.token}
			return in.act, nil
		}
		params, err := in.paramsMap()
		if err != nil {
			return nil, err
		}
		in.act = &vars{params: params, token: in.token}
	}
	return in.act, nil
}

// toolParams returns the params of a tools/call whose arguments the
// middleware decoded, for CEL, without building a map; nil otherwise.
func (in *inputs) toolParams() *toolParams {
	if in.r == nil || in.r.Method != mcpauth.MethodToolsCall || in.r.Arguments == nil || in.paramsDone {
		return nil
	}
	return &toolParams{name: in.r.Name, args: in.r.Arguments}
}

func (in *inputs) serverID() (string, error) {
	return in.m.serverID(in.token)
}

// within tells whether every value at paths has at most max elements,
// entries or bytes (a string's bytes bound its code points, CEL's size). A
// path that does not lead to a value has no size to exceed.
func (in *inputs) within(paths [][]string, max int) bool {
	for _, path := range paths {
		var cur any = in.token
		fields := path[1:]
		toolsCall := in.r != nil && in.r.Method == mcpauth.MethodToolsCall
		switch {
		case path[0] != "params":
		case len(fields) == 0 && toolsCall && in.r.Arguments != nil:
			if max < 2 { // name and arguments
				return false
			}
			continue
		case len(fields) > 0 && fields[0] == "name" && toolsCall:
			if len(fields) == 1 && len(in.r.Name) > max {
				return false
			}
			continue // a string: nothing to select in it
		case len(fields) > 0 && fields[0] == "arguments" && toolsCall && in.r.Arguments != nil:
			cur, fields = in.r.Arguments, fields[1:]
		default:
			params, err := in.paramsMap()
			if err != nil {
				return false
			}
			cur = params
		}
		for _, f := range fields {
			m, ok := cur.(map[string]any)
			if !ok {
				cur = nil
				break
			}
			cur = m[f]
		}
		switch v := cur.(type) {
		case string:
			if len(v) > max {
				return false
			}
		case map[string]any:
			if len(v) > max {
				return false
			}
		case []any:
			if len(v) > max {
				return false
			}
		}
	}
	return true
}

// run evaluates the CEL program of an expression node: the untracked
// program when its size conditions hold, else the cost-tracked one.
func (n *node) run(in *inputs) (ref.Val, error) {
	act, err := in.activation()
	if err != nil {
		return nil, err
	}
	prg := n.prg
	if n.fast != nil && in.within(n.sized, n.maxSize) {
		prg = n.fast
	}
	out, _, err := prg.Eval(act)
	return out, err
}

// eval resolves n. present is false when an optional expression yields
// nothing: the member holding it is left out.
func (n *node) eval(in *inputs) (v any, present bool, err error) {
	switch n.kind {
	case kindLiteral:
		return n.lit, true, nil
	case kindServerID:
		id, err := in.serverID()
		return id, err == nil, err
	case kindExpr:
		if n.path != nil {
			if s, ok := n.path.requestString(in); ok {
				return s, true, nil
			}
			v, present, err := n.path.eval(in)
			if err != nil {
				return nil, false, fmt.Errorf("expression '%s' failed: %v", n.src, err)
			}
			return jsonValue(v, 0), present, nil
		}
		if v, _, _, ok := n.choose(in); ok {
			return v, true, nil
		}
		out, err := n.run(in)
		if err != nil {
			return nil, false, fmt.Errorf("expression '%s' failed: %v", n.src, err)
		}
		v, present, err := fromCEL(out, 0)
		if err != nil {
			return nil, false, fmt.Errorf("expression '%s': %v", n.src, err)
		}
		return v, present, nil
	case kindObject:
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			v, ok, err := n.fields[i].eval(in)
			if err != nil {
				return nil, false, err
			}
			if ok {
				m[k] = v
			}
		}
		return m, true, nil
	default:
		a := make([]any, 0, len(n.items))
		for _, it := range n.items {
			v, ok, err := it.eval(in)
			if err != nil {
				return nil, false, err
			}
			if !ok {
				return nil, false, errors.New("an array element is absent")
			}
			a = append(a, v)
		}
		return a, true, nil
	}
}

// errNull and errNotString are the failures of evalString.
var (
	errNull      = errors.New("is missing or null")
	errNotString = errors.New("must be a string")
)

// evalString resolves n where a string is required, without boxing it: it
// gives what eval gives, and errNull for null or errNotString for any other
// value that is not a string.
func (n *node) evalString(in *inputs) (s string, present bool, err error) {
	var v any
	switch {
	case n.kind == kindLiteral:
		v, present = n.lit, true
	case n.kind == kindServerID:
		id, err := in.serverID()
		return id, err == nil, err
	case n.kind == kindExpr && n.path != nil:
		if s, ok := n.path.requestString(in); ok {
			return s, true, nil
		}
		if v, present, err = n.path.eval(in); err != nil {
			return "", false, fmt.Errorf("expression '%s' failed: %v", n.src, err)
		}
	case n.kind == kindExpr:
		if v, s, isStr, ok := n.choose(in); ok {
			switch {
			case isStr:
				return s, true, nil
			case v == nil:
				return "", true, errNull
			}
			return "", true, errNotString
		}
		out, err := n.run(in)
		if err != nil {
			return "", false, fmt.Errorf("expression '%s' failed: %v", n.src, err)
		}
		if o, ok := out.(*types.Optional); ok {
			if !o.HasValue() {
				return "", false, nil
			}
			out = o.GetValue()
		}
		if s, ok := out.(types.String); ok {
			return string(s), true, nil
		}
		if v, present, err = fromCEL(out, 0); err != nil {
			return "", false, fmt.Errorf("expression '%s': %v", n.src, err)
		}
	default:
		if v, present, err = n.eval(in); err != nil {
			return "", false, err
		}
	}
	if !present {
		return "", false, nil
	}
	switch v := v.(type) {
	case string:
		return v, true, nil
	case nil:
		return "", true, errNull
	}
	return "", true, errNotString
}

// fromCEL converts a CEL value to a JSON value. An empty optional is
// absent.
func fromCEL(v ref.Val, depth int) (any, bool, error) {
	if depth > maxJSONDepth {
		return nil, false, errors.New("value nested too deeply")
	}
	switch v := v.(type) {
	case *types.Optional:
		if !v.HasValue() {
			return nil, false, nil
		}
		return fromCEL(v.GetValue(), depth+1)
	case types.Bool:
		return bool(v), true, nil
	case types.String:
		return string(v), true, nil
	case types.Int:
		return int64(v), true, nil
	case types.Uint:
		return uint64(v), true, nil
	case types.Double:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false, errors.New("a number that JSON cannot hold")
		}
		return f, true, nil
	}
	if v.Type() == types.NullType {
		return nil, true, nil
	}
	if m, ok := v.(traits.Mapper); ok {
		out := map[string]any{}
		it := m.Iterator()
		for it.HasNext() == types.True {
			k := it.Next()
			ks, ok := k.(types.String)
			if !ok {
				return nil, false, errors.New("a map key that is not a string")
			}
			e, present, err := fromCEL(m.Get(k), depth+1)
			if err != nil {
				return nil, false, err
			}
			if present {
				out[string(ks)] = e
			}
		}
		return out, true, nil
	}
	if l, ok := v.(traits.Lister); ok {
		size, _ := l.Size().(types.Int)
		out := make([]any, 0, int(size))
		for i := types.Int(0); i < size; i++ {
			e, present, err := fromCEL(l.Get(i), depth+1)
			if err != nil {
				return nil, false, err
			}
			if !present {
				return nil, false, errors.New("a list element is absent")
			}
			out = append(out, e)
		}
		return out, true, nil
	}
	return nil, false, fmt.Errorf("a %s value, which is not JSON", v.Type().TypeName())
}

// toolParams is the params variable of a tools/call as CEL reads it: a map
// of name and arguments. Selecting either is read from the request as it
// is; anything else (iteration, size, equality, conversion) is answered by
// the map it stands for, built then.
type toolParams struct {
	name    string
	args    map[string]any
	argsVal ref.Val       // args for CEL, once read
	m       traits.Mapper // the map, once built
}

var _ traits.Mapper = (*toolParams)(nil)

func (p *toolParams) asMap() traits.Mapper {
	if p.m == nil {
		p.m = types.NewStringInterfaceMap(jsonAdapter{}, map[string]any{"name": p.name, "arguments": p.args})
	}
	return p.m
}

// Find selects name or arguments; any other key is looked up in the map.
func (p *toolParams) Find(key ref.Val) (ref.Val, bool) {
	switch key {
	case types.String("name"):
		return types.String(p.name), true
	case types.String("arguments"):
		if p.argsVal == nil {
			p.argsVal = jsonAdapter{}.NativeToValue(p.args)
		}
		return p.argsVal, true
	}
	return p.asMap().Find(key)
}

func (p *toolParams) Get(key ref.Val) ref.Val {
	if v, ok := p.Find(key); ok {
		return v
	}
	return p.asMap().Get(key)
}

func (p *toolParams) Contains(key ref.Val) ref.Val { return p.asMap().Contains(key) }
func (p *toolParams) Iterator() traits.Iterator    { return p.asMap().Iterator() }
func (p *toolParams) Size() ref.Val                { return p.asMap().Size() }
func (p *toolParams) Type() ref.Type               { return p.asMap().Type() }
func (p *toolParams) Value() any                   { return p.asMap().Value() }
func (p *toolParams) Equal(o ref.Val) ref.Val      { return p.asMap().Equal(o) }
func (p *toolParams) ConvertToType(t ref.Type) ref.Val {
	return p.asMap().ConvertToType(t)
}
func (p *toolParams) ConvertToNative(t reflect.Type) (any, error) {
	return p.asMap().ConvertToNative(t)
}
