# lib_headline.py TABLE-FILE REPORT: the result table's speedup equals
# original / best within the table's rounding, and report.json quotes the
# same head-to-head. Exits 0 with "n/a" when no target improved.
import json, re, sys

table, report = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
checked = 0
for t in report["targets"]:
    b = t.get("best", {})
    if "headline" not in b:
        continue
    row = [l for l in table.splitlines() if l.startswith("| %s |" % t["name"])]
    assert row, "no table row for " + t["name"]
    cells = [c.strip() for c in row[0].strip("|").split("|")]
    orig, best = float(cells[2].split()[0]), float(cells[3].split()[0])
    sp = float(re.match(r"([0-9.]+)x", cells[4]).group(1))
    assert abs(orig / best - sp) <= 0.0051 + 1e-3 * sp, "table: %g / %g = %.4f, speedup %.2f" % (orig, best, orig / best, sp)
    h = b["headline"]
    ratio = h["original"]["value"] / h["best"]["value"]
    assert abs(ratio - b["speedup"]["estimate"]) < 1e-9 or not (b["speedup"]["lo"] < ratio < b["speedup"]["hi"]), \
        "report: original / best %.6f, speedup %.6f" % (ratio, b["speedup"]["estimate"])
    assert "head-to-head" in h["source"], h["source"]
    checked += 1
print("checked %d" % checked if checked else "n/a")
