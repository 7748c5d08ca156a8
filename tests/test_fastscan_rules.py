"""The C scanner (logcrunch/_fastscan.c, scan_block) against the Python reference rules, line by
line and block by block.

The reference is formats.find_level, stamps.parse_stamp / year_for and
templates.line_template(content, "plain"), with tests/reference_scan.py for the logfmt numbers.
Each line is compared on its level class (NONE / NEUTRAL / WARN / ERROR), its hour key and its
template; whole blocks on every output of scan_block against ``reference_block`` below, a plain
per-line recomputation of the same outputs from those modules.
"""

from __future__ import annotations

import re
import sys
from array import array
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from logcrunch import formats, stamps, templates
from logcrunch.sketch import bucket_index

fastscan = pytest.importorskip("logcrunch._fastscan", reason="logcrunch._fastscan is not built")

sys.path.insert(0, str(Path(__file__).parent))
import reference_scan  # noqa: E402

from tests.helpers import logfmt_lines  # noqa: E402

THRESHOLD = (2026, 11, 28, 0, 0, 0)
NONE, NEUTRAL, WARN, ERROR = formats.NONE, formats.NEUTRAL, formats.WARN, formats.ERROR
MAX_ENTRIES = 65536


# --- the Python side -------------------------------------------------------------------------------


def content_of(line: bytes) -> bytes:
    """A line's content: without one "\\r" at its end (the line holds no "\\n")."""
    return line[:-1] if line.endswith(b"\r") else line


def stamp_key(content: bytes, threshold=THRESHOLD) -> int:
    """The hour key of a line's own stamp, -1 when it has none."""
    stamp = stamps.parse_stamp(content)
    if stamp is None:
        return -1
    year = stamp.year or stamps.year_for(stamp, threshold)
    zone = 4095 if stamp.offset is None else stamp.offset + 2048
    return ((((year * 13 + stamp.month) * 32 + stamp.day) * 24 + stamp.hour) * 60
            + stamp.minute) * 4096 + zone


_KEY_RE = re.compile(rb"[A-Za-z_][\w.\-]*")
_NUMBER_RE = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def number_tokens(line: bytes) -> list[tuple[bytes, bytes]]:
    """(key, value text) of the logfmt numbers of a line, by the rule of
    reference_scan.logfmt_numbers (checked against it in test_number_tokens_are_the_reference)."""
    found = []
    for token in line.split():
        key, equals, value = token.partition(b"=")
        if value.endswith((b",", b";")):
            value = value[:-1]
        if equals and _KEY_RE.fullmatch(key) and _NUMBER_RE.fullmatch(value):
            found.append((key, value))
    return found


def scaled(value: bytes) -> tuple[int, int] | None:
    """(value * 10**decimals, decimals) of a plain number of at most 18 digits, None for the
    numbers C leaves to Python (exponents, more digits)."""
    mantissa = value.lstrip(b"+-")
    if b"e" in mantissa.lower() or sum(c in b"0123456789" for c in mantissa) > 18:
        return None
    whole, _dot, fraction = mantissa.partition(b".")
    number = int(whole + fraction)
    return (-number if value.startswith(b"-") else number), len(fraction)


def reference_block(block, levels, ceiling, max_key, threshold, prev_key, overrides, admit,
                    want_templates):
    """scan_block's outputs, line by line from the reference modules."""
    lines = error_lines = warn_lines = level_lines = refused = 0
    table: dict[tuple[bytes, int], list[int]] = {}
    others: list[tuple[bytes, bytes]] = []
    hours: dict[int, list[int]] = {}
    counts: dict[tuple[int, bytes], list[int]] = {}
    first_stamped = last_stamped = -1
    key = prev_key
    forced = dict(overrides or [])
    limit = max_key if max_key >= 0 else float("inf")
    offset = 0
    for raw in block.split(b"\n")[:-1]:
        content = content_of(raw)
        lines += 1
        own = stamp_key(content, threshold)
        if own >= 0:
            key = own
            first_stamped = offset if first_stamped < 0 else first_stamped
            last_stamped = offset
        builtin = formats.find_level(content)[0] if levels else NONE
        level = forced.get(offset, builtin)
        level_lines += builtin != NONE or offset in forced
        error_lines += level == ERROR
        warn_lines += level == WARN
        row = hours.setdefault(key, [0, 0, 0])
        row[0] += 1
        row[1] += level == ERROR
        row[2] += level == WARN
        if want_templates and level in (ERROR, WARN):
            text = templates.line_template(content, "plain")
            entry = counts.setdefault((level, text), [0, offset, -1, -1])
            entry[0] += 1
            if own >= 0:
                entry[2] = offset if entry[2] < 0 else entry[2]
                entry[3] = offset
        for name, value in number_tokens(raw):
            if admit is not None and not admit(name):
                continue
            parts = scaled(value)
            if parts is None:
                others.append((name, value))
                continue
            number, decimals = parts
            aggregate = table.get((name, decimals))
            if aggregate is None:
                if len(name) > limit or (ceiling is not None and name > ceiling):
                    refused += 1
                    continue
                if len(table) >= MAX_ENTRIES:
                    others.append((name, value))
                    continue
                aggregate = table[(name, decimals)] = [0, 0, 0, number, number, {}]
            aggregate[0] += 1
            aggregate[1] += number
            aggregate[2] += number * number
            aggregate[3] = min(aggregate[3], number)
            aggregate[4] = max(aggregate[4], number)
            index = bucket_index(Fraction(number, 10**decimals))  # sketch buckets, unfolded
            aggregate[5][index] = aggregate[5].get(index, 0) + 1
        offset += len(raw) + 1
    metrics: dict[bytes, list[tuple]] = {}
    for (name, decimals), (count, total, total_sq, low, high, buckets) in table.items():
        metrics.setdefault(name, []).append((decimals, count, total, total_sq, low, high,
                                             buckets))
    return (lines, error_lines, warn_lines, level_lines, metrics, others, refused, hours, key,
            first_stamped, last_stamped, counts)


def scan(block, levels=True, ceiling=None, max_key=-1, threshold=THRESHOLD, prev_key=-1,
         overrides=None, admit=None, want_templates=True):
    """scan_block, with each metric row's bucket blob read into {index: count}."""
    result = fastscan.scan_block(block, levels, ceiling, max_key, threshold, prev_key, overrides,
                                 admit, want_templates)
    for rows in result[4].values():
        rows[:] = [(*row[:6], buckets_of(row[6])) for row in rows]
    return result


def buckets_of(blob: bytes) -> dict[int, int]:
    pairs = array("q")
    pairs.frombytes(blob)
    counts = dict(zip(pairs[0::2], pairs[1::2], strict=True))
    assert len(counts) * 16 == len(blob), "a bucket twice in one blob"
    return counts


def c_line(line: bytes, threshold=THRESHOLD) -> tuple[int, int, bytes]:
    """(level class, hour key, template) of one line by the C scanner."""
    result = scan(line + b"\n", threshold=threshold, want_templates=False)
    level = ERROR if result[1] else WARN if result[2] else NEUTRAL if result[3] else NONE
    forced = scan(line + b"\n", levels=False, threshold=threshold, overrides=[(0, ERROR)])
    ((_level, template),) = forced[11]
    return level, result[8], template


def py_line(line: bytes, threshold=THRESHOLD) -> tuple[int, int, bytes]:
    content = content_of(line)
    return (formats.find_level(content)[0], stamp_key(content, threshold),
            templates.line_template(content, "plain"))


def assert_line_agrees(line: bytes, threshold=THRESHOLD) -> None:
    assert b"\n" not in line
    assert c_line(line, threshold) == py_line(line, threshold), line


# --- examples: the docstrings' layouts and real-world logs -----------------------------------------

