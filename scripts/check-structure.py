#!/usr/bin/env python3
"""check-structure.py: the architecture of src/, checked from the code itself.

Reads every #include "layer/file.h" in src/ and checks:
  - layers: a file may include only headers of its own layer or of a layer
    below it (the order is LAYERS, top first; docs/architecture.md draws it);
  - no include cycle between modules (a module is a .c/.h pair: engine/loop);
  - nothing below the command layer includes a cli/ header;
  - no source file over MAX_FILE_LINES lines, no function over MAX_FUNC_LINES;
  - one allocation policy: no raw malloc/calloc/realloc/strdup/strndup
    outside base/xalloc.c (and the interposer, which must never end the
    program it is preloaded into); base/xalloc.h dies on out of memory;
  - every #include "..." names a file that exists.

  scripts/check-structure.py            check; exit 1 with the findings
  scripts/check-structure.py --graph    print the module graph (layer: module -> deps)

The project's ctest runs the check (style/structure).
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.join(ROOT, "src")

# Top first. A layer may use the layers after it in this list, and itself.
LAYERS = [
    ["cli"],                           # commands: parse, print, exit codes
    ["run", "gate", "bench"],          # whole runs, gates and suites
    ["llm", "propose", "report"],      # proposers and what a run leaves behind
    ["engine"],                        # pipeline, loop, measurement, verification
    ["prof"],                          # measurement backends: counters, hotspots, OpenCL
    ["base"],                          # buf, json, fileio, proc, strlist, util, xalloc
]
# The OpenCL interposer is preloaded into target programs: it may use only
# its own folder, the trace format's header and libc.
STANDALONE = {"cltrace": {"prof/cltrace.h"}}

MAX_FILE_LINES = 800
MAX_FUNC_LINES = 120

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
RAW_ALLOC = re.compile(r"\b(malloc|calloc|realloc|reallocarray|strdup|strndup)\s*\(")
ALLOC_HOME = "base/xalloc.c"


def rank(layer):
    for i, group in enumerate(LAYERS):
        if layer in group:
            return i
    return None


def sources():
    for dirpath, _, files in os.walk(SRC):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(dirpath, f), SRC)


def module_of(path):
    base = os.path.splitext(path)[0]
    # pipeline_int.h, pipeline_stages.c and pipeline.c are one module: pipeline.
    d, name = os.path.split(base)
    for suffix in ("_int",):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return d + "/" + name


def functions(text):
    """(name, first line, length) of each function defined at column 0."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("{") and i > 0:
            # the signature is on the lines above; the name before the first '('
            j = i - 1
            sig = lines[j]
            while j > 0 and "(" not in sig:
                j -= 1
                sig = lines[j] + sig
            start = j
            while start > 0 and lines[start - 1].strip() and not lines[start - 1].rstrip().endswith((";", "}", "*/")) and not lines[start - 1].startswith("#"):
                start -= 1
            m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", " ".join(lines[start:i]))
            k = i + 1
            while k < len(lines) and not lines[k].startswith("}"):
                k += 1
            if m and "=" not in lines[start] and not lines[start].startswith(("struct ", "static const", "const ", "enum ")) or (m and "(" in lines[start]):
                out.append((m.group(1), i + 1, k - i + 1))
            i = k
        i += 1
    return out


def main():
    graph_only = "--graph" in sys.argv
    problems = []
    deps = {}
    for path in sources():
        layer = path.split(os.sep)[0]
        text = open(os.path.join(SRC, path), encoding="utf-8", errors="replace").read()
        nlines = text.count("\n")
        if nlines > MAX_FILE_LINES:
            problems.append(f"src/{path}: {nlines} lines (over {MAX_FILE_LINES})")
        if path.endswith(".c") and path != ALLOC_HOME and layer not in STANDALONE:
            code = re.sub(r"/\*.*?\*/|//[^\n]*", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
            for m in RAW_ALLOC.finditer(code):
                line = code.count("\n", 0, m.start()) + 1
                problems.append(f"src/{path}:{line}: raw {m.group(1)}(): use x{m.group(1)} (base/xalloc.h)")
        if path.endswith(".c"):
            for name, line, n in functions(text):
                if n > MAX_FUNC_LINES:
                    problems.append(f"src/{path}:{line}: function {name} is {n} lines (over {MAX_FUNC_LINES})")
        mod = module_of(path)
        deps.setdefault(mod, set())
        for inc in INCLUDE.findall(text):
            target = os.path.join(SRC, inc)
            if not os.path.exists(target):
                if "/" in inc:
                    problems.append(f"src/{path}: includes \"{inc}\", which does not exist")
                continue
            ilayer = inc.split("/")[0]
            if layer in STANDALONE:
                if ilayer != layer and inc not in STANDALONE[layer]:
                    problems.append(f"src/{path}: the interposer may not include \"{inc}\"")
                continue
            r, ri = rank(layer), rank(ilayer)
            if r is None:
                problems.append(f"src/{path}: folder '{layer}' is in no layer (add it to LAYERS)")
                continue
            if ri is None:
                problems.append(f"src/{path}: includes \"{inc}\" from folder '{ilayer}', which is in no layer")
                continue
            if ilayer == "cli" and layer != "cli":
                problems.append(f"src/{path}: below the command layer, includes \"{inc}\"")
            elif ri < r:
                problems.append(f"src/{path}: layer '{layer}' includes \"{inc}\" of the higher layer '{ilayer}'")
            imod = module_of(inc)
            if imod != mod:
                deps[mod].add(imod)
    # cycles between modules
    state = {}
    stack = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in sorted(deps.get(m, ())):
            if state.get(d) == 1:
                cyc = stack[stack.index(d):] + [d]
                problems.append("include cycle: " + " -> ".join(cyc))
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(deps):
        if m not in state:
            visit(m)
    if graph_only:
        for group in LAYERS + [list(STANDALONE)]:
            for layer in group:
                for m in sorted(x for x in deps if x.startswith(layer + "/")):
                    print(f"{layer}: {m} -> {', '.join(sorted(deps[m])) or '-'}")
        return 0
    for p in problems:
        print(p)
    if problems:
        print(f"check-structure: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"check-structure: {len(deps)} modules in {len(LAYERS)} layers, no cycle, files <= {MAX_FILE_LINES} lines, functions <= {MAX_FUNC_LINES}, no raw allocation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
