package datasets

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"runtime"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

var parquetMagic = []byte("PAR1")

// readParquetFile decodes every row of the parquet file at path.
func readParquetFile(ctx context.Context, path string) ([]Doc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeParquet(ctx, data)
}

// decodeParquet decodes a whole parquet file held in memory. The rows are
// built from the schema stored in the file, so any Hub dataset decodes
// without a Go type for it. Files are read whole: the Hub's conversion
// writes shards of at most a few hundred MB, and reading from memory is what
// makes a split load in milliseconds.
func decodeParquet(ctx context.Context, data []byte) (docs []Doc, err error) {
	if len(data) < 12 || !bytes.Equal(data[:4], parquetMagic) {
		return nil, errors.New("not a parquet file (bad magic)")
	}
	if !bytes.Equal(data[len(data)-4:], parquetMagic) {
		return nil, errors.New("truncated parquet file (no footer magic)")
	}
	if err := checkFooter(data); err != nil {
		return nil, err
	}
	// parquet-go panics on some malformed inputs (bad schemas, corrupt
	// pages); a bad file must be an error, not a crash.
	defer func() {
		if p := recover(); p != nil {
			docs, err = nil, fmt.Errorf("corrupt parquet file: %v", p)
		}
	}()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)),
		parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("corrupt parquet file: %w", err)
	}
	fields, err := compileSchema(f.Root())
	if err != nil {
		return nil, err
	}
	n := f.NumRows()
	// A row costs at least a bit in any real file; a larger count comes from
	// a corrupt footer and would make the allocations below enormous.
	if n < 0 || n > 8*int64(len(data))+1024 {
		return nil, fmt.Errorf("corrupt parquet file: footer claims %d rows in %d bytes", n, len(data))
	}
	// Columns are filled field by field, then transposed into rows, so that
	// fields can be decoded in parallel without sharing a map.
	cols := make([][]any, len(fields))
	for i := range cols {
		cols[i] = make([]any, n)
	}
	base := 0
	for gi, rg := range f.RowGroups() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows := int(rg.NumRows())
		if rows < 0 || base+rows > int(n) {
			return nil, fmt.Errorf("corrupt parquet file: row group %d holds %d rows past the file's %d", gi, rows, n)
		}
		chunks := rg.ColumnChunks()
		err := forEachParallel(len(fields), func(i int) error {
			return fields[i].fill(chunks, cols[i][base:base+rows])
		})
		if err != nil {
			return nil, fmt.Errorf("row group %d: %w", gi, err)
		}
		base += rows
	}
	if base != int(n) {
		return nil, fmt.Errorf("corrupt parquet file: row groups hold %d rows, footer says %d", base, n)
	}
	docs = make([]Doc, n)
	for r := range docs {
		d := make(Doc, len(fields))
		for i, fd := range fields {
			d[fd.name] = cols[i][r]
		}
		docs[r] = d
	}
	return docs, nil
}

// forEachParallel runs fn(0..n-1) on up to GOMAXPROCS goroutines and returns
// the first error. A panic in fn is turned into an error.
func forEachParallel(n int, fn func(int) error) error {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			if err := callRecover(fn, i); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
		errs = make([]error, n)
	)
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				errs[i] = callRecover(fn, i)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err // the first field's, so messages do not depend on scheduling
		}
	}
	return nil
}

func callRecover(fn func(int) error, i int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt parquet file: %v", p)
		}
	}()
	return fn(i)
}

type nodeKind uint8

const (
	kindLeaf nodeKind = iota
	kindStruct
	kindList
	kindMap // assembled as a list of {key, value} structs, then converted
)

// node is one value position of the decoded row: a leaf, a struct or a
// list. Lists fold parquet's LIST group and its repeated child into one node.
type node struct {
	kind nodeKind
	name string
	// def is the definition level from which this value is non-null.
	def int
	// Lists and maps: rep is the repetition level of the repeated parquet
	// node, elemDef the definition level from which the list holds at least
	// one element, elem the element.
	rep     int
	elemDef int
	elem    *node
	// Structs.
	fields []*node
	// Leaves.
	col  int
	conv func(parquet.Value) any
	text bool // byte-array values decoded as strings
	// hasMap: a map node is at or below this node, so values need a final
	// conversion pass.
	hasMap bool
}

// topField is one top-level column of the rows with the leaf paths that
// fill it.
type topField struct {
	name   string
	root   *node
	leaves [][]*node // each path runs from root to a leaf
	maxRep int
}