DOCSTRING_EXAMPLES = [
    # formats: the token forms
    b"ERROR [main] x: msg", b"WARN x", b"INFO y", b"x [error] y", b"[core:warn] y",
    b"level=error x", b'lvl="WARN" x', b"severity=fatal x", b"Error x", b"Warning: y",
    b"Info z", b"2016-09-28 04:30:31, Error CSI x", b"2024-01-15 10:23:45.123 -|Warning| x",
    b"error: x", b"fatal: x", b"warning: x", b"fail: x", b"crit: x", b"dbug: x", b"trce: x",
    b"sshd[24324]: error: x", b"kernel: warning: y", b"E1127 12:00:00 x", b"I1127 12:00:00 x",
    b"W1127 12:00:00.5 x", b"F1127 12:00:00 x", b"<11>x", b"<12>x", b"<13>x", b"<191>x",
    b"<192>x", b"\tat x.y(Z.java:1) ERROR", b"Caused by: ERROR", b"Traceback (most recent)",
    b"java.io.IOException: ERROR", b"ValueError: ERROR", b"x ERROR y", b"x INFO y ERROR",
    # stamps: each layout
    b'{"ts":"2024-01-15T10:23:45Z","msg":"a"}', b'{"time":1700000000,"x":1}',
    b'{"timestamp": "2024-01-15 10:23:45.5+01:00"}', b'{"@timestamp":1700000000123}',
    b'{"ts":1700000000.25}', b"<34>2024-01-15T10:23:45Z x", b"<34>1 2024-01-15T10:23:45Z x",
    b"[Sun Dec 04 04:47:44 2005] [error] x", b"[Sun Dec 04 04:47:44.123 2005] x",
    b"[10.30 16:49:06] x", b"Nov 27 02:00:01 h p[1]: x", b"Nov  7 02:00:01.5 h x",
    b"[2024-01-15T10:23:45.123] error: x", b"[2024-01-15 10:23:45] warning : x",
    b"[2024-01-15 10:23:45,1] Error x", b"[2024-01-15T10:23:45Z]x", b"[2024-01-15T10:23:45+99:00] x",
    b"I1127 02:00:01.123456 1 f.go:1] x", b"2024-01-15T10:23:45Z x", b"2024-01-15 10:23:45 x",
    b"2024-01-15T10:23:45.123+01:00 x", b"2024-01-15T10:23:45,123-0530 x",
    b"2005-06-03-15.42.50.675872 x", b"2024.01.15 10:23:45 x", b"2024.01.15-10:23:45.5 x",
    b"2024.01.15T10:23:45 x", b"2024/01/15 10:23:45 x", b"2024/01/15T10:23:45.5 x",
    b"20171223-22:15:29:606|x", b"20171223-22:15:29.606 x", b"20171223T22:15:29 x",
    b"17/06/09 20:10:40 INFO x", b"081109 203615 148 INFO x", b"03-17 16:13:38.811 1 2 D x",
    b"1700000000 x", b"1700000000.5 x", b"1700000000123 x", b"- 1117838570 2005.06.03 x",
    b"APPREAD 1117869872 x", b'h - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1',
    b"x y 2024-01-15T10:23:45Z z", b"x 2005-06-03-15.42.50.675872 y",
    # templates
    b'ERROR k=v n=5 msg="a b 7" x', b"ERROR msg='it''s' x", b'ERROR "quoted \\" x" y',
    b"ERROR it's 12ms blk_-160899 vol12 10.0.0.1:80 0x1f", b"ERROR a,b;c(d)[e]{f}<g>|h",
    b"ERROR 1 2 3 x 4 5", b"ERROR target=38, rate=200;", b"ERROR message=hello world",
    b'ERROR msg="unclosed', b"ERROR", b"ERROR   ", b"<11>Nov 27 02:00:01 h p[1]: x",
    b"ERROR [main] x: msg", b"WARN [QuorumPeer[myid=1]/0:2181] - y", b"ERROR [unclosed x",
    b'2024/01/15 10:23:45 [error] 7#7: *1 open() failed, client: 1.2.3.4, server: x',
    b'E1127 00:00:00.1 1 x.go:1] "Failed to sync" err="boom" pod="a/b"',
    b"ERROR GET /v1/x ~/y ./z C:\\w http://h/p a.b cron.service OPTIONS POSTS",
    b"[10.30 16:49:07] chrome.exe - proxy.example.com:5070 error : Could not connect",
    b"[10.30 16:49:07] chrome.exe - proxy.example.com:5070 open through proxy",
    b"<165>1 2003-10-11T22:14:15.003Z host app 1 ID - msg", b"Nov 27 02:00:01 h p[1]:",
    b"ERROR failed for user jdoe", b"ERROR queue is full", b"ERROR Container killed",
    b"ERROR node JOINING", b"ERROR Service Control", b"ERROR USER Root", b"ERROR user  x",
    b"ERROR [dispatcherServlet] (localhost) [a b] [x) (y]", b"ERROR Nodes cn[01-04,7] a[] b[1",
    b"ERROR node[3]: x", b"ERROR user,x user:x user <*> x userx y",
]  # fmt: skip

REAL_WORLD = [
    # OpenSSH
    b"Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for "
    b"ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
    b"Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from "
    b"173.234.31.186 port 38926 ssh2",
    b"Dec 10 07:02:47 LabSZ sshd[24203]: error: Received disconnect from 103.99.0.122: 14: No "
    b"more user authentication methods available. [preauth]",
    # Windows CBS
    b"2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 "
    b"with Core: C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack\\cbscore.dll",
    b"2016-09-28 04:30:31, Error                 CSI    00000001@2016/9/27:20:30:31.455 "
    b"WcpInitialize (wcp.dll version 0.0.0.6) called (stack @0x7fed806eb5d @0x7fef9fb9b6d)",
    b"2016-09-28 04:30:31, Warning               CBS    Failed to get next element [HRESULT = "
    b"0x800f080d - CBS_E_MANIFEST_INVALID_ITEM]",
    # glog / klog
    b"I1127 02:00:01.123456    1234 server.go:123] Starting server",
    b"E1127 02:00:01.123456    1234 server.go:123] failed to connect: timeout",
    b"W0229 12:00:00.000001 7 x.cc:1] leap day",
    b"F1231 23:59:59.999999 1 main.cc:9]",
    # RFC 5424 / RFC 3164 with PRI
    b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM'su root' failed for "
    b"lonvick on /dev/pts/8",
    b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make "
    b"the do-nuts.",
    b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 '
    b'iut="3" eventSource="Application" eventID="1011"] An application event log entry',
    b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
    b"<13>Feb  5 17:32:18 10.0.0.99 myapp[123]: error: disk full",
    b"<4>Nov 27 02:00:01 host kernel: [12345.678] eth0: link down",
    # Hadoop
    b"2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: "
    b"Created MRAppMaster for application appattempt_1445144423722_0020_000001",
    b"2015-10-18 18:01:50,353 WARN [main] org.apache.hadoop.metrics2.impl.MetricsConfig: loaded "
    b"properties from hadoop-metrics2.properties",
    b"2015-10-18 18:10:31,431 ERROR [RMCommunicator Allocator] org.apache.hadoop.mapreduce.v2."
    b"app.rm.RMContainerAllocator: ERROR IN CONTACTING RM.",
    # HDFS
    b"081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block "
    b"blk_38865049064139660 terminating",
    b"081109 204005 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap "
    b"updated: 10.251.73.220:50010 is added to blk_7128370237687728475 size 67108864",
    b"081111 103000 19 WARN dfs.DataNode$DataXceiver: 10.251.30.6:50010:Got exception while "
    b"serving blk_-1355373286093766011 to /10.251.30.6:",
    # Spark
    b"17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers "
    b"for [TERM, HUP, INT]",
    b"17/06/09 20:11:11 ERROR executor.Executor: Exception in task 0.0 in stage 1.0 (TID 1)",
    # Zookeeper
    b"2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection"
    b"@774] - Notification time out: 3200",
    b"2015-07-29 19:04:12,394 - WARN  [RecvWorker:188978561024:QuorumCnxManager$RecvWorker@762] "
    b"- Connection broken for id 188978561024, my id = 1, error = ",
    # Android
    b"03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken "
    b"= AppWindowToken{9f4ef63 token=Token{a64f992 ActivityRecord{de9231d u0 com.tencent.qt.qtl/"
    b".activity.info.NewsDetailXmlActivity t761}}}, allDrawn= false, startingDisplayed =  false",
    b"03-17 16:13:38.859  2227  2227 E PhoneStatusBar: error getting icon",
    b"03-17 16:13:39.100  1702  1702 W ActivityManager: Unable to start service Intent",
    # Apache error
    b"[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
    b"[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6",
    b"[Thu Jun 09 06:07:04.123456 2005] [core:error] [pid 123:tid 456] AH00000: x",
    # BGL
    b"- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11"
    b" RAS KERNEL INFO instruction cache parity error corrected",
    b"APPREAD 1117869872 2005.06.04 R04-M1-N1-C:J11-U01 2005-06-04-00.24.32.432192 "
    b"R04-M1-N1-C:J11-U01 RAS APP FATAL ciod: failed to read message prefix on control stream",
    # Thunderbird
    b"- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session "
    b"closed for user root",
    b"- 1131566461 2005.11.09 tbird-admin1 Nov 10 01:01:01 local@tbird-admin1 postfix/postdrop"
    b"[10896]: warning: unable to look up public/pickup: No such file or directory",
    # HealthApp
    b"20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
    b"20171224-20:11:16:931|Step_SPUtils|30002312| getTodayTotalDetailSteps = "
    b"1514117476000##7007##548365##8661##16903##27174023",
    # Proxifier
    b"[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy "
    b"proxy.cse.cuhk.edu.hk:5070 HTTPS",
    b"[10.30 16:49:07] chrome.exe - proxy.cse.cuhk.edu.hk:5070 error : Could not connect to "
    b"proxy proxy.cse.cuhk.edu.hk:5070 - connection attempt failed with error 10061",
    # Mac syslog
    b"Jul  1 09:00:55 calvisitor-10-105-160-95 kernel[0]: IOThunderboltSwitch<0>(0x0)::"
    b"listenerCallback - Thunderbolt HPD packet for route = 0x0 port = 11 unplug = 0",
    b"Jul  1 09:01:05 calvisitor-10-105-160-95 com.apple.CDScheduler[43]: Thermal pressure "
    b"state: 1 Memory pressure state: 0",
    b"Jul  8 06:11:46 calvisitor-10-105-162-124 WindowServer[184]: CGXDisplayDidWakeNotification "
    b"[1469976705.213]: posting kCGSDisplayDidWake",
    # Python logging
    b"2024-01-15 10:23:45,123 - myapp.db - ERROR - Connection failed: timeout after 30s",
    b"2024-01-15 10:23:45,123 WARNING [myapp] retrying id=42 attempt=3",
    b"WARNING:root:disk almost full (93%)",
    b"ERROR:myapp.worker:job 17 failed",
    # .NET (console logger, Serilog)
    b"fail: Microsoft.AspNetCore.Server.Kestrel[13]",
    b"info: Microsoft.Hosting.Lifetime[0]",
    b"crit: Microsoft.AspNetCore.Hosting.Diagnostics[6]",
    b"warn: Microsoft.AspNetCore.DataProtection[35]",
    b'      Connection id "0HLT", Request id "0HLT:00000001": An unhandled exception was thrown.',
    b"2024-01-15 10:23:45.123 +01:00 [ERR] Unhandled exception in request 42",
    b"2024-01-15T10:23:45.1234567+01:00 Error Something failed for user=bob",
    b"2024-01-15 10:23:45.1234|Warning|Worker|slow tick 1234ms",
    # Serilog, zerolog, log15, Ceph
    b"2026-11-24 03:57:51.940 +00:00 [WRN] Health check rabbitmq with status Unhealthy",
    b"10:00:00 WRN slow request path=/x", b"10:00:00 DBG x", b"10:00:00 TRC x FTL",
    b"t=2026-11-24T10:00:00+0000 lvl=eror msg=failed", b"lvl=dbug x",
    b"2026-11-24T05:31:15.262139+0000 7f40853359f8 0 mon.b@2(leader) log_channel(cluster) log "
    b"[WRN] : Health check update: 105 slow ops, oldest one blocked for 4955 sec",
    b"2026-11-24T05:31:11.021415+0000 7f351f875670 -1 osd.5 36440 heartbeat_check: no reply",
    # Dovecot, dmesg --decode
    b"Nov 24 01:08:27 imap(j.doe@outlook.com)<92544><f82936c82e37ce0c>: Error: Mailbox Junk: x",
    b"Nov 24 01:08:27 auth: Warning: auth client 1 disconnected",
    b"kern  :err   : [Tue Nov 24 04:35:19 2026] ata6.00: failed command: FLUSH CACHE EXT",
    b"kern  :warn  : [  12.345678] nvme nvme3: I/O 947 QID 10 timeout, reset controller",
    # Asterisk, MongoDB 4.x, GlusterFS
    b"[Nov 24 05:35:42] WARNING[36970][C-d3c11759] pbx.c: Channel 'PJSIP/c-f8d75b40' sent to "
    b"invalid extension but no invalid handler: context,exten,priority=ivr-main,1557253,1",
    b"[Dec  1 10:00:00] NOTICE[19053] res_pjsip_sdp_rtp.c: Disconnecting channel",
    b"2026-11-24T01:15:55.390+0000 W REPL_HB  [replexec] Error in heartbeat (requestId: 1330923)",
    b"2026-11-24T01:16:04.557+0000 E STORAGE  [conn58082] WiredTiger error (-4458)",
    b"[2026-11-24 04:41:34.063073] C [rpc-clnt-ping.c:199:rpc_clnt_ping_timer_expired] "
    b"0-vmstore-client-4: server 10.34.112.208:49187 has not responded in the last 42 seconds",
    # Exim, Zabbix
    b"2026-11-24 03:27:59 1S88x9-hoLCXw-XT ** noreply@example.com R=dnslookup T=remote_smtp: 550",
    b"2026-11-24 03:27:59 1S88x9-hoLCXw-XT == x@example.com R=dnslookup defer (-1): refused",
    b"2026-11-24 03:28:13 1nZgoc-gNW7Fc-QQ <= alice@gmail.com H=aspmx.l.google.com P=esmtps",
    b"2026-11-24 03:28:10 1XtKhz-kIo4vR-A7 Completed",
    b"  49637:20261124:055811.017 cannot send list of active checks to \"10.93.120.219\"",
    b"27538:20261125:011109.144 slow query: 83.934537 sec, \"select 1;\"",
    # Python logging's basicConfig
    b"WARNING:py.warnings:/opt/app/x.py:278: DeprecationWarning: utcnow() is deprecated",
    b"INFO:app.jobs:Processed 127063 items in 928.2s",
    # the benchmark corpus
    b"Nov 27 02:00:01 node07 api[4242]: WARN request handled path=/x latency_ms=123 bytes=5321 "
    b"ratio=-0.25",
    # JSON and access lines seen by the plain rules
    b'{"ts":"2024-01-15T10:23:45.123Z","level":"error","msg":"boom id=5"}',
    b'{"time": 1700000000123, "msg":"x"}',
    b'127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
]

