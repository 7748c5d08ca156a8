"""report.html: one self-contained page over the CSVs of a run, for the operator who opens it.

Rules the page keeps (tests/test_html_report.py and tests/test_report_html_browser.py hold them):

- It is built from the CSVs' own rows (`report.report_tables`): every number shown is a CSV cell
  verbatim (error rates are also shown as a percentage, with the exact cell as the tooltip).
- One file, nothing fetched: inline ``<style>`` only, no ``<script>``, no ``src``/``href``/``url(``
  but ``#fragments``; a Content-Security-Policy that forbids everything else. Charts are inline
  SVG with a viewBox, text labels and ``<title>`` tooltips, readable with scripts disabled.
- Every text that came from logs or paths is HTML-escaped (`html.escape`): a log line is shown,
  never interpreted.
- Pure and deterministic: no I/O, no clock; the same tables give the same bytes.

The attention section comes first: failed files, new templates and spikes (changes.csv's rows;
None: no baseline yet) and the groups whose error rate stands out (`standout_groups`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from html import escape
from itertools import takewhile

from logcrunch import defaults
from logcrunch.report import OTHER_TEMPLATES, RunInfo, Table

ERROR_COLOUR = "#d93025"
WARN_COLOUR = "#f29900"


def render_html(tables: dict[str, Table], run: RunInfo,
                changes: Sequence[dict[str, str]] | None = None) -> str:
    """The page for one run: ``tables`` as `report.report_tables` gives them, ``changes`` as
    changes.csv's rows (dicts of its column strings) or None when there is no baseline."""
    summary = _records(tables["summary.csv"])
    overall = summary[0] if summary else {}
    sections = [
        _header(run, overall),
        _nav(),
        _attention(tables, summary, changes),
        _timeline(tables["timeline.csv"], summary),
        _templates(tables["templates.csv"]),
        _groups(summary),
        _metrics(tables["metrics.csv"]),
        '<footer>Made by logcrunch from the same rows as the CSVs beside this file: every count '
        'here is one of their cells. Times are UTC.</footer>',
    ]
    title = f"logcrunch report, run {run.run_id}" if run.run_id is not None else \
        "logcrunch report"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        'style-src \'unsafe-inline\'; img-src data:">\n'
        f'<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n'
        '<div class="page">\n' + "\n".join(sections) + '\n</div>\n</body>\n</html>\n'
    )


def standout_groups(summary: list[dict[str, str]]) -> list[dict[str, str]]:
    """summary.csv's group rows whose error rate stands out, highest rate first: at least
    ``defaults.OUTLIER_RATE_FACTOR`` times the overall rate (the ``*`` row) and at least
    ``defaults.OUTLIER_MIN_ERROR_LINES`` error lines. None with fewer than two groups or no
    errors at all."""
    if len(summary) < 3:  # "*" and one group: the group is the whole
        return []
    overall_rate = float(summary[0]["error_rate"])
    if overall_rate <= 0:
        return []
    found = [row for row in summary[1:]
             if int(row["error_lines"]) >= defaults.OUTLIER_MIN_ERROR_LINES
             and float(row["error_rate"]) >= defaults.OUTLIER_RATE_FACTOR * overall_rate]
    return sorted(found, key=lambda row: (-float(row["error_rate"]), row["group"]))


# ----- sections ------------------------------------------------------------------------------


def _header(run: RunInfo, overall: dict[str, str]) -> str:
    status = run.status or "unknown"
    tone = {"ok": "good", "files_failed": "bad"}.get(status, "warn")
    facts = [("Run", "" if run.run_id is None else str(run.run_id)),
             ("Roots", " ".join(run.roots)), ("Started", _utc(run.started)),
             ("Ended", _utc(run.ended))]
    meta = "".join(f"<div><dt>{name}</dt><dd>{escape(value) or '&mdash;'}</dd></div>"
                   for name, value in facts)
    files_note = (f"{_cell(overall, 'files_ok')} ok &middot; {_cell(overall, 'files_failed')} "
                  f"failed &middot; {_cell(overall, 'files_skipped')} skipped")
    cards = [
        _card("Files", _cell(overall, "files"), files_note, "files"),
        _card("Lines", _cell(overall, "lines"), f"{_cell(overall, 'bytes')} bytes", "lines"),
        _card("Error lines", _cell(overall, "error_lines"),
              f"error rate {_rate_html(overall.get('error_rate', ''))}", "error_lines", "err"),
        _card("Warning lines", _cell(overall, "warn_lines"), "", "warn_lines", "warn"),
    ]
    return (f'<header>\n<div class="title"><h1>logcrunch report</h1>'
            f'<span class="pill {tone}">{escape(status)}</span></div>\n'
            f'<dl class="meta">{meta}</dl>\n<div class="cards" id="totals">{"".join(cards)}</div>'
            '\n</header>')