func compileSchema(root *parquet.Column) ([]*topField, error) {
	var out []*topField
	for _, c := range root.Columns() {
		n, err := compileNode(c, 0, 0)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", c.Name(), err)
		}
		tf := &topField{name: c.Name(), root: n}
		collectLeaves(n, nil, &tf.leaves)
		for _, p := range tf.leaves {
			for _, x := range p {
				if x.kind == kindList || x.kind == kindMap {
					tf.maxRep = max(tf.maxRep, x.rep)
				}
			}
		}
		out = append(out, tf)
	}
	return out, nil
}

func collectLeaves(n *node, path []*node, out *[][]*node) {
	path = append(path[:len(path):len(path)], n)
	switch n.kind {
	case kindLeaf:
		*out = append(*out, path)
	case kindStruct:
		for _, f := range n.fields {
			collectLeaves(f, path, out)
		}
	case kindList, kindMap:
		collectLeaves(n.elem, path, out)
	}
}

// compileNode builds the node for parquet column c whose parent sits at
// definition level def and repetition level rep.
func compileNode(c *parquet.Column, def, rep int) (*node, error) {
	if c.Repeated() {
		// A repeated field outside a LIST annotation is a list of itself.
		elem, err := compileElement(c, def+1, rep+1)
		if err != nil {
			return nil, err
		}
		return &node{kind: kindList, name: c.Name(), def: def, rep: rep + 1, elemDef: def + 1, elem: elem, hasMap: elem.hasMap}, nil
	}
	if c.Optional() {
		def++
	}
	return compileElement(c, def, rep)
}

// compileElement builds the node for c's value, ignoring c's own repetition;
// def and rep already account for c.
func compileElement(c *parquet.Column, def, rep int) (*node, error) {
	if c.Leaf() {
		conv, err := converterFor(c)
		if err != nil {
			return nil, err
		}
		k := c.Type().Kind()
		text := (k == parquet.ByteArray || k == parquet.FixedLenByteArray) && !isDecimal(c)
		return &node{kind: kindLeaf, name: c.Name(), def: def, col: c.Index(), conv: conv, text: text}, nil
	}
	children := c.Columns()
	if lt := c.Type().LogicalType(); lt != nil {
		switch lt.Value.(type) {
		case *format.ListType:
			return compileList(c, def, rep)
		case *format.MapType:
			n, err := compileList(c, def, rep)
			if err != nil {
				return nil, err
			}
			if n.elem.kind != kindStruct || len(n.elem.fields) != 2 {
				return nil, fmt.Errorf("MAP group %q is not a list of key/value pairs", c.Name())
			}
			n.kind = kindMap
			n.hasMap = true
			return n, nil
		}
	}
	if len(children) == 0 {
		return nil, fmt.Errorf("group %q has no fields", c.Name())
	}
	n := &node{kind: kindStruct, name: c.Name(), def: def}
	for _, ch := range children {
		f, err := compileNode(ch, def, rep)
		if err != nil {
			return nil, err
		}
		n.fields = append(n.fields, f)
		n.hasMap = n.hasMap || f.hasMap
	}
	return n, nil
}

// compileList handles a LIST (or MAP) annotated group c, present from
// definition level def. Both the standard 3-level layout
// (group (LIST) { repeated group list { element } }) and the legacy 2-level
// ones (group (LIST) { repeated T element }) are read, following the
// backward-compatibility rules of the parquet format spec.
func compileList(c *parquet.Column, def, rep int) (*node, error) {
	children := c.Columns()
	if len(children) != 1 || !children[0].Repeated() {
		return nil, fmt.Errorf("LIST group %q must have one repeated child", c.Name())
	}
	r := children[0]
	rdef, rrep := def+1, rep+1
	var (
		elem *node
		err  error
	)
	inner := r.Columns()
	threeLevel := !r.Leaf() && len(inner) == 1 &&
		r.Name() != "array" && r.Name() != c.Name()+"_tuple"
	if mt := c.Type().LogicalType(); mt != nil {
		if _, ok := mt.Value.(*format.MapType); ok {
			threeLevel = false // the repeated key_value group is the element
		}
	}
	if threeLevel {
		elem, err = compileNode(inner[0], rdef, rrep)
	} else {
		elem, err = compileElement(r, rdef, rrep)
	}
	if err != nil {
		return nil, err
	}
	return &node{kind: kindList, name: c.Name(), def: def, rep: rrep, elemDef: rdef, elem: elem, hasMap: elem.hasMap}, nil
}