EDGE_CASES = [
    b"", b"\r", b" ", b"ERROR\r", b"x\ry ERROR", b"Feb 29 00:00:00 h x: WARN leap",
    b"Feb 30 00:00:00 x", b"2023-02-29T00:00:00 x", b"2024-02-29T00:00:00 x",
    b"1900-02-29 00:00:00 x", b"2000-02-29 00:00:00 x", b"0000-01-01 00:00:00 x",
    b"2024-13-01 00:00:00 x", b"2024-01-00 00:00:00 x", b"2024-01-01 24:00:00 x",
    b"2024-01-01 23:60:00 x", b"2024-01-01 23:59:60 x", b"2024-01-01 12:00:00,5Zx ERROR",
    b"2024-01-01 12:00:00-05:00x ERROR", b"2024-01-01 12:00:00+25:00 ERROR",
    b"2024-01-01 12:00:00+01:60 x", b"2024-01-01 12:00:00.5+0100x", b"2024-01-01 12:00:00.x",
    b"2024-01-01 12:00:00Zx", b"2024-01-01 12:00:00+01:0", b"2024-01-01 12:00:00+01:00:",
    b"x 2024-01-01 12:00:00+99:00 y", b"x12024-01-01 12:00:00 y", b"[40/Oct/2000:13:55:36 -0700]",
    b"[10/Oct/2000:13:55:36 -2400] x", b"<34>", b"<34>x", b"<34> x", b"<1234>x", b"<191>1 x",
    b"<99>12 2024-01-01T00:00:00Z x", b"<99>123 2024-01-01T00:00:00Z x", b"999999999 x",
    b"9999999999 x", b"4102444799 x", b"4102444800 x", b"946684799 x", b"0946684800 x",
    b"x" * 64 + b" 1700000000 y", b"x" * 65 + b" 1700000000 y", b"x\t1700000000 y",
    b"1700000000 1600000000", b"1700000000.5e3 x", b"17000000001 x", b"17000000001234 x",
    b'{"ts":"' + b"x" * 65 + b'","time":1700000000}', b'{"ts":"2024-01-01T00:00:00Zjunk"}',
    b'{"ts":1700000000e3,"time":1700000000}', b'{"ts" : \t"2024-01-01 00:00:00"}',
    b'{"ts":"2024-01-01T00:00:00+30:00"}', b'{"x":"ts":1700000000}', b"{1700000000 x",
    b"Nov 27 02:00:01", b"Nov 27 02:00:0", b"Nov 7 02:00:01 x", b"Nov  0 02:00:01 x",
    b"nov 27 02:00:01 x", b"Nov 27 02:00:01x", b"Nov 27 02:00:01:x", b"I0229 00:00:00 x",
    b"I1327 00:00:00 x", b"[Sun Dec 32 04:47:44 2005] x", b"[Sun Dec 04 04:47:44.5x 2005] x",
    b"[sun Dec 04 04:47:44 2005] x", b"[13.30 16:49:06] x", b"[10.30 16:49:06 x",
    b"sshd[1]: error: x", b"sshd[]: error: x", b"a b[1][2]: error: x", b"x[1]: error: y",
    b"(x): error: y", b"x.y/z-w: error: y", b"x: error:[warn]", b"x: Error: y", b"xerror: y",
    b":error: y", b" error: y", b"error:", b"error:\tx", b"error:x", b"errors: x",
    b"Error", b"ErrorX", b"Errors x", b"ERRor x", b"Information x", b"INFORMATION x",
    b"[INFORMATION] x", b"level=information x", b"Nov 27 02:00:01 Error x",
    b"Nov 27 02:00:01 , | - Warning x", b"Nov 27 02:00:01 x Warning y", b"<11>Error x",
    b"2024-01-01 12:00:00 ERROR", b"ERROR\t", b"ERROR -|:", b'ERROR "', b"ERROR '",
    b"ERROR x'y'z", b"ERROR =x", b"ERROR 9=x", b"ERROR k=", b'ERROR k=""', b"ERROR k=a=b",
    b'ERROR msg=""', b"ERROR msg='a\"b' c", b'ERROR msg="a msg=\'b\' c" d', b"ERROR <*> 5",
    b"ERROR a\\", b'ERROR "a\\"', b'ERROR "\\\\" x', b"ERROR x=1,, y=2;", b"ERROR [x] [1]",
    b"I1127 00:00:00 no bracket", b"I1127 00:00:00 x] ", b"I1127 00:00:00 ] x",
    b"\x00ERROR", b"\xffERROR \xfe", b"ERROR \x0b x \x0c y", b"ERROR\x1cx",
    b"x error : y", b"error :", b"error  : y", b"sshd[1]: error : y", b"error :x",
    b"[10.30 16:49:07] a - b warn : x", b"[10.30 16:49:07] a - b  warn: x",
    b"[10.30 16:49:07] a -  b warn: x", b"[10.30 16:49:07]  a - b warn: x", b"[10.30 16:49:07] a - b",
    b"ERROR [" + b"x" * 600 + b"] y", b"ERROR [" + b"x" * 505 + b"] y", b"ERROR [[a]b] c",
    b"ERROR ]x", b"ERROR [a]", b"ERROR [] x", b"ERROR x, client: y", b"ERROR , client: ",
    b"ERROR x,client: y", b'"quoted" ERROR', b'ERROR "a" b "c"', b'ERROR "a b', b"ERROR //x",
    b"ERROR /", b"ERROR /x", b"ERROR ://", b"ERROR a.", b"ERROR .a", b"ERROR a_.b", b"ERROR GET",
    b"ERROR get", b"ERROR DELETE/x", b'{"ts":1700000000.12}', b'{"ts":1700000000.123}',
    b"XError: ERROR", b"XError ERROR", b"XError", b"EError\tFATAL", b"a.XError: ERROR",
    b"XErro: ERROR", b"Exception: ERROR", b"XException: WARN", b"AThrowable x ERROR",
    b"$.XError ERROR", b"_.XError ERROR", b"9.XError ERROR", b"x..XError ERROR",
    # the position word, the Title-case colon form, dmesg --decode, Python's logger
    b"Nov 27 02:00:01 W", b"Nov 27 02:00:01 W\tx", b"Nov 27 02:00:01 Wx", b"Nov 27 02:00:01 A x",
    b"Nov 27 02:00:01 WARN[", b"Nov 27 02:00:01 WARNX[1] x", b"Nov 27 02:00:01 INFORMATION[1] x",
    b"Nov 27 02:00:01 Warn[1] x", b"Nov 27 02:00:01 E x ERROR", b"Nov 27 02:00:01 ERROR[1] x",
    b"[Nov 27 02:00:01] W x", b"[Nov 27 02:00:01]W x", b"[Nov 27 02:00:01,5] ERR[1] x",
    b"x: Error: y", b"x: Fatal : y", b"XError: y", b"x Error: y", b"x: FAIL: y", b"x: Fail: y",
    b"x: Dbug: y", b"aB: Error: y", b" : Error: y", b"x:  Error: y", b"x: eRror: y",
    b"kern:err:", b"kern :err : x", b"kern:err:x", b"kern  :  err: x", b"kern:Err: x",
    b"k:x: y", b"kern:err", b"kern :: x", b"a :warn:", b"ERROR:a.b-c:x", b"ERROR:a:", b"ERROR::x",
    b"ERROR:a b:x", b"x ERROR:a:b", b"[error]:a:b c", b"Error:a:b", b"ERROR:a:[main][x] y",
    b"ERROR [a][b][c] d", b"ERROR [a][b", b"ERROR [a] [b] c", b"ERROR [a][" + b"x" * 600 + b"]",
    b"ERROR basic_ncsa_auth a_ _b __init__ a__b _ A_B x_1 heartbeat_check: y", b"ERROR a_",
    b"2024-01-01 12:00:00 +01:00 x", b"2024-01-01 12:00:00.5 -0530 Error x",
    b"2024-01-01 12:00:00 +25:00 x", b"2024-01-01 12:00:00 +01:0 x", b"2024-01-01 12:00:00 +",
    b"2024-01-01 12:00:00 ", b"[2024-01-01 12:00:00 +0000] [1] [INFO] x",
    b"[2024-01-01 12:00:00 +0000 x", b'{"ts":"2024-01-01 12:00:00 +01:00"}',
    b"x 2024-01-01 12:00:00 -0700 y", b"2024-01-01 12:00:00 +01:00x", b"2024-01-01T12:00:00 Z x",
    b"Nov 27 02:00:01 aaaaaa-bbbbbb-cc ** x", b"Nov 27 02:00:01 aaaaaa-bbbbbbbbbbb-cccc == x",
    b"Nov 27 02:00:01 aaaaaa-bbbbbb-ccc ** x", b"Nov 27 02:00:01 aaaaaaa-bbbbbb-cc ** x",
    b"Nov 27 02:00:01 aaaaaa-bbbbbb-cc **", b"Nov 27 02:00:01 aaaaaa-bbbbbb-cc **x",
    b"Nov 27 02:00:01 aaaaaa-bbbbbb-cc *> x", b"Nov 27 02:00:01 aaaaaa-bbbbbb-cc <> x",
    b"Nov 27 02:00:01 aaaaaa-bbbbbb-cc", b"Nov 27 02:00:01 Aaaaaa-bbbbbb-cc -> x",
    b"Nov 27 02:00:01 7f351f -1 x", b"Nov 27 02:00:01 7f351f875670b4ab -1 x",
    b"Nov 27 02:00:01 7f351f875670b4abc -1 x", b"Nov 27 02:00:01 7f351 -1 x",
    b"Nov 27 02:00:01 7f351f -1", b"Nov 27 02:00:01 7f351f -10 x", b"Nov 27 02:00:01 7F351F -1 x",
    b"1:20261124:055811.017", b"12345678:20261124:055811.017 x", b"1234567:20261124:055811.017 x",
    b"  1:20261124:055811.0171 x", b"  1:20261124:055811.01 x", b"  1:20261324:055811.017 x",
    b"  1:20261124:055811.017:x", b" :20261124:055811.017 x", b"  1:2026112:055811.017 x",
]  # fmt: skip


