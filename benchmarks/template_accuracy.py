"""Grouping accuracy of logcrunch's error/warning templates against Drain3, on labelled logs.

The data is labelled logs, every line tagged with the statement that wrote it, in two sets:

* "tuned": benchmarks/labelled_logs.py. logcrunch's template rules were tuned while looking at
  this set, so its figures for logcrunch are optimistic;
* "heldout": benchmarks/labelled_logs_heldout.py, other layouts and statements written apart
  from logcrunch's rules (and from the tuned set), with nothing tuned to any method. It has
  since been looked at (its failures were studied), so it is development data now;
* "blind2": benchmarks/labelled_logs_blind2.py, a second blind set of yet other layouts,
  committed before the rule changes that followed the held-out set's study;
* "blind3": benchmarks/labelled_logs_blind3.py, a third blind set of yet other layouts, written
  without reading logcrunch's template rules and committed before anything ran on it.

``--set`` picks one set, ``both`` (tuned and held-out) or ``all`` (the default: the four sets'
tables, one after the other). Each set is
evaluated on its own, with its own default seed and size.

Grouping accuracy is logpai's (Zhu et al., "Tools and Benchmarks for Automated Log Parsing",
ICSE-SEIP 2019): a line is grouped correctly when the set of lines in its
predicted group is exactly the set of lines of its statement; the accuracy is the share of
lines grouped correctly. It is computed per layout (each layout is its own data set, as in
loghub), on the error and warning lines (the lines logcrunch templates) and on all lines.
"overall" pools every layout's lines with groups kept per layout, which is the line-weighted
mean of the layouts' figures; "mean of layouts" is their plain mean.

Methods:

* logcrunch: ``logcrunch.templates.line_template(line, sniffed format)``; a group is a template.
  A pure function of the line, so the order of lines does not matter.
* drain3: ``drain3.TemplateMiner`` with its default configuration (``TemplateMinerConfig()``:
  sim_th 0.4, depth 4, max_children 100, no masking; no drain3.ini is read), fed the lines of a
  layout in file order, one file after the other; a group is the cluster a line was added to.
  For the error/warning figures Drain3 is fed the error and warning lines only (it mines the
  same stream logcrunch templates); for the all-lines figures, every line. Its input is, by
  column:
    - "lc msg": the exact text logcrunch masks (logcrunch's own message extraction: the line
      after its header), so both methods see the same bytes;
    - "gen msg": the message part the generator wrote (no header, component or thread);
    - "raw": the whole line.
* "lc gen msg": logcrunch's masking rules (``templates.mask``) on the generator's message, to
  tell what its header extraction costs from what its masking costs.

Error/warning lines are those of error and warning statements (the generator's truth), whatever
level logcrunch reads; lines whose level logcrunch reads differently are counted apart.

Usage::

    python benchmarks/template_accuracy.py [--set tuned|heldout|blind2|blind3|both|all] [--seed N]
                                           [--lines-per-layout N] [--layouts a,b]
                                           [--worst N] [--orders N] [--json]

``--seed`` and ``--lines-per-layout`` default to each set's own defaults. ``--json`` prints one
set's result object, or with ``--set both``/``all`` an object ``{"tuned": ..., "heldout": ..., ...}``.

``--orders N`` also runs Drain3 (lc msg) on N shuffled orders of the error/warning lines.

Drain3 is needed only here (``pip install drain3``); without it the script prints logcrunch's
figures alone and says so.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import labelled_logs  # noqa: E402
import labelled_logs_blind2  # noqa: E402
import labelled_logs_blind3  # noqa: E402
import labelled_logs_heldout  # noqa: E402

from logcrunch import formats, templates  # noqa: E402

LEVEL_NAME = {formats.ERROR: "error", formats.WARN: "warn", formats.NEUTRAL: "info", formats.NONE: "info"}
SUBSETS = ("errwarn", "all")
COLUMNS = ("logcrunch", "drain3 lc msg", "drain3 gen msg", "drain3 raw", "lc gen msg")
# name -> (generator module, title). Both modules have the same interface.
SETS = {
    "tuned": (labelled_logs, "tuned set (benchmarks/labelled_logs.py; logcrunch's rules were tuned on it)"),
    "heldout": (labelled_logs_heldout,
                "held-out set (benchmarks/labelled_logs_heldout.py; seen: development data now)"),
    "blind2": (labelled_logs_blind2, "blind set 2 (benchmarks/labelled_logs_blind2.py; not tuned on)"),
    "blind3": (labelled_logs_blind3,
               "blind set 3 (benchmarks/labelled_logs_blind3.py; written blind, not tuned on)"),
}
# Statements that differ only in constant text, of every set (a pair whose layout is not in the
# files evaluated is skipped).
ALL_CONSTANT_TEXT_PAIRS = (labelled_logs.CONSTANT_TEXT_PAIRS + labelled_logs_heldout.CONSTANT_TEXT_PAIRS
                           + labelled_logs_blind2.CONSTANT_TEXT_PAIRS
                           + labelled_logs_blind3.CONSTANT_TEXT_PAIRS)


def logcrunch_message(content: bytes, file_format: str) -> bytes:
    """The text logcrunch masks for a line (its message extraction)."""
    return templates.line_message(content, file_format)


def grouping_accuracy(truth: list, predicted: list) -> float:
    """logpai's grouping accuracy: the share of lines whose predicted group holds exactly the
    lines of their statement."""
    if not truth:
        return float("nan")
    size_of_truth = Counter(truth)
    members: dict[object, list[int]] = defaultdict(list)
    for index, key in enumerate(predicted):
        members[key].append(index)
    correct = 0
    for indexes in members.values():
        statements = {truth[i] for i in indexes}
        if len(statements) == 1 and size_of_truth[truth[indexes[0]]] == len(indexes):
            correct += len(indexes)
    return correct / len(truth)


def statement_outcomes(truth: list, predicted: list, names: dict) -> dict[str, dict]:
    """Per statement: whether its lines are grouped correctly, and if not how (split into
    which groups, merged with which statements)."""
    by_truth: dict[str, Counter] = defaultdict(Counter)
    by_group: dict[object, Counter] = defaultdict(Counter)
    for t, p in zip(truth, predicted, strict=True):
        by_truth[t][p] += 1
        by_group[p][t] += 1
    out = {}
    for statement, groups in by_truth.items():
        merged = Counter()
        for group in groups:
            for other, count in by_group[group].items():
                if other != statement:
                    merged[other] += count
        lines = sum(groups.values())
        out[statement] = {
            "lines": lines,
            "correct": len(groups) == 1 and not merged,
            "groups": len(groups),
            "merged_with": dict(merged.most_common(4)),
            "templates": [names.get(g, str(g)) for g, _ in groups.most_common(3)],
            "largest_group_share": round(groups.most_common(1)[0][1] / lines, 3),
        }
    return out


def drain_groups(messages: list[str]) -> tuple[list[int], dict[int, str]]:
    """Drain3's cluster per message (default configuration, fed in order) and each cluster's
    final template."""
    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig

    miner = TemplateMiner(config=TemplateMinerConfig())
    ids = [miner.add_log_message(message)["cluster_id"] for message in messages]
    names = {cluster.cluster_id: cluster.get_template() for cluster in miner.drain.clusters}
    return ids, names


def have_drain3() -> bool:
    try:
        import drain3  # noqa: F401
    except ImportError:
        return False
    logging.getLogger("drain3").setLevel(logging.ERROR)
    return True


def prepare(files: list[labelled_logs.LogFile]) -> tuple[dict[str, list[dict]], dict]:
    """Lines per layout, in file order, each with its truth and logcrunch's view of it."""
    rows: dict[str, list[dict]] = defaultdict(list)
    checks = {"extraction_mismatches": 0, "level_disagreements": Counter(), "formats": {}}
    for log in files:
        head = b"\n".join(line.content for line in log.lines)[:65536]
        fmt = formats.sniff_format(head)
        checks["formats"][log.name] = fmt
        for line in log.lines:
            message = logcrunch_message(line.content, fmt)
            template = templates.line_template(line.content, fmt)
            if templates.mask(message) != template:
                checks["extraction_mismatches"] += 1
            seen = LEVEL_NAME[formats.line_level(line.content, fmt)]
            if (seen in ("error", "warn")) != (line.level in ("error", "warn")):
                checks["level_disagreements"][(line.statement, line.level, seen)] += 1
            rows[log.layout].append({
                "statement": line.statement, "level": line.level, "raw": line.content, "file": log.name,
                "lc_msg": message, "gen_msg": line.message, "template": template,
                "lc_gen": templates.mask(line.message),
            })
    return rows, checks


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def predictions(rows: list[dict], drain: bool) -> dict[str, tuple[list, dict]]:
    """Each method's group per line, and a printable name per group."""
    out = {
        "logcrunch": ([r["template"] for r in rows], {}),
        "lc gen msg": ([r["lc_gen"] for r in rows], {}),
    }
    for group in out.values():
        group[1].update({key: templates.template_text(key) for key in set(group[0])})
    if drain:
        for column, field in (("drain3 lc msg", "lc_msg"), ("drain3 gen msg", "gen_msg"),
                              ("drain3 raw", "raw")):
            out[column] = drain_groups([_text(r[field]) for r in rows])
    return out


