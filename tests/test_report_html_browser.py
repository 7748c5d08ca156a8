"""report.html rendered by a real headless Chromium, at 1280 px and on a 390 px phone.

The report comes from a real `logcrunch run` over generated logs (several hosts and hours, a
corrupt .gz, metrics, a host whose error rate stands out, a hostile error line). Chromium runs with
a proxy that is a listening socket of this test: any fetch from outside would connect to it.
Screenshots are kept in /tmp/html-shots/ for a person to look at.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.helpers import read_csv, run_logcrunch

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
BROWSER_TIMEOUT = 30  # seconds per launch; a launch takes 1-3 s
SHOTS = Path("/tmp/html-shots")
HOSTILE = '<script>document.title="pwned"</script> <img src=x onerror=alert(1)>'

TEMPLATES = [
    ("INFO", "request handled path=/api/items latency_ms={latency} bytes={size}"),
    ("INFO", "cache refresh done entries={size}"),
    ("WARN", "slow query on orders took {latency} ms"),
    ("WARNING", "retrying upstream call attempt {small} of 5"),
    ("ERROR", "database connection lost after {latency} ms"),
    ("ERROR", "payment gateway returned status 502 for order {size}"),
]


def make_night(root: Path) -> None:
    """Four hosts over six hours (20:00 to 02:00 UTC) of ISO-stamped logs with logfmt metrics:
    node03 errs far more than the rest around midnight, node02 logs a hostile error line,
    node01 holds a corrupt .gz."""
    start = datetime(2026, 11, 27, 20, tzinfo=UTC)
    for host in range(4):
        directory = root / f"node{host:02d}" / "app"
        directory.mkdir(parents=True)
        lines = []
        for number in range(600):
            stamp = start + timedelta(seconds=number * 36)  # 100 lines an hour
            pick = (number * 7 + host) % 23
            if host == 3 and 200 <= number < 500 and pick % 6:
                level, text = TEMPLATES[4]
            elif pick < 13:
                level, text = TEMPLATES[pick % 2]
            elif pick < 20:
                level, text = TEMPLATES[2 + pick % 2]
            else:
                level, text = TEMPLATES[4 + pick % 2]
            message = text.format(latency=17 + number * 13 % 900, size=1000 + number * 37,
                                  small=1 + number % 5)
            lines.append(f"{stamp:%Y-%m-%dT%H:%M:%SZ} node{host:02d} app[{4100 + host}]: "
                         f"{level} {message}")
        if host == 2:
            lines.insert(300, f"2026-11-27T23:10:00Z node02 app[4102]: ERROR bad input {HOSTILE}")
        (directory / "app.log").write_text("\n".join(lines) + "\n")
    (root / "node01" / "app" / "app.log.1.gz").write_bytes(
        gzip.compress(b"2026-11-27T19:00:00Z x: ERROR y\n" * 50)[:60])


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


# Chromium's own sign-in, connectivity, clock and update requests, which no flag turns off
# in this version: not the page's. Anything else through the proxy is a fetch of the page.
BROWSER_OWN_HOSTS = {"www.google.com", "accounts.google.com", "clients2.google.com",
                     "redirector.gvt1.com"}


def requested_host(request: bytes) -> str:
    """The host a proxy request asks for (``CONNECT host:443`` or ``GET http://host/...``)."""
    target = request.split(b" ", 2)[1].decode(errors="replace") if b" " in request else ""
    return re.sub(r"^[a-z]+://", "", target).split("/")[0].rsplit(":", 1)[0]


class Recorder:
    """A listening socket standing in for a proxy: it records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1.0)
                try:
                    self.connections.append(conn.recv(4096))
                except OSError:
                    self.connections.append(b"")

    def page_fetches(self) -> list[str]:
        """The hosts asked for, but Chromium's own (`BROWSER_OWN_HOSTS`)."""
        return [host for host in map(requested_host, self.connections)
                if host not in BROWSER_OWN_HOSTS]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


def chromium(browser: str, page: Path, tmp_path: Path, width: int, height: int, proxy_port: int,
             screenshot: Path | None = None) -> str:
    """Load ``page`` headless at ``width`` x ``height``; returns the DOM after load (and writes
    ``screenshot``). Killed with SIGKILL (its whole process group) on timeout."""
    profile = tmp_path / f"profile-{width}-{os.getpid()}-{page.stem}"
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", "--hide-scrollbars",
            "--mute-audio", f"--user-data-dir={profile}", f"--window-size={width},{height}",
            f"--proxy-server=127.0.0.1:{proxy_port}", "--proxy-bypass-list=<-loopback>",
            # Nothing resolves: a fetch the proxy missed could not leave either.
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--virtual-time-budget=2000",
            "--dump-dom"]
    if screenshot is not None:
        args.append(f"--screenshot={screenshot}")
    args.append(page.as_uri())
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, cwd=tmp_path)
    try:
        out, err = proc.communicate(timeout=BROWSER_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{browser} took longer than {BROWSER_TIMEOUT} s on {page}")
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode()


class Elements(HTMLParser):
    """Tags, the document title, the text and the table cells of a DOM dump."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.title = ""
        self._in_title = False
        self._style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title" and len([t for t, _a in self.tags if t == "svg"]) == 0 \
            and not self.title
        self._style = tag == "style"

    def handle_endtag(self, tag):
        self._in_title = False
        self._style = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif not self._style:
            self.text.append(data)

    def count(self, tag: str) -> int:
        return sum(1 for name, _attrs in self.tags if name == tag)


def parse(dom: str) -> Elements:
    parser = Elements()
    parser.feed(dom)
    return parser


@pytest.fixture(scope="module")
def browser():
    found = find_browser()
    if found is None:
        pytest.skip(f"no Chromium found (looked for {', '.join(BROWSERS)}); CI installs "
                    "Debian's chromium")
    return found


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    base = tmp_path_factory.mktemp("night")
    make_night(base / "logs")
    result = run_logcrunch("run", str(base / "logs"), "--out", str(base / "out"), "--state",
                           str(base / "state.db"), "-j", "1")
    assert result.returncode == 3, result.stderr  # the corrupt .gz failed
    return base / "out"


@pytest.fixture(scope="module")
def proxy():
    recorder = Recorder()
    yield recorder
    recorder.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_report_renders_in_chromium_with_its_totals_charts_and_templates(
        browser, night, proxy, tmp_path, width):
    SHOTS.mkdir(exist_ok=True)
    shot = SHOTS / f"report-{width}.png"
    shot.unlink(missing_ok=True)
    dom = chromium(browser, night / "report.html", tmp_path, width, 4800 if width < 600 else 2500,
                   proxy.port, shot)
    page = parse(dom)
    assert shot.stat().st_size > 20_000  # a real picture, not a blank page
    assert page.count("svg") >= 1 + 4 + 4  # the overall timeline, one per host, rate bars
    text = " ".join(" ".join(page.text).split())
    overall = read_csv(night / "summary.csv")[0]
    totals = dict(re.findall(r'data-total="(\w+)">([^<]*)<', dom))
    assert totals == {key: overall[key] for key in ("files", "lines", "error_lines",
                                                     "warn_lines")}
    for row in read_csv(night / "templates.csv"):
        if row["group"] == "*" and row["template"] != "(other templates)":
            assert row["template"] in text
    hours = [row for row in read_csv(night / "timeline.csv") if row["group"] == "*"]
    assert len(hours) == 6
    for row in hours:  # the overall chart's bars say timeline.csv's numbers
        assert (f"<title>{row['hour']}: {row['error_lines']} error lines, {row['warn_lines']} "
                f"warning lines, {row['lines']} lines</title>") in dom
    assert "node03" in dom.split('id="standout"')[1].split("</table>")[0]
    assert "app.log.1.gz" in dom.split('id="failed-files"')[1].split("</table>")[0]
    assert proxy.page_fetches() == []


def test_a_hostile_log_line_shows_as_text_and_injects_nothing(browser, night, proxy, tmp_path):
    dom = chromium(browser, night / "report.html", tmp_path, 1280, 2000, proxy.port)
    page = parse(dom)
    assert page.count("script") == 0
    assert page.count("img") == 0
    assert page.title == "logcrunch report, run 1"
    text = " ".join(page.text)
    assert '<script>document.title="pwned"</script>' in text
    assert "<img src=x onerror=alert(1)>" in text
    assert proxy.page_fetches() == []


def test_the_proxy_check_sees_a_page_that_fetches_from_outside(browser, proxy, tmp_path):
    """The zero-connections check above can fail: a page with one remote image trips it."""
    page = tmp_path / "fetching.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://example.com/x.png">'
                    '</body></html>')
    before = len(proxy.connections)
    chromium(browser, page, tmp_path, 400, 300, proxy.port)
    assert "example.com" in proxy.page_fetches()
    del proxy.connections[before:]


def test_report_recreates_report_html_byte_for_byte_and_no_html_removes_it(night, tmp_path):
    state = str(night.parent / "state.db")
    again = run_logcrunch("report", "--run", "1", "--out", str(tmp_path / "again"), "--state",
                          state)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again" / "report.html").read_bytes() == \
        (night / "report.html").read_bytes()
    bare = run_logcrunch("report", "--run", "1", "--out", str(tmp_path / "again"), "--state",
                         state, "--no-html")
    assert bare.returncode == 0, bare.stderr
    assert not (tmp_path / "again" / "report.html").exists()
    assert (tmp_path / "again" / "_SUCCESS").exists()


def test_run_with_no_html_writes_only_the_csvs(night, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("an older night's page")
    result = run_logcrunch("run", str(night.parent / "logs"), "--out", str(out), "--state",
                           str(tmp_path / "state.db"), "-j", "1", "--no-html")
    assert result.returncode == 3, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "_SUCCESS", "changes.csv", "files.csv", "metrics.csv", "summary.csv", "templates.csv",
        "timeline.csv"]