@pytest.mark.parametrize("line", DOCSTRING_EXAMPLES + REAL_WORLD + EDGE_CASES)
def test_line_examples(line):
    assert_line_agrees(line)
    assert_line_agrees(line + b"\r")


def test_name_key_and_stop_word_lists_agree():
    """Every NAME_KEYS word, in three cases, before every NAME_STOP word, a name, a verb and a
    Title-case word: C masks as Python does (so the C copies of the lists are the same)."""
    followers = sorted(templates.NAME_STOP) + [b"jdoe", b"Xy", b"killed", b"RUNNING", b"Jdoe",
                                                b"abcdefghijklmnopq", b"ed", b"ing"]
    for key in sorted(templates.NAME_KEYS):
        for spelled in (key, key.upper(), key[:1].upper() + key[1:]):
            line = b"ERROR " + b" ".join(spelled + b" " + word for word in followers)
            assert_line_agrees(line)
            assert templates.mask(spelled + b" jdoe") == spelled + b" <*>"
    for word in sorted(templates.NAME_STOP):  # a stop word is no key
        assert_line_agrees(b"ERROR " + word + b" jdoe " + word.upper() + b" jdoe")
    assert_line_agrees(b"ERROR users jdoe userz jdoe use jdoe")


def test_examples_cover_the_rules():
    """The example lines reach every layout and token form (so the list stays meaningful)."""
    examples = DOCSTRING_EXAMPLES + REAL_WORLD
    assert sum(stamps.parse_stamp(x) is not None for x in examples) > 80
    assert {formats.find_level(x)[0] for x in examples} == {NONE, NEUTRAL, WARN, ERROR}
    yearless = [x for x in examples if (s := stamps.parse_stamp(x)) is not None and not s.year]
    assert len(yearless) > 10


@pytest.mark.parametrize(
    "threshold",
    [(2026, 11, 28, 0, 0, 0), (2024, 2, 29, 0, 0, 0), (2024, 2, 28, 23, 59, 59),
     (2023, 1, 1, 0, 0, 0), (2100, 3, 1, 0, 0, 0), (2026, 11, 27, 2, 0, 1),
     (2026, 11, 27, 2, 0, 0)],
)
@pytest.mark.parametrize(
    "line",
    [b"Nov 27 02:00:01 x", b"Feb 29 00:00:00 x", b"Feb 28 23:59:59 x", b"Mar  1 00:00:00 x",
     b"Dec 31 23:59:59 x", b"Jan  1 00:00:00 x", b"02-29 12:00:00.5 x", b"[02.29 00:00:00] x",
     b"W0229 00:00:00.1 x", b"2024-02-29 00:00:00 x"],
)
def test_yearless_stamps_take_the_threshold_year(threshold, line):
    assert_line_agrees(line, threshold)


# --- generated lines ---------------------------------------------------------------------------------

STAMP_FRAGMENTS = [
    b"2024-02-29T23:59:59", b"2023-02-29 12:00:00", b"2024-01-15 10:23:45", b"2024-12-31T00:00:00",
    b"2005-06-03-15.42.50", b"2024.01.15 10:23:45", b"2024/01/15 10:23:45", b"20171223-22:15:29",
    b"17/06/09 20:10:40", b"081109 203615", b"03-17 16:13:38", b"02-29 00:00:00",
    b"Nov 27 02:00:01", b"Feb 29 00:00:00", b"Jan  5 01:02:03", b"Dec 31 23:59:59",
    b"[Sun Dec 04 04:47:44 2005]", b"[Sun Feb 29 04:47:44.5 2023]", b"[10.30 16:49:06]",
    b"[02.29 00:00:00]", b"[2024-01-15T10:23:45.123]", b"[2024-01-15 10:23:45,5+01:00]", b"[",
    b"[Nov 27 02:00:01]", b"[Feb 29 00:00:00.5]", b"[Jan  5 01:02:03,1]",
    b"  4242:20261124:055811.017", b"1:20240229:235959.999",
    b"]", b"I1127 02:00:01", b"E0229 12:00:00", b"W1301 00:00:00",
    b"1700000000", b"1700000000123", b"946684800", b"4102444800", b"[10/Oct/2000:13:55:36 -0700]",
    b"[29/Feb/2023:00:00:00 +0000]", b"<34>", b"<13>1 ", b"<192>", b"<7>12 ", b"{", b'"ts":',
    b'"time": ', b'"timestamp":"', b'"@timestamp" : ', b'"2024-01-15T10:23:45Z"',
    b".5", b",123", b":606", b".123456789012", b"Z", b"+01:00", b"-0530", b"+24:00", b"+01:60",
    b"-12:00", b"+0000", b" +01:00", b" -0530", b" +25:00", b" Z", b" +01", b" ",
]  # fmt: skip
LEVEL_FRAGMENTS = [
    b"ERROR", b"ERR", b"WARN", b"WARNING", b"INFO", b"INFORMATION", b"FATAL", b"DEBUG", b"error",
    b"Error", b"Warning", b"Warn", b"Info", b"Information", b"Fatal", b"Trace", b"information",
    b"fine", b"fail", b"dbug", b"trce", b"crit", b"eRRor", b"ErrorS", b"[", b"]", b"[core:",
    b"[a.b-c_d:", b"[9:", b"level=", b"lvl=", b"severity=", b"Level=", b"Caused by: ",
    b"Traceback (", b"java.io.", b"IOException", b"XError", b"$", b"sshd[24324]: ", b"kernel: ",
    b"host ", b"app[1]: ", b"(pam_unix)[2]: ", b": ", b":", b"WRN", b"INF", b"DBG", b"FTL",
    b"eror", b"Wrn", b"W", b"E", b"C", b"I", b"A", b"WARNING[", b"ERR[1]", b"kern  :", b"err   :",
    b"imap(a@b)<1>: ", b"Error:", b"Warning: ", b"ERROR:a.b:", b"[Nov 27 02:00:01] ",
    b"[Dec  1 10:00:00.5]", b"[a][b] ",
]  # fmt: skip
TEXT_FRAGMENTS = [
    b" ", b"  ", b"\t", b"\r", b"\x0b", b"\x0c", b"\x1c", b"-", b"|", b",", b";", b"(", b")",
    b"{", b"}", b"<", b">", b"<*>", b".", b"/", b"_", b"=", b'"', b"'", b"\\", b"x", b"Q", b"it's",
    b"msg=", b'msg="', b"message='", b"k=", b"key.x-y=", b"9k=", b"0", b"7", b"12", b"-3.5",
    b"0x1f", b"blk_-160899", b"12ms", b"10.0.0.1:80", b"vol12", b"1e5", b"a=1,", b"b=2;",
    b"c=3,,", b"#", b"@", b"\x00", b"\xff", b"\xc3\xa9", b", client: ", b"[main] ", b"[a[b]c]",
    b"/x", b"~/", b"./", b"C:\\", b"://", b"a.b", b"GET", b"OPTIONS", b" :", b"error :",
    b"[10.30 16:49:07] a - b ", b"user", b"Queue", b"HOST", b"jdoe", b"is", b"killed", b"ING",
    b"Control", b"A", b"[1-4,7]", b"[3]", b"[,-]", b"[x]", b"(y)", b"a_b", b"__", b"_x", b"Q_",
]  # fmt: skip
ALL_FRAGMENTS = STAMP_FRAGMENTS + LEVEL_FRAGMENTS + TEXT_FRAGMENTS