def evaluate(files: list[labelled_logs.LogFile], drain: bool, orders: int = 0,
             pairs: tuple | None = None) -> dict:
    """Every figure for ``files`` (of either set). ``pairs``: the statements that differ only in
    constant text to check (default: every set's; pairs of layouts not in ``files`` are skipped)."""
    rows_by_layout, checks = prepare(files)
    result: dict = {"layouts": {}, "checks": {
        "extraction_mismatches": checks["extraction_mismatches"],
        "level_disagreements": [
            {"statement": s, "truth": t, "logcrunch": seen, "lines": n}
            for (s, t, seen), n in sorted(checks["level_disagreements"].items())],
        "formats": checks["formats"]}}
    pooled: dict[str, dict[str, tuple[list, list]]] = {
        subset: defaultdict(lambda: ([], [])) for subset in SUBSETS}
    outcomes: dict[str, dict[str, dict]] = {subset: defaultdict(dict) for subset in SUBSETS}
    for layout, rows in rows_by_layout.items():
        entry = {}
        for subset in SUBSETS:
            chosen = rows if subset == "all" else [r for r in rows if r["level"] in ("error", "warn")]
            truth = [r["statement"] for r in chosen]
            figures = {"lines": len(chosen), "statements": len(set(truth))}
            if chosen:
                for column, (predicted, names) in predictions(chosen, drain).items():
                    figures[column] = grouping_accuracy(truth, predicted)
                    figures[column + " groups"] = len(set(predicted))
                    pool = pooled[subset][column]
                    pool[0].extend(truth)
                    pool[1].extend((layout, p) for p in predicted)
                    for statement, outcome in statement_outcomes(truth, predicted, names).items():
                        outcomes[subset][column][statement] = outcome
            entry[subset] = figures
        result["layouts"][layout] = entry
    for subset in SUBSETS:
        overall = {"lines": 0, "statements": 0}
        means = {}
        for column, (truth, predicted) in pooled[subset].items():
            overall["lines"] = len(truth)
            overall["statements"] = len(set(truth))
            overall[column] = grouping_accuracy(truth, predicted)
            values = [entry[subset][column] for entry in result["layouts"].values()
                      if entry[subset]["lines"]]
            means[column] = sum(values) / len(values)
        result.setdefault("overall", {})[subset] = overall
        result.setdefault("mean_of_layouts", {})[subset] = means
        result.setdefault("statements", {})[subset] = {
            column: dict(sorted(per.items())) for column, per in outcomes[subset].items()}
    result["constant_text_pairs"] = pair_checks(rows_by_layout, drain, pairs)
    if drain and orders:
        result["drain3_order_sensitivity"] = order_sensitivity(rows_by_layout, orders)
    if drain:
        result["drain3_per_file_errwarn"] = per_file_mining(rows_by_layout)
    return result