def _nav() -> str:
    links = [("attention", "Attention"), ("timeline", "Timeline"), ("templates", "Templates"),
             ("groups", "Groups"), ("metrics", "Metrics")]
    return '<nav>' + "".join(f'<a href="#{anchor}">{name}</a>' for anchor, name in links) + \
        '</nav>'


def _attention(tables: dict[str, Table], summary: list[dict[str, str]],
               changes: Sequence[dict[str, str]] | None) -> str:
    failed = _records(tables["files.csv"], lambda row: row["status"] == "failed")
    standout = standout_groups(summary)
    blocks = [_failed_block(failed), *_change_blocks(changes), _standout_block(summary, standout)]
    calm = not failed and not standout and not any(
        row.get("change") in ("new", "up", "down") for row in changes or ())
    verdict = ('<p class="verdict good">Nothing needs attention tonight.</p>' if calm else "")
    return (f'<section id="attention"><h2>Needs attention</h2>{verdict}'
            f'<div class="blocks">{"".join(blocks)}</div></section>')


def _failed_block(failed: list[dict[str, str]]) -> str:
    if not failed:
        return _block("Failed files", "0", '<p class="quiet">Every file was read.</p>', "good")
    rows = [[_td(row["path"], "path"), _td(row["error"], "text")]
            for row in failed[:defaults.HTML_MAX_LIST_ROWS]]
    body = _table(["File", "Why"], rows, "failed-files") + \
        _more(len(failed), "failed files", "files.csv")
    return _block("Failed files", str(len(failed)), body, "bad")


def _change_blocks(changes: Sequence[dict[str, str]] | None) -> list[str]:
    if changes is None:
        note = ('<p class="quiet">No baseline yet: new templates and spikes (night-over-night '
                'changes) appear once an earlier run over the same roots has finished.</p>')
        return [_block("New templates and spikes", "&mdash;", note, "quiet")]
    new = [row for row in changes if row.get("kind") == "template" and row.get("change") == "new"]
    spikes = [row for row in changes if row.get("change") in ("up", "down")]
    gone = sum(1 for row in changes if row.get("change") == "gone")
    if new:
        rows = [[_group_td(row.get("group", "")), _what_td(row, row.get("name", "")),
                 _td(row.get("tonight", ""), "num")]
                for row in new[:defaults.HTML_MAX_LIST_ROWS]]
        new_body = _table(["Group", "Template", "Tonight"], rows, "new-templates") + \
            _more(len(new), "new templates", "changes.csv")
    else:
        new_body = '<p class="quiet">No template is new since the baseline.</p>'
    if gone:
        new_body += f'<p class="quiet">{gone} seen at the baseline but not tonight.</p>'
    if spikes:
        rows = [[_group_td(row.get("group", "")),
                 _what_td(row, row.get("name", "") if row.get("kind") == "template" else
                          "all lines"),
                 _td(row.get("baseline", ""), "num"), _td(row.get("tonight", ""), "num"),
                 f'<td class="change {escape(row.get("change", ""))}">'
                 f'{_ARROWS.get(row.get("change", ""), "")} {escape(row.get("change", ""))}</td>']
                for row in spikes[:defaults.HTML_MAX_LIST_ROWS]]
        spike_body = _table(["Group", "What", "Baseline", "Tonight", "Change"], rows,
                            "spikes") + _more(len(spikes), "spikes", "changes.csv")
    else:
        spike_body = '<p class="quiet">No count moved enough to be a spike.</p>'
    return [_block("New templates", str(len(new)), new_body, "warn" if new else "good"),
            _block("Spikes", str(len(spikes)), spike_body, "warn" if spikes else "good")]