fragment_lines = st.lists(st.sampled_from(ALL_FRAGMENTS), max_size=14).map(b"".join)
structured_lines = st.builds(
    lambda *parts: b"".join(parts),
    st.sampled_from([b"", b"<13>", b"<34>1 ", b"<200>", b"{"]),
    st.sampled_from(STAMP_FRAGMENTS + [b""]),
    st.sampled_from([b"", b".5", b",123", b"Z", b"+01:00", b"-0530", b"+25:00", b":7", b" +01:00",
                     b".5 -0530", b" +99:00", b" -05", b" Z"]),
    st.sampled_from([b" ", b", ", b" - ", b"|", b"", b"x", b"\t", b" ,|- "]),
    st.sampled_from([b"", b"host ", b"host app[12]: ", b"host kernel: ", b"h a b c - ",
                     b"h a b c [x=1][y] ", b"imap(a@b)<1><2>: ", b"7f40853359f8 -1 ",
                     b"1S88x9-hoLCXw-XT ** ", b"1S88x9-hoLCXw1234567-XTab == "]),
    st.sampled_from(LEVEL_FRAGMENTS + [b""]),
    st.sampled_from([b"", b" ", b": ", b"] ", b" - ", b"|", b":", b"[12][C-1] ", b":a.b:",
                     b"   : "]),
    st.lists(st.sampled_from(TEXT_FRAGMENTS + LEVEL_FRAGMENTS), max_size=8).map(b"".join),
)
raw_lines = st.binary(max_size=60)


@st.composite
def mutated_lines(draw):
    """A real-world or docstring line with a few bytes changed, cut short, or both."""
    line = bytearray(draw(st.sampled_from(REAL_WORLD + DOCSTRING_EXAMPLES)))
    for _ in range(draw(st.integers(0, 3))):
        if not line:
            break
        at = draw(st.integers(0, len(line) - 1))
        line[at] = draw(st.sampled_from(b"0123456789 :-.,+Z[]Tx\t\r'\"=\\"))
    if draw(st.booleans()):
        line = line[: draw(st.integers(0, len(line)))]
    return bytes(line)


any_line = st.one_of(fragment_lines, structured_lines, mutated_lines(), raw_lines).map(
    lambda line: line.replace(b"\n", b" ")
)

thresholds = st.one_of(
    st.just(THRESHOLD),
    st.tuples(st.integers(1999, 2101), st.integers(1, 12), st.integers(1, 28),
              st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)),
)


@settings(max_examples=6000, deadline=None)
@given(line=any_line, threshold=thresholds)
@example(line=b"x: error:[warn]", threshold=THRESHOLD)
@example(line=b"2024-01-01 12:00:00,5Zx ERROR", threshold=THRESHOLD)
def test_generated_lines(line, threshold):
    assert_line_agrees(line, threshold)


@settings(max_examples=300, deadline=None)
@given(
    head=st.lists(st.sampled_from(ALL_FRAGMENTS), max_size=6).map(b"".join),
    filler=st.integers(100, 170),
    tail=st.sampled_from(STAMP_FRAGMENTS + LEVEL_FRAGMENTS),
)
def test_stamps_at_the_prefix_limit(head, filler, tail):
    """Stamps, tokens and JSON fields straddling the 160-byte prefix the stamp rules read."""
    line = (head + b"y" * filler)[:filler] + tail + b" ERROR z=1"
    assert_line_agrees(line.replace(b"\n", b" "))
    assert_line_agrees((b'{"a":"' + b"y" * filler)[:filler] + b'","ts":' + tail)


# formats._COLON_RE, ([a-z]+) ?:(?=\s|$), backtracks quadratically in a long run of lowercase
# letters (finditer retries the run from each of its bytes): 100 KB take Python over a minute, a
# 1 MB line about an hour. With (?<![a-z]) in front it finds the same matches (a match can only
# start where its run starts) in linear time; the long-line test below uses it, and
# test_linear_colon_regex_is_the_same_rule shows the two agree.
LINEAR_COLON_RE = re.compile(b"(?<![a-z])" + formats._COLON_RE.pattern)


@settings(max_examples=2000, deadline=None)
@given(line=st.one_of(any_line, st.lists(st.sampled_from(
    [b"a", b"error", b"x", b":", b": ", b" ", b"warn", b"[1]", b"Q", b" :"]), max_size=20)
    .map(b"".join)))
def test_linear_colon_regex_is_the_same_rule(line):
    content = content_of(line)
    expected = formats.find_level(content)
    saved = formats._COLON_RE
    formats._COLON_RE = LINEAR_COLON_RE
    try:
        assert formats.find_level(content) == expected
    finally:
        formats._COLON_RE = saved


def test_long_lines_stay_exact_and_bounded(monkeypatch):
    """Long lines agree too; template input is capped at 2048 bytes and output at 1024; quotes
    that never close cost linear time (the C code falls back to a table after the first failed
    scan); the C pass takes milliseconds on each."""
    import time

    monkeypatch.setattr(formats, "_COLON_RE", LINEAR_COLON_RE)  # see above
    lines = [
        b"ERROR " + b'"\\' * 40_000,
        b"ERROR " + b"'a " * 30_000,
        b"ERROR " + b'" ' * 30_000,
        b"ERROR " + b"5," * 40_000,
        b"ERROR " + b"k=v " * 30_000,
        b"ERROR msg=" + b"'" + b"x" * 100_000,
        b"Nov 27 02:00:01 " + b"h" * 100_000 + b" app[1]: x",
        b"<13>1 2024-01-01T00:00:00Z a b c d [" + b"x" * 50_000 + b"] y",
        b"I1127 00:00:00 " + b"x" * 100_000 + b"] y",
        b"x" * 100_000 + b" ERROR",
        b"error:" * 20_000,
        b"a: " * 30_000 + b"error: x",
    ]
    for line in lines:
        assert_line_agrees(line)
        started = time.perf_counter()
        template = c_line(line)[2]
        assert time.perf_counter() - started < 0.5, line[:40]
        assert len(template) <= templates.TEMPLATE_MAX_BYTES


@pytest.mark.parametrize("at", range(2040, 2052))
def test_template_input_cap(at):
    """What crosses the 2048th byte of the message (numbers before it mask to one <*>, so the
    1024-byte output cap does not hide the input cap)."""
    for body in (b'x "' + b"a" * 30 + b'"', b"word" * 5, b"k=" + b"v" * 30, b"msg='" + b"w " * 9,
                 b'"quoted"', b"a, client: b", b"a.b", b"GET"):
        message = (b"1 " * 1100)[:at] + body
        assert_line_agrees(b"ERROR " + message)
        assert_line_agrees(b"ERROR [main] " + message[5:])


@pytest.mark.parametrize("inside", range(505, 515))
def test_bracket_limit(inside):
    """A bracket right after the level token becomes [<*>] when it closes within 512 bytes."""
    assert_line_agrees(b"ERROR [" + b"x" * inside + b"] y")
    assert_line_agrees(b"WARN [a[" + b"x" * (inside - 3) + b"]] y")