def order_sensitivity(rows_by_layout: dict[str, list[dict]], orders: int) -> dict:
    """Drain3 (lc msg) on the error/warning lines of every layout in ``orders`` random line
    orders (seeds 1..orders): the overall grouping accuracy of each order. logcrunch's figure
    is the same in every order."""
    figures = []
    for seed in range(1, orders + 1):
        truth: list = []
        predicted: list = []
        for layout, rows in rows_by_layout.items():
            chosen = [r for r in rows if r["level"] in ("error", "warn")]
            random.Random(seed).shuffle(chosen)
            groups, _names = drain_groups([_text(r["lc_msg"]) for r in chosen])
            truth.extend(r["statement"] for r in chosen)
            predicted.extend((layout, g) for g in groups)
        figures.append(grouping_accuracy(truth, predicted))
    return {"orders": orders, "overall_errwarn": figures}


def per_file_mining(rows_by_layout: dict[str, list[dict]]) -> float:
    """Drain3 (lc msg) run the way logcrunch's workers would have to run it: one miner per
    file, the files' groups merged by their final template text. Overall grouping accuracy on
    the error/warning lines."""
    truth: list = []
    predicted: list = []
    for layout, rows in rows_by_layout.items():
        by_file: dict[str, list[dict]] = defaultdict(list)
        for r in rows:
            if r["level"] in ("error", "warn"):
                by_file[r["file"]].append(r)
        for chosen in by_file.values():
            groups, names = drain_groups([_text(r["lc_msg"]) for r in chosen])
            truth.extend(r["statement"] for r in chosen)
            predicted.extend((layout, names[g]) for g in groups)
    return grouping_accuracy(truth, predicted)


