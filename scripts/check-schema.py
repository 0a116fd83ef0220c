#!/usr/bin/env python3
"""check-schema.py: schema/optimize.schema.json against the docs and the parser.

1. The schema is a valid JSON Schema (draft 2020-12).
2. Every manifest example in README.md and docs/*.md (```json blocks with
   "editable" or "targets"), and tests/data/manifest/full/optimize.json,
   validates against it.
3. The fields the manifest parser knows (the *_fields lists of
   src/engine/manifest.c), its LLM providers and objectives are exactly the
   schema's.
4. What `optimize init` writes is rejected (placeholders) and, with the
   placeholders filled in, accepted (when OPTIMIZE_BIN is set).
Run by ctest as style/schema. Needs python3-jsonschema (scripts/bootstrap.sh).
"""
import glob, json, os, re, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
try:
    import jsonschema
except ImportError:
    sys.exit("check-schema: python3-jsonschema is missing (scripts/bootstrap.sh installs it)")

failed = []
schema = json.load(open(os.path.join(root, "schema/optimize.schema.json")))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)


def errors(doc):
    return [e.message for e in validator.iter_errors(doc)]


# 2. The examples.
n = 0
for path in [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs/*.md"))):
    text = open(path).read()
    for m in re.finditer(r"```json\n(.*?)```", text, re.S):
        block = m.group(1)
        if '"editable"' not in block and '"targets"' not in block:
            continue
        line = text[: m.start()].count("\n") + 2
        try:
            doc = json.loads(block)
        except ValueError as e:
            failed.append(f"{os.path.relpath(path, root)}:{line}: not JSON: {e}")
            continue
        n += 1
        for e in errors(doc):
            failed.append(f"{os.path.relpath(path, root)}:{line}: {e}")
full = os.path.join(root, "tests/data/manifest/full/optimize.json")
for e in errors(json.load(open(full))):
    failed.append(f"tests/data/manifest/full/optimize.json: {e}")
if n < 3:
    failed.append(f"only {n} manifest examples found in README.md and docs/")

# 3. The parser's fields.
src = open(os.path.join(root, "src/engine/manifest.c")).read()


def c_list(name):
    m = re.search(r"static const char \*const " + name + r"\[\] = \{(.*?)\};", src, re.S)
    if not m:
        failed.append(f"src/engine/manifest.c: no list {name}")
        return set()
    return set(re.findall(r'"([^"]*)"', m.group(1)))


target = schema["$defs"]["target"]["properties"]
verify = target["verify"]["items"]["properties"]
pairs = [
    ("target_fields", set(target)),
    ("verify_fields", set(verify)),
    ("limits_fields", set(target["limits"]["properties"])),
    ("llm_fields", set(target["llm"]["properties"])),
    ("llm_providers", set(target["llm"]["properties"]["provider"]["enum"])),
    ("multi_fields", set(schema["oneOf"][1]["properties"])),
]
for name, want in pairs:
    have = c_list(name)
    if have != want:
        failed.append(f"{name}: parser only {sorted(have - want)}, schema only {sorted(want - have)}")
objectives = c_list("objectives")
pattern = target["objective"]["pattern"]
for o in objectives:
    if not re.match(pattern, o):
        failed.append(f"objective '{o}' of the parser does not match the schema's pattern")
if not re.match(pattern, "kernel_time:matmul") or re.match(pattern, "walltime"):
    failed.append("the schema's objective pattern is wrong")

# 4. optimize init's output.
bin_ = os.environ.get("OPTIMIZE_BIN")
if bin_:
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "Makefile"), "w").write("prog: prog.c\n")
        open(os.path.join(d, "prog.c"), "w").write("int main(void){return 0;}\n")
        out = subprocess.run([bin_, "init", "--print", d], capture_output=True, text=True)
        doc = json.loads(out.stdout)
        if not errors(doc):
            failed.append("optimize init's placeholders validate against the schema")
        doc["run"] = "./prog"
        doc["verify"] = [{"run": "./prog"}]
        for e in errors(doc):
            failed.append(f"optimize init's manifest, filled in: {e}")

for f in failed:
    print("check-schema: " + f, file=sys.stderr)
print(f"check-schema: {n} examples, {len(pairs)} field lists, {'FAILED' if failed else 'ok'}")
sys.exit(1 if failed else 0)