@pytest.mark.parametrize("at", range(120, 166))
def test_stamp_prefix_limit(at):
    """Stamp rules read the first 160 bytes only: the end of that prefix is the end of the text
    (a stamp may end there whatever follows; one that does not fit is none)."""
    for stamp in (b"2024-01-15T10:23:45", b"2024-01-15 10:23:45.5+01:00", b"2005-06-03-15.42.50.1",
                  b"[10/Oct/2000:13:55:36 -0700]"):
        for after in (b"", b"x", b" ", b"5", b":x"):
            assert_line_agrees(b"y" * (at - len(stamp)) + stamp + after + b" ERROR")
            assert_line_agrees(b"y " * ((at - len(stamp)) // 2) + stamp + after)
    for after in (b"x", b" x", b"5x"):  # long fractions of anchored stamps reaching the limit
        assert_line_agrees(b"2024-01-15 10:23:45." + b"1" * (at - 20) + after)
        assert_line_agrees(b"Nov 27 02:00:01," + b"1" * (at - 16) + after)
        assert_line_agrees(b'{"a":"' + b"y" * (at - 25) + b'","ts":1700000000' + after)
        assert_line_agrees(b'{"a":"' + b"y" * (at - 31) + b'","ts":"2024-01-15T10:23:45"' + after)


@pytest.mark.parametrize("digits", range(40, 48))
def test_json_text_length_limit(digits):
    """A JSON stamp text is at most 64 bytes ("([^\"\\n]{1,64})"): longer ones are no field."""
    text = b"2024-01-15T10:23:45." + b"1" * digits + b"Z"
    assert_line_agrees(b'{"ts":"' + text + b'"}')
    assert_line_agrees(b'{"ts":"' + text + b'","time":1700000000}')


# --- the logfmt numbers --------------------------------------------------------------------------------



@settings(max_examples=1000, deadline=None)
@given(st.one_of(logfmt_lines(), any_line))
def test_number_tokens_are_the_reference(line):
    """The test's number_tokens is reference_scan.logfmt_numbers (keys in order, and which
    texts are numbers)."""
    content = content_of(line)
    mine = number_tokens(line)
    theirs = [(key.encode(), value) for key, value in reference_scan.logfmt_numbers(content)
              if value is not None]
    assert [key for key, _ in mine] == [key for key, _ in theirs]
    assert all(reference_scan.number_value(text) is not None for _, text in mine)


# --- whole blocks ------------------------------------------------------------------------------------

block_lines = st.one_of(any_line, logfmt_lines())


def refuse_some(seed: int):
    """An admit() refusing about a third of the keys, deterministically, that counts its calls."""

    def admit(key: bytes) -> bool:
        admit.calls.append(key)
        return (sum(key) + seed) % 3 != 0

    admit.calls = []
    return admit


@st.composite
def blocks(draw):
    lines = draw(st.lists(block_lines, max_size=25))
    crlf = draw(st.lists(st.booleans(), min_size=len(lines), max_size=len(lines)))
    block = b"".join(line + (b"\r\n" if cr else b"\n") for line, cr in zip(lines, crlf, strict=True))
    starts, offset = [], 0
    for line, cr in zip(lines, crlf, strict=True):
        starts.append(offset)
        offset += len(line) + 1 + cr
    chosen = draw(st.lists(st.sampled_from(starts), unique=True)) if starts else []
    overrides = sorted((start, draw(st.sampled_from([WARN, ERROR]))) for start in chosen)
    return block, (overrides if draw(st.booleans()) else None)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=blocks(),
    levels=st.booleans(),
    ceiling=st.sampled_from([None, b"", b"a", b"ab", b"b", b"latency_ms", b"z"]),
    max_key=st.sampled_from([-1, 0, 1, 2, 200]),
    threshold=thresholds,
    prev_key=st.sampled_from([-1, 0, 8_587_214_987_264]),
    admit_seed=st.sampled_from([None, 0, 1, 2]),
    want_templates=st.booleans(),
)
def test_blocks_match_the_reference(case, levels, ceiling, max_key, threshold, prev_key,
                                    admit_seed, want_templates):
    block, overrides = case
    admit = None if admit_seed is None else refuse_some(admit_seed)
    got = scan(block, levels, ceiling, max_key, threshold, prev_key, overrides, admit,
               want_templates)
    if admit is not None:
        assert len(admit.calls) == len(set(admit.calls)), "admit asked twice about a key"
    expected = reference_block(block, levels, ceiling, max_key, threshold, prev_key, overrides,
                               None if admit_seed is None else refuse_some(admit_seed),
                               want_templates)
    assert got == expected


def test_block_outputs_spelled_out():
    block = (
        b"first line without stamp ERROR\n"
        b"Nov 27 02:00:01 h a[1]: WARN x=1 y=2.5\r\n"
        b"\tat continuation ERROR\n"
        b"Nov 27 02:00:59 h a[1]: ERROR boom id=7\n"
        b"Nov 27 03:00:00 h a[1]: INFO x=3\n"
        b"plain ERROR boom id=8\n"
    )
    starts = [0]
    for index, byte in enumerate(block):
        if byte == 10 and index + 1 < len(block):
            starts.append(index + 1)
    result = scan(block, overrides=[(starts[2], WARN)], prev_key=5)
    (lines, errors, warns, level_lines, metrics, others, refused, hours, last_key, first_stamped,
     last_stamped, counts) = result
    assert (lines, errors, warns, level_lines) == (6, 3, 2, 6)
    # 1 = 2**0, 3 = 2**1 * (1 + 32/64), 2.5 = 2**1 * (1 + 16/64), 7 = 2**2 * (1 + 48/64), 8 = 2**3
    assert metrics == {b"x": [(0, 2, 4, 10, 1, 3, {68800: 1, 68896: 1})],
                       b"y": [(1, 1, 25, 625, 25, 25, {68880: 1})],
                       b"id": [(0, 2, 15, 113, 7, 8, {68976: 1, 68992: 1})]}
    assert (others, refused) == ([], 0)
    minute = stamp_key(b"Nov 27 02:00:01")
    assert minute == stamp_key(b"Nov 27 02:00:59")
    later = stamp_key(b"Nov 27 03:00:00")
    assert hours == {5: [1, 1, 0], minute: [3, 1, 2], later: [2, 1, 0]}
    assert (last_key, first_stamped, last_stamped) == (later, starts[1], starts[4])
    assert counts == {
        (ERROR, b"boom id=<*>"): [2, starts[3], starts[3], starts[3]],
        (WARN, b"x=<*> y=<*>"): [1, starts[1], starts[1], starts[1]],
        (WARN, b"at continuation ERROR"): [1, starts[2], -1, -1],
        (ERROR, b"first line without stamp ERROR"): [1, 0, -1, -1],
    }
    assert counts == reference_block(block, True, None, -1, THRESHOLD, 5,
                                     [(starts[2], WARN)], None, True)[11]


def test_empty_block():
    assert scan(b"", prev_key=42) == (0, 0, 0, 0, {}, [], 0, {}, 42, -1, -1, {})


def test_levels_off_counts_only_overrides():
    block = b"ERROR a\nWARN b\nc\n"
    result = scan(block, levels=False, overrides=[(8, ERROR)])
    assert result[:4] == (3, 1, 0, 1)
    assert result[11] == {(ERROR, b"b"): [1, 8, -1, -1]}


@pytest.mark.parametrize(
    "overrides, message",
    [([(1, ERROR)], "not a line start"), ([(0, ERROR), (0, WARN)], "strictly increasing"),
     ([(6, ERROR), (0, WARN)], "strictly increasing"), ([(0, 3)], "is not 1"),
     ([(0, 0)], "is not 1"), ([(99, ERROR)], "strictly increasing"),
     ([(-1, ERROR)], "strictly increasing")],
)
def test_bad_overrides_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        scan(b"ERROR\nWARN x\n", overrides=overrides)


def test_admit_errors_propagate():
    def admit(key):
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        scan(b"a=1\n", admit=admit)
    with pytest.raises(TypeError):
        scan(b"a=1\n", admit=5)


def test_admit_is_asked_once_per_key_and_refusals_are_no_metrics():
    calls = []

    def admit(key):
        calls.append(key)
        return not key.startswith(b"id")

    block = b"".join(b"id=%d lat=%d.5 big=1e5 id_x=%d, far=%d\n" % (i, i, i, i) for i in range(50))
    result = scan(block, ceiling=b"d", admit=admit)
    assert sorted(calls) == [b"big", b"far", b"id", b"id_x", b"lat"]
    assert result[4] == {}  # "lat" sorts after the ceiling b"d"; so does "far"
    assert result[5] == [(b"big", b"1e5")] * 50
    assert result[6] == 100  # lat and far: refused by the cap, counted; id and id_x not at all


def test_many_distinct_keys_stay_bounded_and_exact():
    """More (key, decimals) than the table holds go to others; more keys than the admit cache
    holds are asked about again (memory stays bounded)."""
    rows = 70_000
    block = b"".join(b"k%d=%d k%d=0.5\n" % (i, i, i % 7) for i in range(rows))
    block += b"".join(b"k%d=1.25 k1=2\n" % i for i in (rows - 1, rows - 2, 3, 4))  # asked before
    calls = []

    def admit(key):
        calls.append(key)
        return True

    result = scan(block, admit=admit, want_templates=False)
    expected = reference_block(block, True, None, -1, THRESHOLD, -1, None, None, False)
    assert result == expected
    assert sum(len(rows) for rows in result[4].values()) == MAX_ENTRIES
    assert len(result[5]) == rows + 7 - MAX_ENTRIES + 4
    assert set(calls) == {b"k%d" % i for i in range(rows)}
    # The first keys' answers are kept; past the cache's size a key is asked again.
    assert calls.count(b"k3") == calls.count(b"k4") == calls.count(b"k1") == 1
    assert calls.count(b"k%d" % (rows - 1)) == calls.count(b"k%d" % (rows - 2)) == 2


def test_exact_sums_past_int128():
    biggest = 10**18 - 1
    block = b"".join(b"v=%d w=-%d d=0.%s\n" % (biggest, biggest, b"9" * 17) for _ in range(400))
    block += b"v=-1 w=5 d=-99999999999999999.9 e=-1e30 f=+.5 g=1.5E-3 h=%s\n" % (b"9" * 19)
    result = scan(block)
    assert result == reference_block(block, True, None, -1, THRESHOLD, -1, None, None, True)
    ((_decimals, _count, _total, total_sq, _low, _high, _buckets),) = result[4][b"v"]
    assert total_sq == 400 * biggest**2 + 1  # > 2**127: spilled to Python ints


def test_hours_follow_prev_key_and_stamps():
    block = b"x\nNov 27 02:00:01 a\ny\n2026-11-27T02:00:30+01:00 b\n1700000000 c\nz\n"
    result = scan(block, prev_key=123)
    syslog = stamp_key(b"Nov 27 02:00:01")
    iso = stamp_key(b"2026-11-27T02:00:30+01:00")
    epoch = stamp_key(b"1700000000")
    assert epoch % 4096 == 2048 and iso % 4096 == 2048 + 60 and syslog % 4096 == 4095
    assert result[7] == {123: [1, 0, 0], syslog: [2, 0, 0], iso: [1, 0, 0], epoch: [2, 0, 0]}
    assert result[8] == epoch


@pytest.mark.parametrize("prev_key", [-2**63, -2**63 + 1, -1, 0, 2**63 - 1])
def test_any_previous_key_counts_the_lines_before_the_first_stamp(prev_key):
    """Lines before a block's first stamp go to the hour the previous block ended in, whatever
    int64 that key is (the hour cache keeps no key value as its empty mark)."""
    block = b"x\nWARN y\nNov 27 02:00:01 ERROR z\n2026-11-27T02:00:01+01:00 w\n"
    args = (block, True, None, 200, THRESHOLD, prev_key, None, None, True)
    assert scan(*args) == reference_block(*args)


def test_a_time_with_any_byte_in_any_of_its_places_is_read_like_the_reference():
    """The C pass reads "HH:MM:SS" with one 8-byte load: a byte just outside the digits ("/" and
    ":"), a letter, a blank or a byte >= 0x80 in any of its eight places is no time, as for
    the reference; hours, minutes and seconds past their range are refused alike."""
    lines = []
    for stamp, at in ((b"Nov 27 02:03:04", 7), (b"2026-11-27 02:03:04", 11),
                      (b"[2026-11-27T02:03:04+01:00]", 12), (b"I1127 02:03:04.5", 6)):
        for place in range(8):
            for byte in b"/:a 09\x80\xff.":
                line = bytearray(stamp)
                line[at + place] = byte
                lines.append(bytes(line) + b" WARN x k=1")
        lines += [stamp.replace(b"02:03:04", text) + b" ERROR y"
                  for text in (b"24:00:00", b"23:60:00", b"23:59:60", b"99:99:99", b"00:00:00")]
    block = b"\n".join(lines) + b"\n"
    for prev_key in (-1, 7):
        args = (block, True, None, 200, THRESHOLD, prev_key, None, None, True)
        assert scan(*args) == reference_block(*args)


def test_minutes_that_share_a_slot_of_the_hour_cache_keep_their_own_counts():
    """The C pass keeps a recent minute's bucket in a cache slot by the minute's low bits (2048
    slots): minutes 2048 apart (and a day apart, and the same minute in other zones) alternate
    in one block and each still counts its own lines, as the reference does."""
    lines = []
    for i in range(300):
        day = 1 + (i % 3) * 2  # Nov 1, 3, 5: 2880 minutes apart, the same low bits or not
        lines.append(b"2026-11-%02d %02d:%02d:07 ERROR x" % (day, i % 24, i % 60))
        lines.append(b"2026-11-%02dT%02d:%02d:07+01:00 WARN y" % (day, i % 24, i % 60))
        if i % 7 == 0:
            lines.append(b"no stamp WARN z")
    block = b"\n".join(lines) + b"\n"
    for prev_key in (-1, 5):
        args = (block, True, None, 200, THRESHOLD, prev_key, None, None, True)
        assert scan(*args) == reference_block(*args)


# --- sketch buckets: C's double of m / 10**d and its bits against sketch.bucket_index ------------

BOUNDARY_DECIMALS = [
    b"1", b"2", b"4", b"1024", b"9007199254740992", b"9007199254740993", b"9007199254740991",
    b"0.5", b"0.25", b"0.015625", b"1.015625", b"1.03125", b"1.984375", b"1.0156249999999999",
    b"1.0156250000000001", b"999999999999999999", b"0.000000000000000001", b"123456789012345678",
    b"0.1", b"0.3", b"2.5", b"1.99999999999999999", b"0.00000000000000001", b"0", b"0.0",
    b"4503599627370497", b"18014398509481985", b"0.999999999999999999",
]  # fmt: skip


def decimal_texts():
    """Plain decimals C scales itself: up to 18 digits, any number of them after the point,
    with the bucket boundaries 2**k and 1 + k/64 and numbers around 2**53 among them."""
    exact = st.integers(1, 10**18 - 1).flatmap(
        lambda m: st.integers(0, len(str(m))).map(
            lambda d: (str(m)[:len(str(m)) - d] or "0") + ("." + str(m)[len(str(m)) - d:]
                                                           if d else "")))
    power_steps = st.tuples(st.integers(-20, 59), st.integers(0, 63)).map(
        lambda pair: _decimal_of(Fraction(64 + pair[1], 64) * Fraction(2) ** pair[0]))
    texts = st.one_of(st.sampled_from(BOUNDARY_DECIMALS), exact.map(str.encode), power_steps)
    return st.tuples(st.sampled_from([b"", b"-", b"+"]), texts).map(b"".join)


def _decimal_of(value: Fraction) -> bytes:
    """The exact decimal text of a dyadic fraction, if it has at most 18 digits, else rounded."""
    text = f"{float(value):.18g}" if value.denominator > 10**12 else None
    if text is None:
        digits = 0
        while (value * 10**digits).denominator != 1:
            digits += 1
        scaled = int(value * 10**digits)
        text = str(scaled) if not digits else f"{scaled // 10**digits}.{scaled % 10**digits:0{digits}d}"
    return text.encode()


@settings(max_examples=2000, deadline=None)
@given(st.lists(decimal_texts(), min_size=1, max_size=20))
def test_sketch_buckets_of_c_are_those_of_python(texts):
    block = b"".join(b"v=%s\n" % text for text in texts)
    result = scan(block)
    assert result == reference_block(block, True, None, -1, THRESHOLD, -1, None, None, True)
    expected: dict[int, int] = {}
    for text in texts:
        if scaled(text) is None:
            continue
        index = bucket_index(float(text))  # float(str) is correctly rounded too
        expected[index] = expected.get(index, 0) + 1
    got: dict[int, int] = {}
    for row in result[4].get(b"v", []):
        for index, count in row[6].items():
            got[index] = got.get(index, 0) + count
    assert got == expected


def test_sketch_samples_inside_and_outside_the_direct_windows_are_the_reference():
    """The C pass counts the first 32 metrics' samples straight into a window of 2048 buckets
    per sign, placed around that sign's first sample, and the rest in its hash table: samples
    16 octaves and more away on either side, both signs, zeros, the window's edges and a 33rd
    metric and later ones give the reference's buckets, each bucket once."""
    values = [b"1", b"-1", b"0"] + [b"%d" % 2**k for k in range(0, 62, 3)] + \
        [b"-%d" % 2**k for k in range(0, 62, 5)] + [b"0.%s1" % (b"0" * k) for k in range(0, 17, 2)]
    values += [b"%d" % 2**16, b"%d" % (2**16 - 1), b"%d" % (2**16 + 1), b"%d" % 2**15]  # edges
    lines = [b"x k=" + value + b" m" + b"%d" % (i % 40) + b"=" + value for i, value in enumerate(values * 3)]
    block = b"\n".join(lines) + b"\n"
    args = (block, True, None, 200, THRESHOLD, -1, None, None, True)
    assert scan(*args) == reference_block(*args)


@pytest.mark.parametrize("second", [
    b"xlatency_ms=6 bytes=7",          # the previous line's key as the end of a longer key
    b"a=latency_ms=6 bytes=7",         # ... after a "=" in one token
    b"(latency_ms=6 bytes=7",          # ... after a byte that is no blank
    b"latency_ms=6.5 bytes=7",         # the same key with other decimals
    b"latency_ms=6, bytes=7; r=1e3",   # one "," or ";" ends a value; an exponent goes to Python
    b"latency_ms=6,, bytes=7x z=-",    # not numbers
    b"bytes=7 latency_ms=6",           # the keys in another order
    b"latency_ms=1234567890123456789 bytes=00000000000000000012",  # past 18 digits
])
def test_a_key_guessed_from_the_previous_line_is_checked_like_any_other(second):
    """scan_pairs tries the key the previous line had at the same place first; what it finds
    must be what the token rule finds, whatever the line holds."""
    block = b"t latency_ms=5 bytes=6\n" + b"t " + second + b"\n" + second + b"\n"
    args = (block, True, None, 200, (2026, 11, 27, 0, 0, 0), -1, None, None, True)
    assert scan(*args) == reference_block(*args)


@pytest.mark.parametrize("value", [
    b"0", b"7", b"1234567", b"12345678", b"123456789", b"1234567.1234567", b"1234567.12345678",
    b"0.5", b".5", b"5.", b"-0", b"+3", b"-.25", b"1e3", b"1.5E-3", b"12345678901234567890",
    b"00000000000000000012", b"1.", b".", b"-", b"12ab", b"12,", b"12;", b"12,x", b"1.2.3",
])
@pytest.mark.parametrize("at_block_end", [False, True])
def test_numbers_near_eight_digits_and_the_block_end_are_read_like_the_reference(value,
                                                                                  at_block_end):
    """The C pass reads up to 8 digits at once where 8 bytes can be read, else byte by byte:
    both must be the reference's number, whatever the value's length and where it ends."""
    block = b"x=1 k=" + value + (b"\n" if at_block_end else b" tail=2\n" + b"y" * 20 + b"\n")
    args = (block, True, None, 200, (2026, 11, 27, 0, 0, 0), -1, None, None, True)
    assert scan(*args) == reference_block(*args)


@pytest.mark.parametrize("width", [1, 7, 8, 15, 16, 17, 31, 32, 33])
def test_pairs_at_every_offset_of_a_16_byte_window_are_the_reference(width):
    """The C pass looks for "=" 16 bytes a step while 16 can be read, and compares keys 4 or 8
    bytes at a time: a pair at any offset, a key of any length, near the line's and the
    block's end, is still found as the reference finds it."""
    lines = []
    for offset in range(width):
        key = b"k" * (1 + offset % 19)
        lines.append(b"x" * offset + b" " + key + b"=" + str(offset).encode() + b" a=b=1")
        lines.append(b"x" * offset + b" " + key + b"=" + str(offset + 1).encode())  # guessed
    for end in (b"\n", b" z=9\n"):
        block = b"\n".join(lines) + end
        args = (block, True, None, 200, (2026, 11, 27, 0, 0, 0), -1, None, None, True)
        assert scan(*args) == reference_block(*args)


@pytest.mark.parametrize("width", [1, 7, 8, 15, 16, 17, 31, 32, 33])
def test_level_tokens_at_every_offset_of_a_16_byte_window_are_the_reference(width):
    """The C pass looks for bytes that may start a level token 16 at a time while 16 can be
    read, the rest of the line byte by byte: a token (bare, bracketed, keyed) at any offset,
    after bytes that may start one and do not (a capital, "[", "l", "s"), in the last 16 bytes
    of a line or at its very end, is found where the reference finds it."""
    tokens = [b"ERROR", b"WARN", b"[error]", b"[app:WARN]", b"level=warn", b"severity=error",
              b"lvl=info"]
    decoys = [b"x", b"Nov", b"[x]", b"lx", b"s", b"ERRORS", b"WARN-", b"level=x", b"[", b"A"]
    lines = []
    for offset in range(width):
        for token in tokens:
            decoy = decoys[offset % len(decoys)]
            filler = (decoy + b" " + b"y" * offset)[:offset]
            lines += [filler + b" " + token, filler + b" " + token + b" tail",
                      b"Nov 27 02:00:01 " + filler + b" " + token, filler + b" " + decoy]
    for end in (b"\n", b"\r\n"):
        block = end.join(lines) + end
        args = (block, True, None, 200, (2026, 11, 27, 0, 0, 0), -1, None, None, True)
        assert scan(*args) == reference_block(*args)


# Messages whose digits play every part mask gives them: wildcarded tokens, keys copied into
# the template, lists, quoted text, hex, versions, bracketed ids.
DIGIT_ROLES = [b"took 12 ms", b"k1=5 k2=7", b"user 42 logged", b"[1,2-3]", b"x1y", b"v1.2.3",
               b'msg="retry 3 of 5"', b"id=ab12", b"path=/v1/b", b"0x1f", b"cn[01-04]", b"'q9'",
               b"GET /a/1", b"a1_b2", b"node 7 host h1", b"(12)", b"12;", b"client: 10.0.0.1",
               b"msg='n 4' x", b"3", b"a,1", b'"7"']


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from(DIGIT_ROLES), min_size=1, max_size=6),
       digits=st.lists(st.binary(min_size=64, max_size=64), min_size=2, max_size=5))