def pair_checks(rows_by_layout: dict[str, list[dict]], drain: bool, pairs: tuple | None = None) -> list[dict]:
    """For each pair of statements that differ only in constant text: does each method give the
    two statements disjoint groups (error/warning lines, as in the figures)?"""
    out = []
    for first, second, kind in (ALL_CONSTANT_TEXT_PAIRS if pairs is None else pairs):
        layout = first.split("/")[0]
        rows = [r for r in rows_by_layout.get(layout, []) if r["level"] in ("error", "warn")]
        if not rows:
            continue
        entry = {"pair": [first, second], "kind": kind}
        for column, (predicted, _names) in predictions(rows, drain).items():
            if column == "lc gen msg":
                continue
            groups = {s: {p for r, p in zip(rows, predicted, strict=True) if r["statement"] == s}
                      for s in (first, second)}
            entry[column] = "separate" if not (groups[first] & groups[second]) else "merged"
        out.append(entry)
    return out


# ---------------------------------------------------------------------------------------------
# Output.

def _pct(value: float) -> str:
    return "  -  " if value != value else f"{100 * value:5.1f}"


def table(result: dict, subset: str, columns: tuple[str, ...]) -> list[str]:
    head = f"| {'layout':<18} | lines | stmts | " + " | ".join(f"{c:>14}" for c in columns) + " |"
    lines = [head, "|" + "|".join("-" * len(part) for part in head.split("|")[1:-1]) + "|"]
    for layout, entry in result["layouts"].items():
        figures = entry[subset]
        cells = [f"{_pct(figures.get(c, float('nan'))):>14}" for c in columns]
        lines.append(f"| {layout:<18} | {figures['lines']:>5} | {figures['statements']:>5} | "
                     + " | ".join(cells) + " |")
    overall = result["overall"][subset]
    means = result["mean_of_layouts"][subset]
    lines.append(f"| {'overall':<18} | {overall['lines']:>5} | {overall['statements']:>5} | "
                 + " | ".join(f"{_pct(overall[c]):>14}" for c in columns) + " |")
    lines.append(f"| {'mean of layouts':<18} | {'':>5} | {'':>5} | "
                 + " | ".join(f"{_pct(means[c]):>14}" for c in columns) + " |")
    return lines