_ARROWS = {"up": "&#9650;", "down": "&#9660;"}


def _standout_block(summary: list[dict[str, str]], standout: list[dict[str, str]]) -> str:
    rule = (f'<p class="rule">Stands out: an error rate at least '
            f'{defaults.OUTLIER_RATE_FACTOR:g}&times; the overall '
            f'{_rate_html(summary[0]["error_rate"]) if summary else ""} and at least '
            f'{defaults.OUTLIER_MIN_ERROR_LINES} error lines.</p>')
    if not standout:
        return _block("Groups that stand out", "0",
                      '<p class="quiet">No group&#8217;s error rate stands out.</p>' + rule,
                      "good")
    rows = [[_td(row["group"], "path"), _td(row["error_lines"], "num"), _td(row["lines"], "num"),
             f'<td class="num">{_rate_html(row["error_rate"])}</td>'] for row in standout]
    body = _table(["Group", "Error lines", "Lines", "Error rate"], rows, "standout") + rule
    return _block("Groups that stand out", str(len(standout)), body, "bad")


def _timeline(table: Table, summary: list[dict[str, str]]) -> str:
    by_group: dict[str, list[list[str]]] = {}
    for row in table.rows():
        by_group.setdefault(row[0], []).append(row)
    overall = by_group.get("*", [])
    unstamped = next((row for row in overall if row[1] == ""), None)
    hours = [row[1] for row in overall if row[1]][-defaults.HTML_MAX_CHART_HOURS:]
    if not hours:
        return ('<section id="timeline"><h2>Errors and warnings per hour</h2>'
                '<p class="quiet">No line carried a time stamp.</p></section>')
    parts = ['<section id="timeline"><h2>Errors and warnings per hour</h2>',
             '<p class="legend"><span class="key err"></span>error lines '
             '<span class="key warn"></span>warning lines <span class="quiet">(UTC; hover a '
             'bar for its counts)</span></p>',
             # Two drawings, one shown: a phone gets the narrow one, with legible labels.
             f'<div class="chart"><div class="wide">{_hour_chart(overall, hours, "*", 960, 260)}'
             f'</div><div class="narrow">{_hour_chart(overall, hours, "*", 520, 300)}</div></div>']
    if len(hours) < sum(1 for row in overall if row[1]):
        parts.append(f'<p class="quiet">The latest {len(hours)} hours; timeline.csv has '
                     'them all.</p>')
    if unstamped is not None:
        parts.append(f'<p class="quiet">Lines before a file&#8217;s first time stamp (no hour): '
                     f'{escape(unstamped[2])} lines, {escape(unstamped[3])} error lines, '
                     f'{escape(unstamped[4])} warning lines.</p>')
    groups = sorted((row for row in summary[1:] if row["group"] in by_group),
                    key=lambda row: (-int(row["error_lines"]), row["group"]))
    shown = groups[:defaults.HTML_MAX_GROUP_CHARTS]
    if shown:
        top = max(_peak(by_group[row["group"]], hours) for row in shown)
        cells = [f'<figure class="small"><figcaption><strong>{escape(row["group"])}</strong> '
                 f'<span class="err-t">{escape(row["error_lines"])} err</span> &middot; '
                 f'<span class="warn-t">{escape(row["warn_lines"])} warn</span></figcaption>'
                 f'{_hour_chart(by_group[row["group"]], hours, row["group"], 320, 110, top)}'
                 '</figure>' for row in shown]
        parts.append('<h3>Per group <span class="quiet">(same scale; most error lines '
                     'first)</span></h3><div class="multiples">' + "".join(cells) + '</div>')
        parts.append(_more(len(groups), "groups", "timeline.csv",
                           limit=defaults.HTML_MAX_GROUP_CHARTS))
    return "".join(parts) + '</section>'