def test_messages_that_differ_only_in_their_digits_get_the_reference_templates(parts, digits):
    """The C pass remembers, per block, the template of a message with its digits read as "0"
    when that template holds no digit: messages that differ only in digit values (and in
    level) get the reference's templates, whether or not a digit was copied into them."""
    base = b" ".join(parts)
    lines = []
    for choice in digits:
        picks = iter(choice * 40)
        message = bytes(48 + next(picks) % 10 if 48 <= c <= 57 else c for c in base)
        lines += [b"Nov 27 02:00:01 host app[1]: ERROR " + message,
                  b"Nov 27 02:00:02 host app[1]: WARN " + message]
    block = b"\n".join(lines) + b"\n"
    args = (block, True, None, 200, THRESHOLD, -1, None, None, True)
    assert scan(*args) == reference_block(*args)


def test_a_block_of_more_distinct_messages_than_the_template_memo_holds_is_the_reference():
    """Past the memo's 512 messages (or its bytes: messages near the 2048-byte input cap) a
    block's messages are only masked: still the reference's templates and counts."""
    words = [bytes([97 + i % 26, 97 + i // 26 % 26, 97 + i // 676]) for i in range(700)]
    lines = [b"ERROR event " + word + b" took " + str(i).encode() + b" ms"
             for i, word in enumerate(words * 2)]
    lines += [b"WARN " + word * 700 + b" 12 " + str(i).encode() for i, word in enumerate(words[:200])]
    block = b"\n".join(lines) + b"\n"
    args = (block, True, None, 200, THRESHOLD, -1, None, None, True)
    assert scan(*args) == reference_block(*args)


def build_scanner(folder: Path, *flags: str) -> Path:
    """logcrunch/_fastscan.c compiled with ``flags`` into ``folder`` as a top-level _fastscan
    module (skips without a C compiler)."""
    import shutil
    import subprocess
    import sysconfig

    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("needs a C compiler")
    source = Path(__file__).parent.parent / "logcrunch" / "_fastscan.c"
    module = folder / f"_fastscan{sysconfig.get_config_var('EXT_SUFFIX')}"
    subprocess.run([compiler, "-shared", "-fPIC", *flags, f"-I{sysconfig.get_paths()['include']}",
                    str(source), "-o", str(module)], check=True, timeout=120)
    return module


PORTABLE_COMPARE = r'''
import json, sys
from array import array

import _fastscan as portable  # built without SSE2: the 8-byte SWAR and byte-by-byte paths
from logcrunch import _fastscan as native

def normal(result):
    result = list(result)
    for rows in result[4].values():  # bucket blobs are unsorted (a seeded hash table)
        rows[:] = [(*row[:6], sorted(zip(array("q", row[6])[0::2], array("q", row[6])[1::2])))
                   for row in rows]
    return result

blocks = [text.encode("latin-1") for text in json.load(open(sys.argv[1]))]
for number, block in enumerate(blocks):
    for levels, templates, prev_key in ((True, True, -1), (True, False, 7), (False, True, -1)):
        args = (block, levels, None, 200, (2026, 11, 28, 0, 0, 0), prev_key, None, None, templates)
        if normal(portable.scan_block(*args)) != normal(native.scan_block(*args)):
            sys.exit(f"block {number} differs: {block[:300]!r}")
print("same", len(blocks))
'''


def test_the_portable_build_without_sse2_scans_like_the_sse2_build(tmp_path):
    """Machines without SSE2 (aarch64 nodes, say) run the 8-byte SWAR and byte-by-byte paths the
    x86-64 build replaces with 16-byte steps (big-endian ones the byte-by-byte time too): a build
    with __SSE2__ undefined and LOGCRUNCH_PORTABLE defined gives the same
    outputs as this one on every example line, on lines with a token or a pair at every offset
    of a 16-byte window, and on thousands of mutated lines."""
    import json
    import random
    import subprocess

    build_scanner(tmp_path, "-O1", "-U__SSE2__", "-DLOGCRUNCH_PORTABLE")
    lines = DOCSTRING_EXAMPLES + REAL_WORLD + EDGE_CASES + DIGIT_ROLES
    for pad in range(40):
        for piece in (b"WARN", b"[error]", b"level=warn", b"k=12", b"latency_ms=3.25", b"l", b"s",
                      b"a:", b"02:03:04"):
            lines += [b"z" * pad + b" " + piece, b"Nov 27 02:00:01 " + b"y" * pad + b" " + piece]
    rng = random.Random(13)
    alphabet = b" :=[]-.,;0123456789aAeElsWARNERROR\t\"'/"
    for _ in range(4000):
        line = bytearray(rng.choice(lines))
        for _ in range(rng.randint(1, 4)):
            line[rng.randrange(len(line) + 1):0] = bytes([rng.choice(alphabet)])
        lines.append(bytes(line))
    blocks = [b"\n".join(lines[i:i + 200]) + b"\n" for i in range(0, len(lines), 200)]
    blocks += [line for line in lines[:300]]  # lines that end the block without a newline
    corpus = tmp_path / "blocks.json"
    corpus.write_text(json.dumps([block.decode("latin-1") for block in blocks]))
    (tmp_path / "compare.py").write_text(PORTABLE_COMPARE)
    root = str(Path(__file__).parent.parent)
    run = subprocess.run([sys.executable, str(tmp_path / "compare.py"), str(corpus)],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env={"PYTHONPATH": f"{tmp_path}:{root}", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert run.stdout.startswith("same ")


MEMCHECK_CORPUS = r'''
import sys
import _fastscan

def digits(n):
    return bytes(48 + i % 10 for i in range(n))

values = [b"", b".", b"-", b"+", b".5", b"-.25", b"+.75", b"5.", b"-0", b"1e3", b"1.5E-3", b"12,",
          b"12;", b"1.2.3"] + [digits(n) for n in range(21)] + [
          digits(w) + b"." + digits(f) for w in (0, 1, 7, 8, 9) for f in (0, 1, 7, 8, 9)]
keys = [b"k" * n for n in (1, 3, 4, 5, 7, 8, 9, 15, 16, 17)]
blocks = []
for value in values:
    for key in (b"k", b"latency_ms"):
        pair = key + b"=" + value
        for pad in range(17):
            line = b"x" * pad + b" " + pair
            blocks += [line + b"\n", line, line + b"\r\n", line + b" a=1\n" + line + b"\n"]
for key in keys:
    for pad in range(33):
        line = b"y" * pad + b" " + key + b"=" + digits(pad % 12)
        blocks += [line + b"\n" + line + b" " + key + b"=1.5\n" + line, b"\x00\xff " + line]
# Indexes that grow (metric entries, admit decisions, hours, templates), the memo filling up,
# messages at the input caps, many metrics in the direct sketch windows.
blocks.append(b"".join(b"m%d=%d n%d=-%d.%d\n" % (i % 90, i * 7919 % 10**9, i % 90, i, i % 97)
                       for i in range(3000)))
blocks.append(b"".join(b"2026-11-%02d %02d:%02d:07 ERROR ev %d %s\n"
                       % (1 + i % 28, i % 24, i % 60, i, bytes([97 + i % 26]) * (i % 9))
                       for i in range(1200)))
blocks.append(b"".join(b"WARN " + bytes([97 + i % 26, 97 + i // 26 % 26]) * 1100 + b"\n"
                       for i in range(150)))
for length in (2040, 2048, 2049, 2060, 4000):
    message = b"[a]" + b"x" * (length - 20) + b", client: 1.2.3.4"
    blocks += [b"ERROR " + message + b"\n", b"ERROR " + message, b"ERROR " + b'"' * length]
for n in range(20):  # messages (masked, then remembered) ending at the block's end
    blocks += [b"WARN m " + digits(n), b"ERROR k=" + digits(n) + b"\nERROR k=" + digits(n)]
for pad in range(40):  # a level token (or a byte that may start one) at every offset
    for token in (b"WARN", b"[error]", b"level=warn", b"l", b"s", b"[", b"E"):
        blocks += [b"z" * pad + b" " + token, b"z" * pad + b" " + token + b"\n"]
blocks += [b"k=" + digits(3) + b"\x80" * 40 + b"\n", b"a=b=1 c==2 =3 _=4\n" * 3,
           b"k=1 " * 5000 + b"\n", b"z" * 70000 + b" k=12\n"]
for block in blocks:
    for ceiling, max_key in ((None, -1), (b"k", 3)):
        _fastscan.scan_block(block, True, ceiling, max_key, (2026, 11, 27, 0, 0, 0), -1, None,
                             None, True)
_fastscan.scan_block(blocks[-20], True, None, -1, (2026, 11, 27, 0, 0, 0), -2**63, None,
                     lambda key: True, True)  # admit decisions; the lowest prev_key
print("scanned", len(blocks))
'''


def test_the_scanner_reads_no_uninitialised_or_outside_memory(tmp_path):
    """valgrind memcheck over scan_block built without optimisation (where an uninitialised
    value is not hidden by the optimiser) on every digit count, key length, 16-byte offset and
    block end, each allocation its own (PYTHONMALLOC=malloc): no error has a frame in
    _fastscan.c. An -O2 build can hide such a read: '.5' once took the value of whatever was
    on the stack in an ASan build."""
    import shutil
    import subprocess

    valgrind = shutil.which("valgrind")
    if valgrind is None:
        pytest.skip("needs valgrind")
    build_scanner(tmp_path, "-O0", "-g", "-msse2")
    (tmp_path / "corpus.py").write_text(MEMCHECK_CORPUS)
    run = subprocess.run([valgrind, "--tool=memcheck", "--track-origins=yes",
                          "--num-callers=4", sys.executable, str(tmp_path / "corpus.py")],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path,
                         env={"PYTHONMALLOC": "malloc", "PYTHONPATH": str(tmp_path),
                              "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert "scanned" in run.stdout
    errors = [report for report in re.split(r"\n(?===\d+== \S)", run.stderr)
              if "_fastscan.c:" in report]
    assert errors == [], "\n".join(errors[:3])