def worst(result: dict, subset: str, column: str, count: int) -> list[str]:
    per = result["statements"][subset][column]
    wrong = sorted(((o["lines"], s, o) for s, o in per.items() if not o["correct"]), reverse=True)
    lines = []
    for n, statement, outcome in wrong[:count]:
        how = []
        if outcome["groups"] > 1:
            share = 100 * outcome["largest_group_share"]
            how.append(f"split into {outcome['groups']} groups (largest {share:.0f}%)")
        if outcome["merged_with"]:
            how.append("merged with " + ", ".join(f"{s} ({c})" for s, c in outcome["merged_with"].items()))
        lines.append(f"  {n:>4} lines  {statement}: {'; '.join(how)}")
        for name in outcome["templates"][:2]:
            lines.append(f"             {name[:150]}")
    if len(wrong) > count:
        lines.append(f"  ... and {len(wrong) - count} more statements grouped wrongly")
    return lines


def versus(result: dict, subset: str, ours: str, theirs: str) -> tuple[list[str], list[str]]:
    a, b = result["statements"][subset][ours], result["statements"][subset][theirs]
    only_theirs = sorted((b[s]["lines"], s) for s in b if b[s]["correct"] and not a[s]["correct"])
    only_ours = sorted((a[s]["lines"], s) for s in a if a[s]["correct"] and not b[s]["correct"])
    return ([f"{s} ({n})" for n, s in reversed(only_theirs)], [f"{s} ({n})" for n, s in reversed(only_ours)])


