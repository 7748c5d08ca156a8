"""changes.csv over several nights, with real `logcrunch run` processes and a state database."""

import sqlite3

from tests.helpers import read_csv, run_logcrunch

HEADER = "group,kind,level,name,tonight,baseline,change\n"


def write_log(path, disk=0, slow=0, refused=0, info=10):
    """A syslog file: ``disk`` "ERROR disk N full", ``slow`` "WARN slow request Nms", ``refused``
    "ERROR connection refused to IP" and ``info`` INFO lines."""
    host = path.parent.name
    texts = ([f"ERROR disk {n} full" for n in range(disk)]
             + [f"WARN slow request {n}ms" for n in range(slow)]
             + [f"ERROR connection refused to 10.0.0.{n}" for n in range(refused)]
             + ["INFO all fine"] * info)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"Nov 27 02:{n % 60:02d}:01 {host} api[4000]: {text}\n"
                            for n, text in enumerate(texts)))


def night(tmp_path, root, out, *extra):
    result = run_logcrunch("run", str(root), "--out", str(tmp_path / out), "--state",
                           str(tmp_path / "state.db"), "-j", "1", "-q", *extra)
    assert result.returncode == 0, result.stderr
    return (tmp_path / out / "changes.csv").read_text()


def rows(text):
    return [tuple(line.split(",")) for line in text.splitlines()[1:]]


def export(tmp_path, run_id, out, *extra):
    result = run_logcrunch("report", "--run", str(run_id), "--out", str(tmp_path / out),
                           "--state", str(tmp_path / "state.db"), *extra)
    assert result.returncode == 0, result.stderr
    return (tmp_path / out / "changes.csv").read_text()


def test_full_runs_report_new_spiking_and_gone_templates_against_the_nights_before(tmp_path):
    root = tmp_path / "logs"
    write_log(root / "node00" / "app.log", disk=12, slow=4, info=20)
    write_log(root / "node01" / "app.log", info=10)
    assert night(tmp_path, root, "night1") == HEADER  # no night before: nothing to compare
    write_log(root / "node00" / "app.log", disk=15, slow=4, info=20)  # a little more: no change
    # Other comparison options: still the same command, still compared with night 1.
    assert night(tmp_path, root, "night2", "--baseline", "3", "--change-min-lines", "2") == HEADER
    write_log(root / "node00" / "app.log", disk=40, info=20)  # a spike, and no more slow requests
    write_log(root / "node01" / "app.log", refused=3, info=10)  # never seen before
    tonight = night(tmp_path, root, "night3")
    with sqlite3.connect(tmp_path / "state.db") as db:  # stored as each run finished
        assert [run for (run,) in db.execute("SELECT run_id FROM aggregates")] == [1, 2, 3]
    # Baselines: nights 1 and 2, so the median of 12 and 15 disk errors is 13.5.
    assert rows(tonight) == [
        ("*", "template", "error", "connection refused to <*>", "3", "0", "new"),
        ("node01", "template", "error", "connection refused to <*>", "3", "0", "new"),
        ("*", "total", "error", "error_lines", "43", "13.5", "up"),
        ("*", "template", "error", "disk <*> full", "40", "13.5", "up"),
        ("node00", "total", "error", "error_lines", "40", "13.5", "up"),
        ("node00", "template", "error", "disk <*> full", "40", "13.5", "up"),
        ("*", "template", "warn", "slow request <*>", "0", "4", "gone"),
        ("node00", "template", "warn", "slow request <*>", "0", "4", "gone"),
    ]
    # Re-created from the state database, against the runs before each one.
    assert export(tmp_path, 3, "again3") == tonight
    assert export(tmp_path, 2, "again2") == HEADER
    only_night2 = rows(export(tmp_path, 3, "against2", "--baseline", "1"))
    assert ("*", "template", "error", "disk <*> full", "40", "15", "up") in only_night2
    assert export(tmp_path, 3, "off", "--baseline", "0") == HEADER
    stricter = rows(export(tmp_path, 3, "strict", "--change-ratio", "3", "--change-min-lines",
                           "27"))
    assert [r[3] for r in stricter if r[6] == "up"] == ["error_lines"]  # 29.5 apart, over 3x


def test_incremental_nights_compare_deltas_with_deltas_never_with_full_runs(tmp_path):
    root = tmp_path / "logs"
    write_log(root / "node00" / "app-1.log", disk=10)
    assert night(tmp_path, root, "i1", "--incremental") == HEADER
    write_log(root / "node00" / "app-2.log", disk=10)  # tonight's delta: just like last night's
    assert night(tmp_path, root, "i2", "--incremental") == HEADER
    # A full run over the same roots: no full run before it, so nothing to compare with.
    assert night(tmp_path, root, "full") == HEADER
    write_log(root / "node00" / "app-3.log", disk=40, slow=1)
    tonight = night(tmp_path, root, "i3", "--incremental", "--baseline", "1")
    assert [r["path"] for r in read_csv(tmp_path / "i3" / "files.csv")] == [
        str(root / "node00" / "app-3.log")]
    # Against night i2's delta (10 disk errors, 20 lines), not the full run's 20 and 40.
    assert rows(tonight) == [
        ("*", "template", "warn", "slow request <*>", "1", "0", "new"),
        ("node00", "template", "warn", "slow request <*>", "1", "0", "new"),
        ("*", "total", "", "lines", "51", "20", "up"),
        ("node00", "total", "", "lines", "51", "20", "up"),
        ("*", "total", "error", "error_lines", "40", "10", "up"),
        ("*", "template", "error", "disk <*> full", "40", "10", "up"),
        ("node00", "total", "error", "error_lines", "40", "10", "up"),
        ("node00", "template", "error", "disk <*> full", "40", "10", "up"),
    ]
    assert export(tmp_path, 4, "again", "--baseline", "1") == tonight