// fill decodes this field for the rows of one row group into out.
func (tf *topField) fill(chunks []parquet.ColumnChunk, out []any) error {
	for _, path := range tf.leaves {
		leaf := path[len(path)-1]
		if leaf.col < 0 || leaf.col >= len(chunks) {
			return fmt.Errorf("column %q: leaf %d missing from row group", tf.name, leaf.col)
		}
		if err := tf.fillLeaf(chunks[leaf.col], path, out); err != nil {
			return fmt.Errorf("column %q: %w", tf.name, err)
		}
	}
	if tf.root.hasMap {
		for i, v := range out {
			out[i] = finishMaps(tf.root, v)
		}
	}
	return nil
}

// fillLeaf reads one leaf column chunk and places each value in the rows,
// creating the structs and lists on its path (Dremel record assembly). Leaves
// that share a struct or list find it by position: idx holds the index of
// the current element at each repetition level.
func (tf *topField) fillLeaf(chunk parquet.ColumnChunk, path []*node, out []any) error {
	pages := chunk.Pages()
	defer pages.Close()
	a := assembler{path: path, idx: make([]int, tf.maxRep+1), row: -1, conv: leafConverter(path[len(path)-1])}
	buf := make([]parquet.Value, 1024)
	for {
		page, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		vr := page.Values()
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				if err := a.put(out, v); err != nil {
					parquet.Release(page)
					return err
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				parquet.Release(page)
				return err
			}
			if n == 0 {
				parquet.Release(page)
				return io.ErrNoProgress
			}
		}
		parquet.Release(page)
	}
	if a.row != len(out)-1 {
		return fmt.Errorf("leaf column %d holds %d rows, row group has %d", path[len(path)-1].col, a.row+1, len(out))
	}
	return nil
}

type assembler struct {
	path []*node
	idx  []int
	row  int
	conv func(parquet.Value) any
}

// leafConverter returns the leaf's converter, wrapped for text columns so
// that short values that repeat (subjects, answer letters, labels) share one
// string and one interface value instead of allocating per row.
func leafConverter(leaf *node) func(parquet.Value) any {
	if !leaf.text {
		return leaf.conv
	}
	const maxLen, maxEntries = 32, 1024
	seen := make(map[string]any)
	return func(v parquet.Value) any {
		b := v.ByteArray()
		if len(b) > maxLen {
			return string(b)
		}
		if x, ok := seen[string(b)]; ok {
			return x
		}
		var x any = string(b)
		if len(seen) < maxEntries {
			seen[string(b)] = x
		}
		return x
	}
}

var errBadLevels = errors.New("corrupt parquet file: repetition levels out of order")

func (a *assembler) put(out []any, v parquet.Value) error {
	r, d := v.RepetitionLevel(), v.DefinitionLevel()
	if r == 0 {
		a.row++
		if a.row >= len(out) {
			return fmt.Errorf("corrupt parquet file: more rows in leaf column %d than in row group", v.Column())
		}
	} else if a.row < 0 || r >= len(a.idx) {
		return errBadLevels
	}
	for l := max(r, 1); l < len(a.idx); l++ {
		if l == r {
			a.idx[l]++
		} else {
			a.idx[l] = 0
		}
	}
	var err error
	out[a.row], err = a.assign(0, out[a.row], d, v)
	return err
}

// assign returns the value at path position i after placing v in it;
// cur is the value already there (nil if none).
func (a *assembler) assign(i int, cur any, d int, v parquet.Value) (any, error) {
	n := a.path[i]
	if d < n.def {
		return nil, nil
	}
	switch n.kind {
	case kindLeaf:
		return a.conv(v), nil
	case kindStruct:
		m, _ := cur.(map[string]any)
		if m == nil {
			m = make(map[string]any, len(n.fields))
		}
		child := a.path[i+1]
		x, err := a.assign(i+1, m[child.name], d, v)
		if err != nil {
			return nil, err
		}
		m[child.name] = x
		return m, nil
	default: // list or map
		l, _ := cur.([]any)
		if l == nil {
			l = []any{}
		}
		if d < n.elemDef {
			return l, nil
		}
		k := a.idx[n.rep]
		switch {
		case k == len(l):
			l = append(l, nil)
		case k > len(l):
			return nil, errBadLevels
		}
		x, err := a.assign(i+1, l[k], d, v)
		if err != nil {
			return nil, err
		}
		l[k] = x
		return l, nil
	}
}