def report(result: dict, args: argparse.Namespace, drain: bool) -> str:
    columns = COLUMNS if drain else ("logcrunch", "lc gen msg")
    out = [f"Template grouping accuracy (%), logpai grouping accuracy; "
           f"{getattr(args, 'set_title', 'labelled_logs')}, seed {args.seed}, "
           f"{args.lines_per_layout} lines per layout.",
           "logcrunch: templates.line_template. drain3: TemplateMiner, default config, fed in file order;",
           "  'drain3 lc msg' = drain3 on the exact text logcrunch masks (logcrunch's message extraction);",
           "  'drain3 gen msg' = drain3 on the generator's message (no header); 'drain3 raw' = whole lines;",
           "  'lc gen msg' = logcrunch's mask() on the generator's message.",
           "  Error/warning figures: drain3 fed only the error and warning lines."]
    if not drain:
        out.append("drain3 is not installed (pip install drain3): logcrunch's figures only.")
    for subset, title in (("errwarn", "Error and warning lines"), ("all", "All lines")):
        out += ["", f"## {title}", *table(result, subset, columns)]
    for column in (("logcrunch", "drain3 lc msg") if drain else ("logcrunch",)):
        out += ["", f"## Worst-grouped statements, {column} (error and warning lines)",
                *worst(result, "errwarn", column, args.worst)]
    if drain:
        theirs, ours = versus(result, "errwarn", "logcrunch", "drain3 lc msg")
        out += ["", "## Error/warning statements drain3 (lc msg) groups right and logcrunch does not",
                "  " + (", ".join(theirs) or "none"),
                "## ... and logcrunch groups right and drain3 (lc msg) does not",
                "  " + (", ".join(ours) or "none")]
    if "drain3_order_sensitivity" in result:
        figures = result["drain3_order_sensitivity"]["overall_errwarn"]
        out += ["", f"## Order: drain3 (lc msg), error/warning lines overall, {len(figures)} shuffled "
                f"orders: min {_pct(min(figures)).strip()}, max {_pct(max(figures)).strip()} "
                f"(file order {_pct(result['overall']['errwarn']['drain3 lc msg']).strip()}; "
                f"logcrunch {_pct(result['overall']['errwarn']['logcrunch']).strip()} in any order)"]
    if "drain3_per_file_errwarn" in result:
        out += [f"## Split: drain3 (lc msg) mined per file, groups merged by template text (as per-file "
                f"workers would): {_pct(result['drain3_per_file_errwarn']).strip()} on error/warning lines"]
    out += ["", "## Statements that differ only in constant text (error/warning lines)"]
    for pair in result["constant_text_pairs"]:
        verdicts = ", ".join(f"{c}: {pair[c]}" for c in columns if c in pair)
        out.append(f"  {pair['pair'][0]} / {pair['pair'][1].split('/')[1]} [{pair['kind']}]: {verdicts}")
    checks = result["checks"]
    out += ["", "## Checks",
            f"  lines where mask(logcrunch_message) != line_template: {checks['extraction_mismatches']}"]
    for d in checks["level_disagreements"]:
        out.append(f"  level: {d['statement']} is {d['truth']}, logcrunch reads {d['logcrunch']} "
                   f"({d['lines']} lines)")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("tuned", "heldout", "blind2", "blind3", "both", "all"),
                        default="all",
                        help="which labelled set: the one logcrunch was tuned on, the held-out one, the "
                             "second or third blind one, both (tuned and held-out) or all, one after the "
                             "other (default: all)")
    parser.add_argument("--seed", type=int, default=None, help="default: the set's own default seed")
    parser.add_argument("--lines-per-layout", type=int, default=None,
                        help="default: the set's own default size")
    parser.add_argument("--layouts", help="comma-separated layout names (default: all)")
    parser.add_argument("--worst", type=int, default=15, help="worst-grouped statements to list per method")
    parser.add_argument("--orders", type=int, default=5,
                        help="also run drain3 (lc msg) on this many shuffled line orders (0: none)")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    args = parser.parse_args(argv)
    drain = have_drain3()
    if not drain:
        print("drain3 is not installed (pip install drain3): showing logcrunch's figures only.",
              file=sys.stderr)
    layouts = tuple(args.layouts.split(",")) if args.layouts else None
    names = {"both": ("tuned", "heldout"),
             "all": ("tuned", "heldout", "blind2", "blind3")}.get(args.set, (args.set,))
    results = {}
    texts = []
    for name in names:
        module, title = SETS[name]
        one = argparse.Namespace(**vars(args))
        one.seed = module.DEFAULT_SEED if args.seed is None else args.seed
        one.lines_per_layout = (module.DEFAULT_LINES_PER_LAYOUT if args.lines_per_layout is None
                                else args.lines_per_layout)
        one.set_title = title
        files = module.generate(one.seed, one.lines_per_layout, layouts)
        if not files:
            print(f"{name} set: none of the layouts {args.layouts} is in it; skipped", file=sys.stderr)
            continue
        result = evaluate(files, drain, args.orders, module.CONSTANT_TEXT_PAIRS)
        result["set"] = name
        result["drain3"] = drain
        result["config"] = {"set": name, "seed": one.seed, "lines_per_layout": one.lines_per_layout}
        results[name] = result
        heading = f"# {name.upper()}: {title}"
        texts.append("\n".join(["=" * len(heading), heading, "=" * len(heading), "",
                                report(result, one, drain)]))
    if args.json:
        json.dump(results if args.set in ("both", "all") else next(iter(results.values()), {}), sys.stdout,
                  indent=1, default=str)
        print()
    else:
        print("\n\n".join(texts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
