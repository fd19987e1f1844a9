#!/usr/bin/env python3
"""Renders the chat-template cases of cases.json with Jinja2 set up exactly as
transformers' apply_chat_template sets it up, and writes golden.json.

Needs Jinja2 (3.1.x). The environment below follows transformers'
_compile_jinja_template / render_jinja_template (4.45 - 4.5x):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
extensions=[GenerationTag, loopcontrols]); tojson replaced by json.dumps(ensure_ascii=False,
...); globals raise_exception and strftime_now; render(messages=...,
tools=None, documents=None, add_generation_prompt=..., **special_tokens,
**kwargs); continue_final_message cuts the text after the final message.

Run from the repo root:  python3 chat/testdata/make_golden.py [template.jinja ...]
Extra templates given on the command line are rendered with every case and
printed (for checking a template that is not kept in the repository).
"""
import json
import os
import sys
from datetime import datetime

import jinja2
from jinja2.ext import Extension, loopcontrols
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
FIXED_NOW = datetime(2024, 7, 26, 9, 5, 3)


class GenerationTag(Extension):
    """transformers' AssistantTracker without the index bookkeeping: the body
    of {% generation %} renders in place."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def compile_template(src):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return FIXED_NOW.strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(src)


def render(src, case):
    tmpl = compile_template(src)
    kwargs = dict(case.get("special_tokens", {}))
    kwargs.update(case.get("vars", {}))
    try:
        out = tmpl.render(messages=case["messages"], tools=None, documents=None,
                          add_generation_prompt=case.get("add_generation_prompt", False), **kwargs)
    except jinja2.exceptions.TemplateError as e:
        return {"error": str(e)}
    if case.get("continue_final_message"):
        final = case["messages"][-1]["content"]
        loc = out.rindex(final.strip())
        if out[loc: loc + len(final.lstrip())] == final:
            out = out[: loc + len(final.lstrip())]
        else:
            out = out[: loc + len(final.strip())]
    return {"output": out}


def main():
    with open(os.path.join(HERE, "cases.json"), encoding="utf-8") as f:
        cases = json.load(f)
    golden = {}
    for case in cases:
        with open(os.path.join(HERE, case["template"]), encoding="utf-8") as f:
            src = f.read()
        golden[case["name"]] = render(src, case)
    with open(os.path.join(HERE, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            src = f.read()
        out = {}
        for case in cases:
            if case.get("all_templates"):
                out[case["name"]] = render(src, case)
        print(json.dumps(out, ensure_ascii=False, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
