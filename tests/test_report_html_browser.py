"""report.html rendered by a real headless Chromium, at 1280 px and on a 390 px phone.

The report comes from a real `logcrunch run` over generated logs (several hosts and hours, a
corrupt .gz, metrics, a host whose error rate stands out, a hostile error line). Chromium is driven
over its DevTools protocol (a pipe, no port), which lists every URL the page requested; it also runs
with a proxy that is a listening socket of this test and resolves no host name, so nothing could
leave anyway. The browser's own background requests (update checks, sign-in, which differ from one
Chromium version to the next) are not the page's and are not counted.
Screenshots are kept in /tmp/html-shots/ for a person to look at.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import select
import shutil
import signal
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

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

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


# Attributes whose value is a URL the browser may fetch (now, later, or on a person's action),
# and CSS's url() and @import: what the network log of one headless load does not show
# (preconnect and DNS hints open connections without a request, headless fetches no icon,
# a delayed refresh, a lazy image below the fold or a :hover background come later).
URL_ATTRIBUTES = {"href", "src", "srcset", "poster", "data", "action", "formaction", "ping",
                  "xlink:href", "background", "imagesrcset", "manifest", "cite", "longdesc"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.IGNORECASE)
REFRESH_URL = re.compile(r"""url\s*=\s*['"]?([^'"\s]+)""", re.IGNORECASE)