// finishMaps turns the key/value lists of MAP columns into maps keyed by
// the key's text.
func finishMaps(n *node, v any) any {
	if v == nil || !n.hasMap {
		return v
	}
	switch n.kind {
	case kindStruct:
		m := v.(map[string]any)
		for _, f := range n.fields {
			m[f.name] = finishMaps(f, m[f.name])
		}
		return m
	case kindList:
		l := v.([]any)
		for i := range l {
			l[i] = finishMaps(n.elem, l[i])
		}
		return l
	case kindMap:
		l := v.([]any)
		m := make(map[string]any, len(l))
		kf, vf := n.elem.fields[0], n.elem.fields[1]
		for _, e := range l {
			kv, _ := e.(map[string]any)
			if kv == nil {
				continue
			}
			key := kv[kf.name]
			ks, ok := key.(string)
			if !ok {
				ks = fmt.Sprint(key)
			}
			m[ks] = finishMaps(vf, kv[vf.name])
		}
		return m
	}
	return v
}

// converterFor picks how the values of leaf column c become Go values:
// strings and other byte arrays → string, integers → int64, floats →
// float64, booleans → bool, decimals → float64. Dates and timestamps stay
// the integers the file stores (days, or units since the epoch); INT96
// timestamps become nanoseconds since the epoch.
func converterFor(c *parquet.Column) (func(parquet.Value) any, error) {
	t := c.Type()
	var lt format.LogicalTypeValue
	if l := t.LogicalType(); l != nil {
		lt = l.Value
	}
	if dec, ok := lt.(*format.DecimalType); ok {
		scale := int(dec.Scale)
		return func(v parquet.Value) any { return decimalValue(v, scale) }, nil
	}
	unsigned := false
	if it, ok := lt.(*format.IntType); ok && !it.IsSigned {
		unsigned = true
	}
	switch t.Kind() {
	case parquet.Boolean:
		return func(v parquet.Value) any { return v.Boolean() }, nil
	case parquet.Int32:
		if unsigned {
			return func(v parquet.Value) any { return int64(v.Uint32()) }, nil
		}
		return func(v parquet.Value) any { return int64(v.Int32()) }, nil
	case parquet.Int64:
		if unsigned {
			return func(v parquet.Value) any {
				u := v.Uint64()
				if u > math.MaxInt64 {
					return float64(u)
				}
				return int64(u)
			}, nil
		}
		return func(v parquet.Value) any { return v.Int64() }, nil
	case parquet.Int96:
		return func(v parquet.Value) any {
			x := v.Int96()
			nanos := int64(uint64(x[1])<<32 | uint64(x[0]))
			days := int64(x[2]) - 2440588 // Julian day of 1970-01-01
			return days*86400e9 + nanos
		}, nil
	case parquet.Float:
		return func(v parquet.Value) any { return float64(v.Float()) }, nil
	case parquet.Double:
		return func(v parquet.Value) any { return v.Double() }, nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return func(v parquet.Value) any { return string(v.ByteArray()) }, nil
	}
	return nil, fmt.Errorf("leaf %q: unsupported parquet type %v", c.Name(), t)
}

func isDecimal(c *parquet.Column) bool {
	lt := c.Type().LogicalType()
	if lt == nil {
		return false
	}
	_, ok := lt.Value.(*format.DecimalType)
	return ok
}

func decimalValue(v parquet.Value, scale int) any {
	var unscaled float64
	switch v.Kind() {
	case parquet.Int32:
		unscaled = float64(v.Int32())
	case parquet.Int64:
		unscaled = float64(v.Int64())
	default:
		b := v.ByteArray()
		if len(b) <= 8 {
			var x int64
			if len(b) > 0 && b[0]&0x80 != 0 {
				x = -1
			}
			var buf [8]byte
			for i := range buf {
				buf[i] = byte(x)
			}
			copy(buf[8-len(b):], b)
			unscaled = float64(int64(binary.BigEndian.Uint64(buf[:])))
		} else {
			x := new(big.Int).SetBytes(b)
			if b[0]&0x80 != 0 {
				x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
			}
			unscaled, _ = new(big.Float).SetInt(x).Float64()
		}
	}
	return unscaled / math.Pow10(scale)
}