def _templates(table: Table) -> str:
    rows = _records(table)
    parts = ['<section id="templates"><h2>Top templates</h2>']
    for level, heading in (("error", "Error templates"), ("warn", "Warning templates")):
        ranked = [row for row in rows if row["group"] == "*" and row["level"] == level]
        named = [row for row in ranked if row["template"] != OTHER_TEMPLATES]
        other = next((row for row in ranked if row["template"] == OTHER_TEMPLATES), None)
        parts.append(f'<h3>{heading}</h3>')
        if not ranked:
            parts.append('<p class="quiet">None.</p>')
            continue
        shown = named[:defaults.HTML_TOP_TEMPLATES]
        body = [[_td(row["count"], "num"), _td(row["files"], "num"),
                 f'<td class="tmpl"><code>{escape(row["template"])}</code>'
                 f'<div class="example" title="{escape(row["example_path"])}">e.g. '
                 f'<code>{escape(row["example"])}</code></div></td>',
                 _td(row["first_ts"], "ts"), _td(row["last_ts"], "ts")] for row in shown]
        if other is not None:
            body.append([_td(other["count"], "num"), _td(other["files"], "num"),
                         f'<td class="tmpl quiet">{escape(OTHER_TEMPLATES)}: beyond templates'
                         '.csv&#8217;s top rows, the exact rest</td>', '<td></td>', '<td></td>'])
        parts.append(_table(["Lines", "Files", "Template and an example", "First seen",
                             "Last seen"], body, f"templates-{level}", "templates"))
        parts.append(_more(len(named), f"{level} templates", "templates.csv",
                           limit=defaults.HTML_TOP_TEMPLATES))
    return "".join(parts) + '</section>'


def _groups(summary: list[dict[str, str]]) -> str:
    groups = summary[1:]
    if not groups:
        return ''
    top = max(float(row["error_rate"]) for row in groups) or 1.0
    standout = {row["group"] for row in standout_groups(summary)}
    badge = ' <span class="pill bad small">stands out</span>'
    body = [[f'<td class="path">{escape(row["group"])}'
             f'{badge if row["group"] in standout else ""}</td>',
             _td(row["files"], "num"),
             _td(row["files_failed"], "num err-t" if row["files_failed"] != "0" else "num"),
             _td(row["lines"], "num"),
             _td(row["error_lines"], "num"), _td(row["warn_lines"], "num"),
             f'<td class="rate">{_rate_bar(row["error_rate"], top)}</td>'] for row in groups]
    return ('<section id="groups"><h2>Groups</h2>' +
            _table(["Group", "Files", "Failed", "Lines", "Error lines", "Warning lines",
                    "Error rate"], body, "group-table") + '</section>')


def _metrics(table: Table) -> str:
    columns = [name for name in table.columns if name != "path"]
    index = [table.columns.index(name) for name in columns]
    rows = list(takewhile(lambda row: row[0] == "*", table.rows()))  # they come first
    if not rows:
        return ('<section id="metrics"><h2>Metrics</h2><p class="quiet">No metric samples.'
                '</p></section>')
    body = [[_td(row[i], "name" if name == "metric" else "num")
             for name, i in zip(columns, index, strict=True)] for row in rows]
    return ('<section id="metrics"><h2>Metrics <span class="quiet">(over all files; per file '
            'in metrics.csv)</span></h2>' + _table(columns, body, "metric-table") + '</section>')


# ----- charts --------------------------------------------------------------------------------


def _peak(rows: list[list[str]], hours: list[str]) -> int:
    wanted = set(hours)
    return max((max(int(row[3]), int(row[4])) for row in rows if row[1] in wanted), default=0)