class References(HTMLParser):
    """Every URL a DOM names in an attribute, a meta refresh or CSS (``<style>``, ``style=``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._style = False

    def handle_starttag(self, tag, attrs):
        self._style = tag == "style"
        for name, value in attrs:
            if value is None:
                continue
            if name in {"srcset", "imagesrcset"}:
                self.urls += [part.split()[0] for part in value.split(",") if part.split()]
            elif name in URL_ATTRIBUTES:
                self.urls.append(value)
            elif name == "style":
                self.handle_css(value)
            elif name == "content" and dict(attrs).get("http-equiv", "").lower() == "refresh":
                self.urls += REFRESH_URL.findall(value)

    def handle_endtag(self, tag):
        self._style = False

    def handle_data(self, data):
        if self._style:
            self.handle_css(data)

    def handle_css(self, css: str) -> None:
        self.urls += [imported or address for address, imported in CSS_URL.findall(css)]


class Page:
    """What one load of a page gave: its DOM after load, every URL the page itself asked for
    (from Chromium's DevTools network log of that page, so the browser's own update, sign-in and
    connectivity requests, which change from version to version, are not counted) and every URL
    its DOM names."""

    def __init__(self, dom: str, requests: list[str], address: str) -> None:
        self.dom = dom
        self.requests = requests
        self.address = address

    def references(self) -> list[str]:
        """The URLs the DOM names, resolved against the page (or its ``<base>``)."""
        found = References()
        found.feed(self.dom)
        base = next((attrs["href"] for tag, attrs in parse(self.dom).tags
                     if tag == "base" and attrs.get("href")), self.address)
        return [urljoin(urljoin(self.address, base), url) for url in found.urls]

    def fetches_from_outside(self) -> list[str]:
        """The requests, and the URLs named in the DOM, for anything but a local file or inline
        data."""
        return [url for url in self.requests + self.references() if not is_local(url)]


def is_local(url: str) -> bool:
    """A file of this machine or inline data (``file://host/`` names another machine)."""
    parts = urlsplit(url)
    return parts.scheme == "data" or (parts.scheme == "file"
                                      and parts.netloc in {"", "localhost"})


class DevTools:
    """Chromium's DevTools protocol over ``--remote-debugging-pipe`` (fd 3 in, fd 4 out, each
    message JSON ended by a NUL byte). Every read has the launch's deadline."""

    def __init__(self, to_browser: int, from_browser: int, deadline: float) -> None:
        self._to, self._from, self._deadline = to_browser, from_browser, deadline
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _message(self) -> dict:
        while b"\0" not in self._buffer:
            left = self._deadline - time.monotonic()
            if left <= 0 or not select.select([self._from], [], [], left)[0]:
                raise TimeoutError("no answer from the browser in time")
            chunk = os.read(self._from, 1 << 20)
            if not chunk:
                raise ConnectionError("the browser closed its DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._message()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str, since: int = 0) -> dict:
        """The first ``method`` event from ``events[since]`` on (an earlier page's load event,
        say about:blank's, arriving late does not count)."""
        for event in self.events[since:]:
            if event.get("method") == method:
                return event
        while True:
            event = self._message()
            self.events.append(event)
            if event.get("method") == method:
                return event


def chromium(browser: str, page: Path, tmp_path: Path, width: int, height: int, proxy_port: int,
             screenshot: Path | None = None) -> Page:
    """Load ``page`` headless at ``width`` x ``height`` (a phone's mobile viewport below 600 px)
    and return its DOM and the URLs it requested (writing ``screenshot``). All traffic goes to the
    recording proxy and no host name resolves, so nothing can leave either way. Killed with
    SIGKILL (its whole process group) at the end or on timeout."""
    profile = tmp_path / f"profile-{width}-{os.getpid()}-{page.stem}"
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", "--hide-scrollbars",
            "--mute-audio", f"--user-data-dir={profile}", f"--window-size={width},{height}",
            f"--proxy-server=127.0.0.1:{proxy_port}", "--proxy-bypass-list=<-loopback>",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--remote-debugging-pipe", "about:blank"]
    to_read, to_write = os.pipe()
    from_read, from_write = os.pipe()
    log = open(tmp_path / f"chromium-{width}-{page.stem}.log", "wb")  # noqa: SIM115
    pid = os.posix_spawn(browser, args, dict(os.environ), setsid=True, file_actions=[
        (os.POSIX_SPAWN_DUP2, to_read, 3), (os.POSIX_SPAWN_DUP2, from_write, 4),
        (os.POSIX_SPAWN_DUP2, log.fileno(), 1), (os.POSIX_SPAWN_DUP2, log.fileno(), 2)])
    for end in (to_read, from_write):
        os.close(end)
    tools = DevTools(to_write, from_read, time.monotonic() + BROWSER_TIMEOUT)
    try:
        target = next(t["targetId"] for t in tools.call("Target.getTargets")["targetInfos"]
                      if t["type"] == "page")
        session = tools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        tools.call("Network.enable", session)
        tools.call("Page.enable", session)
        tools.call("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                   deviceScaleFactor=1, mobile=width < 600)
        navigated = len(tools.events)
        tools.call("Page.navigate", session, url=page.as_uri())
        tools.wait_for("Page.loadEventFired", since=navigated)
        dom = tools.call("Runtime.evaluate", session, returnByValue=True,
                         expression="document.documentElement.outerHTML")["result"]["value"]
        if screenshot is not None:
            shot = tools.call("Page.captureScreenshot", session, format="png")
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        requests = [event["params"]["request"]["url"] for event in tools.events
                    if event.get("method") == "Network.requestWillBeSent"
                    and event.get("sessionId") == session]
    except (TimeoutError, ConnectionError) as problem:
        log.flush()
        tail = (tmp_path / log.name).read_bytes()[-2000:].decode(errors="replace")
        pytest.fail(f"{browser} on {page}: {problem}\n{tail}")
    finally:
        for end in (to_write, from_read):
            os.close(end)
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        log.close()
    return Page(dom, requests, page.as_uri())


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
    loaded = chromium(browser, night / "report.html", tmp_path, width,
                      4800 if width < 600 else 2500, proxy.port, shot)
    dom = loaded.dom
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
    assert loaded.requests == [(night / "report.html").as_uri()]
    assert loaded.fetches_from_outside() == []


def test_a_hostile_log_line_shows_as_text_and_injects_nothing(browser, night, proxy, tmp_path):
    loaded = chromium(browser, night / "report.html", tmp_path, 1280, 2000, proxy.port)
    dom = loaded.dom
    page = parse(dom)
    assert page.count("script") == 0
    assert page.count("img") == 0
    assert page.title == "logcrunch report, run 1"
    text = " ".join(page.text)
    assert '<script>document.title="pwned"</script>' in text
    assert "<img src=x onerror=alert(1)>" in text
    assert loaded.requests == [(night / "report.html").as_uri()]
    assert loaded.fetches_from_outside() == []


def test_the_fetch_check_sees_a_page_that_fetches_from_outside(browser, proxy, tmp_path):
    """The no-fetches check above can fail: a remote image, stylesheet and CSS font trip it,
    and the proxy fence sees them too."""
    page = tmp_path / "fetching.html"
    page.write_text('<!DOCTYPE html><html><head>'
                    '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
                    '<style>body { background: url("http://cdn.example.net/bg.png") }</style>'
                    '</head><body><img src="http://example.com/x.png"></body></html>')
    before = len(proxy.connections)
    loaded = chromium(browser, page, tmp_path, 400, 300, proxy.port)
    outside = loaded.fetches_from_outside()
    assert "http://example.com/x.png" in outside
    assert "https://fonts.googleapis.com/css?family=Roboto" in outside
    assert "http://cdn.example.net/bg.png" in outside
    assert any(b"example.com" in request for request in proxy.connections[before:])
    del proxy.connections[before:]


def test_the_fetch_check_sees_hints_icons_and_loads_that_come_later(browser, proxy, tmp_path):
    """What the network log of one headless load never shows still trips the check: a
    preconnect or DNS hint (a connection, no request), an icon (headless fetches none), a
    refresh after a delay, a lazy image below the fold, a background shown on hover."""
    page = tmp_path / "later.html"
    page.write_text('<!DOCTYPE html><html><head>'
                    '<link rel="preconnect" href="https://preconnect.example">'
                    '<link rel="dns-prefetch" href="//dns.example">'
                    '<link rel="icon" href="http://icon.example/favicon.ico">'
                    '<meta http-equiv="refresh" content="5; url=http://refresh.example/">'
                    '<style>a:hover { background: url(http://hover.example/h.png) }</style>'
                    '</head><body><a href="#top">top</a><div style="height: 20000px"></div>'
                    '<img loading="lazy" srcset="http://lazy.example/i.png 1x"></body></html>')
    before = len(proxy.connections)
    outside = " ".join(chromium(browser, page, tmp_path, 400, 300, proxy.port)
                       .fetches_from_outside())
    for host in ("preconnect.example", "dns.example", "icon.example", "refresh.example",
                 "hover.example", "lazy.example"):
        assert host in outside
    assert "#top" not in outside
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
