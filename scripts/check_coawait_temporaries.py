#!/usr/bin/env python3
"""Finds statements that build a braced option struct inside a co_await
expression, e.g. `co_await session.post(url, {.data = body});`.

g++ 12 (Debian 12's compiler) miscompiles such a temporary: the coroutine
frame frees an object it never allocated (docs/differences.md, "g++ 12:
name option structs passed to coroutines"). Name the struct in a local
first. Comments are skipped (the headers' examples show the short form for
other compilers).

    check_coawait_temporaries.py SOURCE_DIR    exit 1 and one line per finding
"""
import pathlib
import re
import sys

ROOTS = ("src", "include", "tests", "examples", "tools", "bench", "fuzz")
# Comments, string and character literals, in one pass (a "//" inside a
# string is not a comment).
TOKENS = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)


def findings(path):
    text = path.read_text(errors="replace")
    # Blank them out, keeping newlines so that line numbers hold.
    code = TOKENS.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    start = 0
    braces = []  # for each open brace: is it a designated initializer?
    for m in re.finditer(r"[;{}]", code):
        ch = m.group(0)
        if ch == "{":
            init = re.match(r"\{\s*\.[A-Za-z_]", code[m.start():m.start() + 80]) is not None
            braces.append(init)
            if not init:
                start = m.end()  # a block: statements begin after it
            continue
        if ch == "}":
            init = braces.pop() if braces else False
            if not init:
                start = m.end()
            continue
        stmt = code[start:m.end()]
        if "co_await" in stmt and re.search(r"\{\s*\.[A-Za-z_]", stmt):
            first = start + len(stmt) - len(stmt.lstrip())
            yield code.count("\n", 0, first) + 1, " ".join(stmt.split())[:120]
        start = m.end()


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    bad = 0
    for sub in ROOTS:
        for path in sorted((root / sub).rglob("*")):
            if path.suffix not in (".cpp", ".hpp", ".h", ".cc") or not path.is_file():
                continue
            for line, stmt in findings(path):
                print(f"{path.relative_to(root)}:{line}: braced option struct inside co_await (name it first): {stmt}")
                bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