def _hour_chart(rows: list[list[str]], hours: list[str], name: str, width: int, height: int,
                top: int | None = None) -> str:
    """Errors and warnings per hour as paired bars; ``top``: a shared y scale."""
    counts = {row[1]: row for row in rows if row[1]}
    small = width < 400
    left, right, upper, lower = (8, 4, 6, 4) if small else (56, 12, 14, 40)
    plot_w, plot_h = width - left - right, height - upper - lower
    peak = _nice(top if top is not None else _peak(rows, hours))
    slot = plot_w / len(hours)
    bar = max(slot * 0.42, 0.5)
    out = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-label="errors and warnings per hour, {escape(name)}">',
           f'<title>Errors and warnings per hour: {escape(name)}</title>']
    for tick in ((0, peak // 2, peak) if not small else (0, peak)):
        y = upper + plot_h - plot_h * tick / peak
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                   'stroke="#e3e6ea" stroke-width="1"/>')
        if not small:
            out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" '
                       f'font-size="13" fill="#5f6368">{tick}</text>')
    for position, hour in enumerate(hours):
        row = counts.get(hour, ["", hour, "0", "0", "0"])
        x = left + position * slot + slot * 0.08
        out.append(f'<g><title>{escape(hour)}: {escape(row[3])} error lines, {escape(row[4])} '
                   f'warning lines, {escape(row[2])} lines</title>'
                   f'<rect x="{left + position * slot:.2f}" y="{upper}" width="{slot:.2f}" '
                   f'height="{plot_h}" fill="transparent"/>')
        for offset, value, colour in ((0, int(row[3]), ERROR_COLOUR),
                                      (bar, int(row[4]), WARN_COLOUR)):
            if value:
                h = max(plot_h * value / peak, 1.0)
                out.append(f'<rect x="{x + offset:.2f}" y="{upper + plot_h - h:.2f}" '
                           f'width="{bar:.2f}" height="{h:.2f}" fill="{colour}"/>')
        out.append('</g>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{upper + plot_h}" '
               f'y2="{upper + plot_h}" stroke="#9aa0a6" stroke-width="1"/>')
    if not small:
        out.extend(_hour_labels(hours, left, slot, upper + plot_h))
    out.append('</svg>')
    return "".join(out)


