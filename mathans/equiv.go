package mathans

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Equiv reports whether two normalised answers denote the same value. It is
// parity's stand-in for lm-eval's is_equiv (SymPy parse_latex, then
// simplify(a-b) == 0). Answers are first split structurally: a bracketed
// comma list is a tuple or interval (brackets and elements must match in
// order), a bare comma list is a set of solutions (elements match in any
// order), a pmatrix is its rows. Each element is parsed as a LaTeX
// expression (numbers, \frac/\dfrac/\tfrac, \sqrt[n]{}, ^, \cdot, \times,
// \div, !, \binom, \pi, \infty, e, trig and log functions, implicit
// multiplication, single-letter variables, mixed numbers such as
// 2\frac{1}{2}, trailing \% and unit words) and the two are equal when
// they agree within 1e-9 relative at five fixed variable assignments.
// Anything that does not parse is not equal (as SymPy's parse failure is).
func Equiv(a, b string) bool {
	ea, ok := structure(a)
	if !ok {
		return false
	}
	eb, ok := structure(b)
	if !ok {
		return false
	}
	return ea.equal(eb)
}

// answer is a parsed answer: a single expression, or an ordered tuple /
// interval with its brackets, or an unordered list.
type answer struct {
	open, close byte // 0 for a single expression or a bare list
	items       []*node
	unordered   bool
	parts       []answer // the intervals of a union (open == 'U')
}