def _hour_labels(hours: list[str], left: int, slot: float, base: float) -> list[str]:
    step = max(1, -(-len(hours) * 64 // int(slot * len(hours))))  # a label per 64 units
    for nice in (1, 2, 3, 4, 6, 12, 24, 48, 72, 168):
        if nice >= step:
            step = nice
            break
    labels = []
    last_day = ""
    for position in range(0, len(hours), step):
        hour = hours[position]
        day, clock = hour[5:10], hour[11:16]
        x = left + (position + 0.5) * slot
        labels.append(f'<text x="{x:.1f}" y="{base + 17:.1f}" text-anchor="middle" '
                      f'font-size="13" fill="#5f6368">{escape(clock)}</text>')
        if day != last_day:
            labels.append(f'<text x="{x:.1f}" y="{base + 33:.1f}" text-anchor="middle" '
                          f'font-size="12" fill="#80868b">{escape(day)}</text>')
            last_day = day
    return labels


def _nice(value: int) -> int:
    """The smallest 1/2/5 x 10^k at or above ``value`` (at least 1): a y axis' top."""
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def _rate_bar(rate_cell: str, top: float) -> str:
    width = 100 * float(rate_cell) / top if top else 0
    return (f'<span class="bar"><svg viewBox="0 0 100 10" width="100%" height="10" '
            f'preserveAspectRatio="none" aria-hidden="true"><rect width="100" height="10" '
            f'fill="#eef0f2"/><rect width="{width:.2f}" height="10" fill="{ERROR_COLOUR}"/>'
            f'</svg></span>{_rate_html(rate_cell)}')


# ----- small pieces --------------------------------------------------------------------------


def _records(table: Table, keep=lambda record: True) -> list[dict[str, str]]:
    """The table's rows as {column: cell} (those ``keep`` keeps: files.csv streams by)."""
    records = (dict(zip(table.columns, row, strict=True)) for row in table.rows())
    return [record for record in records if keep(record)]


def _cell(row: dict[str, str], column: str) -> str:
    return escape(row.get(column, ""))


def _rate_html(cell: str) -> str:
    """An error_rate cell as a percentage, the exact cell as its tooltip."""
    if not cell:
        return ""
    rate = float(cell)
    shown = "<0.01%" if 0 < rate < 0.0001 else f"{rate * 100:.2f}%"
    return f'<span class="pct" title="{escape(cell)}">{escape(shown)}</span>'


def _card(label: str, value: str, note: str, key: str, tone: str = "") -> str:
    return (f'<div class="card {tone}"><div class="label">{label}</div>'
            f'<div class="value" data-total="{key}">{value}</div>'
            f'<div class="note">{note}</div></div>')


def _block(title: str, count: str, body: str, tone: str) -> str:
    return (f'<div class="block {tone}"><h3><span class="count">{count}</span> {title}</h3>'
            f'{body}</div>')


def _td(text: str, css: str = "") -> str:
    css_attr = f' class="{css}"' if css else ""
    return f'<td{css_attr}>{escape(text)}</td>'


def _group_td(group: str) -> str:
    """A group cell; ``*`` (all groups) says so."""
    return f'<td class="path">{"all groups" if group == "*" else escape(group)}</td>'


def _what_td(change: dict[str, str], name: str) -> str:
    """A changes.csv row's level (as a coloured tag) and what it counts."""
    level = change.get("level", "")
    tag = (f'<span class="tag {level}">{escape(level)}</span> '
           if level in ("error", "warn") else "")
    return f'<td class="tmpl">{tag}<code>{escape(name)}</code></td>'


def _table(headers: list[str], rows: list[list[str]], table_id: str, css: str = "") -> str:
    """A table that scrolls sideways if it must and, on a phone, stacks each row as a card
    (every cell labelled with its column: ``data-label``)."""
    numeric = [bool(rows) and rows[0][i].startswith('<td class="num') for i in range(len(headers))]
    head = "".join(f'<th class="num">{escape(name)}</th>' if right else f"<th>{escape(name)}</th>"
                   for name, right in zip(headers, numeric, strict=True))
    labels = [f'<td data-label="{escape(name)}"' for name in headers]
    body = "".join("<tr>" + "".join(label + cell[3:] for label, cell in
                                    zip(labels, cells, strict=True)) + "</tr>" for cells in rows)
    return (f'<div class="scroll"><table id="{table_id}" class="stack {css}"><thead><tr>{head}'
            f'</tr></thead><tbody>{body}</tbody></table></div>')


def _more(total: int, what: str, where: str, limit: int = defaults.HTML_MAX_LIST_ROWS) -> str:
    if total <= limit:
        return ""
    return f'<p class="quiet">{total - limit} more {escape(what)} in {escape(where)}.</p>'


def _utc(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)) if epoch else ""


_CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#202124;font:15px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,"Helvetica Neue",Arial,sans-serif}
.page{max-width:1200px;margin:0 auto;padding:24px 20px 40px}
header{background:#fff;border-radius:12px;padding:20px 22px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.title{display:flex;align-items:center;gap:12px;flex-wrap:wrap}
h1{font-size:24px;margin:0;letter-spacing:-.01em}
h2{font-size:19px;margin:0 0 12px}
h3{font-size:15px;margin:18px 0 8px}
.meta{display:flex;flex-wrap:wrap;gap:6px 28px;margin:12px 0 16px}
.meta div{min-width:0}
.meta dt{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#5f6368}
.meta dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;
overflow-wrap:anywhere}
.pill{display:inline-block;padding:2px 10px;border-radius:999px;font-size:13px;font-weight:600}
.pill.good{background:#e6f4ea;color:#137333}.pill.bad{background:#fce8e6;color:#c5221f}
.pill.warn{background:#fef7e0;color:#b06000}.pill.small{font-size:11px;padding:1px 7px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px}
.card{border:1px solid #e3e6ea;border-radius:10px;padding:12px 14px;min-width:0}
.card .label{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#5f6368}
.card .value{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums;
overflow-wrap:anywhere}
.card .note{font-size:13px;color:#5f6368}
.card.err .value{color:#c5221f}.card.warn .value{color:#b06000}
nav{display:flex;gap:6px;flex-wrap:wrap;margin:16px 0}
nav a{color:#1a73e8;text-decoration:none;padding:4px 12px;border-radius:999px;background:#fff;
border:1px solid #dadce0;font-size:14px}
section{background:#fff;border-radius:12px;padding:18px 22px;margin:0 0 16px;
box-shadow:0 1px 3px rgba(0,0,0,.08)}
.blocks{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:12px}
.block{border:1px solid #e3e6ea;border-left:4px solid #dadce0;border-radius:8px;padding:10px 14px;
min-width:0}
.block h3{margin:2px 0 8px}.block .count{font-variant-numeric:tabular-nums}
.block.bad{border-left-color:#d93025}.block.warn{border-left-color:#f29900}
.block.good{border-left-color:#34a853}
.block.bad .count{color:#c5221f}.block.warn .count{color:#b06000}
.verdict{font-weight:600;margin:0 0 12px}.verdict.good{color:#137333}
.quiet{color:#5f6368;font-weight:normal}.rule{font-size:13px;color:#5f6368;margin:8px 0 0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:14px}
th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#5f6368;
font-weight:600;border-bottom:1px solid #dadce0;padding:6px 8px;white-space:nowrap}
td{border-bottom:1px solid #f1f3f4;padding:6px 8px;vertical-align:top}
th.num{text-align:right}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.ts{white-space:nowrap;font-size:13px;color:#5f6368;font-variant-numeric:tabular-nums}
td.path,td.name{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;
overflow-wrap:anywhere;min-width:6em}
td.tmpl{min-width:14em;max-width:46em}
td.tmpl code{white-space:pre-wrap;overflow-wrap:anywhere}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.example{color:#5f6368;margin-top:2px}.example code{font-size:12px}
.err-t{color:#c5221f}.warn-t{color:#b06000}
.tag{display:inline-block;font-size:11px;font-weight:600;text-transform:uppercase;
letter-spacing:.04em;padding:0 6px;border-radius:4px;margin-right:4px;vertical-align:1px}
.tag.error{background:#fce8e6;color:#c5221f}.tag.warn{background:#fef7e0;color:#b06000}
td.change.up{color:#c5221f;white-space:nowrap}td.change.down{color:#137333;white-space:nowrap}
td.rate{white-space:nowrap;min-width:11em}
.bar{display:inline-block;width:90px;margin-right:8px;vertical-align:middle;line-height:0}
.pct{font-variant-numeric:tabular-nums}
.legend{font-size:13px;margin:0 0 6px}
.key{display:inline-block;width:11px;height:11px;border-radius:2px;margin:0 4px 0 10px;
vertical-align:-1px}
.key.err{background:#d93025;margin-left:0}.key.warn{background:#f29900}
.chart svg{display:block}.chart .narrow{display:none}
.multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:10px}
figure.small{margin:0;border:1px solid #e3e6ea;border-radius:8px;padding:8px 10px 6px;min-width:0}
figure.small svg{display:block}
figcaption{font-size:13px;margin-bottom:4px;overflow-wrap:anywhere}
footer{color:#5f6368;font-size:13px;text-align:center;margin-top:20px}
@media (max-width:600px){
.page{padding:12px 10px 28px}header,section{padding:14px 14px;border-radius:10px}
h1{font-size:20px}.card .value{font-size:21px}
.cards{grid-template-columns:repeat(2,minmax(0,1fr));gap:8px}
.blocks{grid-template-columns:minmax(0,1fr)}
.chart .wide{display:none}.chart .narrow{display:block}
.multiples{grid-template-columns:repeat(2,minmax(0,1fr));gap:8px}
figure.small{padding:6px 6px 4px}figcaption{font-size:12px}
table.stack thead{display:none}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack tr{border-bottom:1px solid #e3e6ea;padding:8px 0}
table.stack td{display:flex;justify-content:space-between;gap:12px;border:0;padding:2px 0;
text-align:right;min-width:0;max-width:none;white-space:normal}
table.stack td::before{content:attr(data-label);color:#5f6368;font-size:12px;
text-transform:uppercase;letter-spacing:.04em;text-align:left;flex:none}
table.stack td:first-child{font-weight:600}
table.stack td.path,table.stack td.tmpl,table.stack td.name{display:block;text-align:left}
table.stack td.path::before,table.stack td.tmpl::before,table.stack td.name::before{display:none}
table.stack.templates tr{display:flex;flex-direction:column}
table.stack.templates td.tmpl{order:-1}
table.stack td.text{display:block;text-align:left}
table.stack td.text::before{display:block}
table.stack td:empty{display:none}
}
@media print{body{background:#fff}section,header{box-shadow:none;border:1px solid #dadce0}
nav{display:none}}
"""