func (x answer) equal(y answer) bool {
	if x.open != y.open || x.close != y.close || len(x.items) != len(y.items) || x.unordered != y.unordered || len(x.parts) != len(y.parts) {
		return false
	}
	for i := range x.parts {
		if !x.parts[i].equal(y.parts[i]) {
			return false
		}
	}
	if !x.unordered {
		for i := range x.items {
			if !sameValue(x.items[i], y.items[i]) {
				return false
			}
		}
		return true
	}
	used := make([]bool, len(y.items))
outer:
	for _, xi := range x.items {
		for j, yj := range y.items {
			if !used[j] && sameValue(xi, yj) {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}

var (
	thousands  = regexp.MustCompile(`^-?\d{1,3}(,\d{3})+(\.\d+)?$`)
	spacingCmd = strings.NewReplacer(`\left`, "", `\right`, "", `\!`, "", `\,`, "", `\:`, "", `\;`, "", `\quad`, "", "~", "", " ", "", "\t", "", "\n", "",
		`\dfrac`, `\frac`, `\tfrac`, `\frac`, `\displaystyle`, "", `\lbrace`, `\{`, `\rbrace`, `\}`, `\lvert`, "|", `\rvert`, "|",
		`\begin{pmatrix}`, "(", `\end{pmatrix}`, ")", `\begin{bmatrix}`, "(", `\end{bmatrix}`, ")", `\\`, ",", "&", ",")
	// leRemnant is what normalize_final_answer leaves of "\left(" after it
	// deletes "ft": "\le(".
	leRemnant  = regexp.MustCompile(`\\le([(\[|.]|\\\{)`)
	loneRowSep = regexp.MustCompile(`\\([-0-9.])`)
	unitWord   = regexp.MustCompile(`^(.*?[0-9}])\\?(?:text\{)?[a-zA-Z]{2,}\}?(?:\^[23]|\^\{[23]\})?$`)
)

// structure splits an answer into its elements and parses each.
func structure(s string) (answer, bool) {
	s = leRemnant.ReplaceAllString(s, "$1")
	s = spacingCmd.Replace(s)
	// normalize_final_answer leaves "\iny" of "\infty" (it deletes "ft"),
	// a lone "\" of a matrix's "\\ " (it deletes "\ "), and "{}" from
	// its frac rewrite of "\frac1{2x}".
	s = strings.ReplaceAll(s, `\iny`, `\infty`)
	s = loneRowSep.ReplaceAllString(s, ",$1")
	s = strings.ReplaceAll(s, "{}", "")
	if strings.Contains(s, `\cup`) {
		return union(s)
	}
	if strings.Count(s, `\pm`) == 1 && !strings.Contains(s, ",") {
		// a\pm b is the solution set {a+b, a-b}.
		s = strings.Replace(s, `\pm`, "+", 1) + "," + strings.Replace(s, `\pm`, "-", 1)
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "."), `\%`)
	s = strings.TrimSuffix(s, "%")
	if s == "" {
		return answer{}, false
	}
	if thousands.MatchString(s) {
		s = strings.ReplaceAll(s, ",", "")
	}
	var ans answer
	if len(s) >= 2 && strings.ContainsRune("([", rune(s[0])) && strings.ContainsRune(")]", rune(s[len(s)-1])) && matchingClose(s, 0) == len(s)-1 {
		inner := s[1 : len(s)-1]
		if parts := splitTop(inner); len(parts) > 1 {
			ans.open, ans.close = s[0], s[len(s)-1]
			return ans.parse(parts)
		}
	}
	if strings.HasPrefix(s, `\{`) && strings.HasSuffix(s, `\}`) {
		s = s[2 : len(s)-2]
		ans.open, ans.close = '{', '}'
		ans.unordered = true
		return ans.parse(splitTop(s))
	}
	parts := splitTop(s)
	ans.unordered = len(parts) > 1
	return ans.parse(parts)
}

// union parses a union of intervals: each part must be an interval, and
// the parts match in order.
func union(s string) (answer, bool) {
	ans := answer{open: 'U'}
	for _, part := range strings.Split(s, `\cup`) {
		p, ok := structure(part)
		if !ok || p.open == 0 || p.open == 'U' || (p.open != '{' && len(p.items) != 2) {
			return answer{}, false
		}
		ans.parts = append(ans.parts, p)
	}
	return ans, true
}

func (ans answer) parse(parts []string) (answer, bool) {
	for _, p := range parts {
		n, ok := parseExpr(p)
		if !ok {
			if m := unitWord.FindStringSubmatch(p); m != nil {
				n, ok = parseExpr(m[1])
			}
			if !ok {
				return answer{}, false
			}
		}
		ans.items = append(ans.items, n)
	}
	return ans, true
}

// matchingClose returns the index of the bracket closing the one at i
// (any of ([{ closing with any of )]}, as intervals mix them), or -1.
func matchingClose(s string, i int) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// splitTop splits s at commas outside brackets.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// varPoints are the variable assignments expressions are compared at:
// fixed irrational-looking values so that distinct polynomials of small
// degree do not agree by accident.
var varPoints = [5]float64{0.5377052, 1.8338779, 2.7694370, 4.3062987, 7.1911985}

// sameValue compares two expressions at every point; a point where both
// are undefined (outside a square root's domain, say) is skipped, but at
// least one point must be defined.
func sameValue(x, y *node) bool {
	compared := 0
	for k := range varPoints {
		vx, vy := x.eval(k), y.eval(k)
		if math.IsNaN(vx) && math.IsNaN(vy) {
			continue
		}
		if !approxEqual(vx, vy) {
			return false
		}
		compared++
	}
	return compared > 0
}

func approxEqual(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return false
	}
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

// node is an expression tree.
type node struct {
	op       string // "num", "var", "+", "-", "*", "/", "^", "neg", "fn", "!", "binom", "root", "abs"
	val      float64
	name     string
	children []*node
}

func (n *node) eval(k int) float64 {
	c := func(i int) float64 { return n.children[i].eval(k) }
	switch n.op {
	case "num":
		return n.val
	case "var":
		// Each letter gets its own value at each point.
		h := 0.0
		for _, r := range n.name {
			h = h*0.37 + float64(r%23)*0.113
		}
		return varPoints[k] + h
	case "+":
		return c(0) + c(1)
	case "-":
		return c(0) - c(1)
	case "*":
		return c(0) * c(1)
	case "/":
		return c(0) / c(1)
	case "^":
		return math.Pow(c(0), c(1))
	case "neg":
		return -c(0)
	case "abs":
		return math.Abs(c(0))
	case "root":
		x, r := c(0), c(1)
		if x < 0 && math.Mod(r, 2) == 1 {
			return -math.Pow(-x, 1/r)
		}
		return math.Pow(x, 1/r)
	case "!":
		x := c(0)
		if x < 0 || x != math.Trunc(x) || x > 170 {
			return math.NaN()
		}
		return math.Gamma(x + 1)
	case "binom":
		nn, kk := c(0), c(1)
		return math.Gamma(nn+1) / (math.Gamma(kk+1) * math.Gamma(nn-kk+1))
	case "fn":
		x := c(0)
		switch n.name {
		case "sin":
			return math.Sin(x)
		case "cos":
			return math.Cos(x)
		case "tan":
			return math.Tan(x)
		case "cot":
			return 1 / math.Tan(x)
		case "sec":
			return 1 / math.Cos(x)
		case "csc":
			return 1 / math.Sin(x)
		case "arcsin":
			return math.Asin(x)
		case "arccos":
			return math.Acos(x)
		case "arctan":
			return math.Atan(x)
		case "ln", "log":
			return math.Log(x)
		case "exp":
			return math.Exp(x)
		}
	}
	return math.NaN()
}

// parseExpr parses one LaTeX expression; ok is false unless all of s is
// consumed.
func parseExpr(s string) (n *node, ok bool) {
	p := &parser{s: s}
	defer func() {
		if r := recover(); r != nil {
			if _, isFail := r.(parseFail); !isFail {
				panic(r)
			}
			n, ok = nil, false
		}
	}()
	n = p.expr()
	if p.i != len(p.s) {
		return nil, false
	}
	return n, true
}

type parseFail struct{}

type parser struct {
	s     string
	i     int
	depth int
	// inAbs is set inside |…|, where a "|" closes rather than starting an
	// implicitly multiplied factor.
	inAbs int
}

func (p *parser) fail() { panic(parseFail{}) }

func (p *parser) peek(prefix string) bool { return strings.HasPrefix(p.s[p.i:], prefix) }

func (p *parser) eat(prefix string) bool {
	if p.peek(prefix) {
		p.i += len(prefix)
		return true
	}
	return false
}

func (p *parser) expect(prefix string) {
	if !p.eat(prefix) {
		p.fail()
	}
}

func (p *parser) expr() *node {
	p.depth++
	if p.depth > 200 {
		p.fail()
	}
	defer func() { p.depth-- }()
	n := p.term()
	for {
		switch {
		case p.eat("+"):
			n = &node{op: "+", children: []*node{n, p.term()}}
		case p.eat("-"):
			n = &node{op: "-", children: []*node{n, p.term()}}
		default:
			return n
		}
	}
}

var mulOps = []string{"*", `\cdot`, `\times`}

func (p *parser) term() *node {
	n := p.unary()
	for {
		matched := false
		for _, op := range mulOps {
			if p.eat(op) {
				n = &node{op: "*", children: []*node{n, p.unary()}}
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		switch {
		case p.eat("/"), p.eat(`\div`):
			n = &node{op: "/", children: []*node{n, p.unary()}}
		case p.startsPrimary():
			n = &node{op: "*", children: []*node{n, p.power()}}
		default:
			return n
		}
	}
}

func (p *parser) startsPrimary() bool {
	if p.i >= len(p.s) {
		return false
	}
	c := p.s[p.i]
	switch {
	case c == '|':
		return p.inAbs == 0
	case c >= '0' && c <= '9', c == '.', c == '(', c == '{', c == '[', isLetter(c):
		return true
	case c == '\\':
		for _, op := range append(mulOps, `\div`) {
			if p.peek(op) {
				return false
			}
		}
		return !p.peek(`\}`)
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func (p *parser) unary() *node {
	p.depth++
	if p.depth > 200 {
		p.fail()
	}
	defer func() { p.depth-- }()
	switch {
	case p.eat("-"):
		return &node{op: "neg", children: []*node{p.unary()}}
	case p.eat("+"):
		return p.unary()
	}
	return p.power()
}

func (p *parser) power() *node {
	base := p.postfix()
	if p.eat("^") {
		exp := p.exponent()
		base = &node{op: "^", children: []*node{base, exp}}
		for p.eat("!") {
			base = &node{op: "!", children: []*node{base}}
		}
	}
	return base
}

// exponent is what follows ^: a braced group, or one character, or a
// signed unary (x^-1, as SymPy accepts).
func (p *parser) exponent() *node {
	if p.peek("{") {
		return p.group()
	}
	if p.peek("-") || p.peek("\\") || p.peek("(") {
		return p.unary()
	}
	return p.single()
}

// single is one digit or letter (LaTeX's argument without braces).
func (p *parser) single() *node {
	if p.i >= len(p.s) {
		p.fail()
	}
	c := p.s[p.i]
	p.i++
	switch {
	case c >= '0' && c <= '9':
		return &node{op: "num", val: float64(c - '0')}
	case isLetter(c):
		return letter(c)
	}
	p.fail()
	return nil
}

func letter(c byte) *node {
	if c == 'e' {
		return &node{op: "num", val: math.E}
	}
	return &node{op: "var", name: string(c)}
}

// group parses a braced {expr}, or a single token.
func (p *parser) group() *node {
	if p.eat("{") {
		n := p.expr()
		p.expect("}")
		return n
	}
	return p.single()
}

func (p *parser) postfix() *node {
	n := p.primary()
	for p.eat("!") {
		n = &node{op: "!", children: []*node{n}}
	}
	return n
}

var functions = []string{"arcsin", "arccos", "arctan", "sin", "cos", "tan", "cot", "sec", "csc", "ln", "log", "exp"}

func (p *parser) primary() *node {
	if p.i >= len(p.s) {
		p.fail()
	}
	c := p.s[p.i]
	switch {
	case c >= '0' && c <= '9' || c == '.':
		n := p.number()
		// A mixed number: 2\frac{1}{2} is 2 1/2 in MATH's answers.
		if n.val == math.Trunc(n.val) && p.peek(`\frac`) {
			save := p.i
			p.i += len(`\frac`)
			num, den, ok := p.integerFrac()
			if ok {
				v := n.val + num/den
				return &node{op: "num", val: v}
			}
			p.i = save
		}
		return n
	case c == '(':
		p.i++
		n := p.expr()
		p.expect(")")
		return n
	case c == '[':
		p.i++
		n := p.expr()
		p.expect("]")
		return n
	case c == '{':
		return p.group()
	case c == '|':
		p.i++
		p.inAbs++
		n := p.expr()
		p.inAbs--
		p.expect("|")
		return &node{op: "abs", children: []*node{n}}
	case isLetter(c):
		p.i++
		return letter(c)
	case c == '\\':
		p.i++
		return p.command()
	}
	p.fail()
	return nil
}

// integerFrac reads {int}{int} after \frac for a mixed number.
func (p *parser) integerFrac() (num, den float64, ok bool) {
	read := func() (float64, bool) {
		if !p.eat("{") {
			return 0, false
		}
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i || j >= len(p.s) || p.s[j] != '}' {
			return 0, false
		}
		v, _ := strconv.ParseFloat(p.s[p.i:j], 64)
		p.i = j + 1
		return v, true
	}
	if num, ok = read(); !ok {
		return 0, 0, false
	}
	if den, ok = read(); !ok || den == 0 {
		return 0, 0, false
	}
	return num, den, true
}

func (p *parser) number() *node {
	j := p.i
	dot := false
	for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '.' && !dot) {
		if p.s[j] == '.' {
			dot = true
		}
		j++
	}
	lit := p.s[p.i:j]
	v, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		p.fail()
	}
	p.i = j
	// 1112_3 and 0.0011_{2} are numerals in another base, as MATH's number
	// theory answers write them; base 10 is implied otherwise.
	if p.eat("_") {
		base := p.group()
		if base.op != "num" || base.val < 2 || base.val > 36 || base.val != math.Trunc(base.val) {
			p.fail()
		}
		v = 0
		scale := 1.0
		frac := false
		for _, c := range lit {
			if c == '.' {
				frac = true
				continue
			}
			d := float64(c - '0')
			if d >= base.val {
				p.fail()
			}
			if frac {
				scale /= base.val
				v += d * scale
			} else {
				v = v*base.val + d
			}
		}
	}
	return &node{op: "num", val: v}
}

func (p *parser) command() *node {
	switch {
	case p.eat("frac"):
		a := p.group()
		b := p.group()
		return &node{op: "/", children: []*node{a, b}}
	case p.eat("sqrt"):
		idx := &node{op: "num", val: 2}
		if p.eat("[") {
			idx = p.expr()
			p.expect("]")
		}
		return &node{op: "root", children: []*node{p.group(), idx}}
	case p.eat("binom"):
		a := p.group()
		b := p.group()
		return &node{op: "binom", children: []*node{a, b}}
	case p.eat("pi"):
		return &node{op: "num", val: math.Pi}
	case p.eat("infty"):
		return &node{op: "num", val: math.Inf(1)}
	case p.eat("{"):
		// \{ … \} as grouping.
		n := p.expr()
		p.expect(`\}`)
		return n
	}
	for _, f := range functions {
		if p.eat(f) {
			var arg *node
			if p.peek("^") {
				// \sin^2 x = (\sin x)^2
				p.i++
				e := p.exponent()
				arg = p.power()
				return &node{op: "^", children: []*node{{op: "fn", name: f, children: []*node{arg}}, e}}
			}
			arg = p.power()
			return &node{op: "fn", name: f, children: []*node{arg}}
		}
	}
	// Other commands (\alpha, \theta…) are variables, as SymPy makes them
	// symbols.
	j := p.i
	for j < len(p.s) && isLetter(p.s[j]) {
		j++
	}
	if j == p.i {
		p.fail()
	}
	name := p.s[p.i:j]
	switch name {
	case "le", "ge", "leq", "geq", "lt", "gt", "neq", "in", "cup", "cap", "pm", "mp", "text", "textbf", "mathrm", "mathbf", "begin", "end", "circ":
		p.fail()
	}
	p.i = j
	return &node{op: "var", name: `\` + name}
}
