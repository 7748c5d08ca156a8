# ruff: noqa: E501  (the statement tables below are long string literals)
"""A labelled log test set for template mining: every line says which statement wrote it.

Deterministic (seeded ``random.Random``). Each layout below is a set of *statements*: the
``log.warn("Replica %d is lost", n)`` calls of some program, each with an id, a level and a text
whose ``${type}`` placeholders are filled with typed parameters (ints, floats, IPs with ports,
hex, UUIDs, block ids, paths with and without digits, durations, quoted strings with spaces,
user and host names, key=value pairs, free text from a list). A layout renders each statement's
message inside its own header (stamp, level, thread, component, program tag, ...). Lines of a
file are drawn by statement weight, so they come interleaved in random order.

The data is meant to be realistic, not kind to any method. It deliberately keeps what real logs
do and what hurts some template miner or other:

* variable words with no digit: user names, host and server names, program and package names,
  table names, enum states, paths without numbers, Android thread names;
* variable-length parameters: lists of blocks or IPs, free-text exception reasons, unquoted
  unit descriptions;
* statements that differ only in constant text ("Replica 3 ... is lost" / "... is corrupt"),
  listed in CONSTANT_TEXT_PAIRS; and one pair that differs only in a constant key=value value
  (kind "value");
* a statement logged from two threads or with an optional trailing field.

Usage::

    python benchmarks/labelled_logs.py --out DIR [--seed N] [--lines-per-layout N]

writes DIR/<data set>/<file>.log and DIR/labels.jsonl (one object per line: file, line number,
statement, level, message). A data set is one layout in one style (``apache_error``,
``apache_error_24``), written as two files, as one program writes one layout; ``generate()``
returns the same data in memory.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

DEFAULT_SEED = 20261127
DEFAULT_LINES_PER_LAYOUT = 600

ERROR = "error"
WARN = "warn"
INFO = "info"

# A statement's level as the program spells it -> its class.
LEVEL_CLASS = {
    "FATAL": ERROR, "ERROR": ERROR, "CRITICAL": ERROR, "SEVERE": ERROR, "FAILURE": ERROR,
    "EMERG": ERROR, "CRIT": ERROR, "WARN": WARN, "WARNING": WARN, "INFO": INFO, "NOTICE": INFO,
    "DEBUG": INFO,
}


@dataclass(frozen=True)
class Statement:
    id: str
    level: str  # as the program spells it: ERROR, WARN, FATAL, ...
    text: str  # with ${type} or ${type:arg} placeholders
    weight: float = 1.0
    component: str = ""  # logger / class / tag / program, may hold placeholders too


@dataclass(frozen=True)
class LabelledLine:
    content: bytes  # the line without its newline
    statement: str  # "layout/statement-id"
    level: str  # error, warn or info (the statement's class)
    message: bytes  # the part the statement wrote, without the layout's header


@dataclass(frozen=True)
class LogFile:
    layout: str
    name: str
    lines: tuple[LabelledLine, ...]


# ---------------------------------------------------------------------------------------------
# Parameter values.

USERS = ("root", "admin", "test", "oracle", "guest", "postgres", "ubuntu", "pi", "git", "deploy",
         "ftpuser", "nagios", "hadoop", "jenkins", "support", "mysql", "user", "www", "alice",
         "bob", "ansible", "backup", "user1", "test123", "admin2", "dev01")
HOSTS = ("db-primary", "db-replica", "cache.internal", "api.example.com", "auth.example.com",
         "search.local", "redis", "kafka-broker", "payments.svc.cluster.local", "localhost",
         "mail.example.org", "metrics.internal")
NUM_HOSTS = ("node-{n}", "mesos-slave-{n}", "ip-10-0-{n}-{m}", "worker{n}.dc1", "web-{n}",
             "dn{n}.hadoop.local", "MININT-FNANLI{n}", "msra-sa-{n}")
WORDS = ("app", "static", "images", "assets", "data", "uploads", "cache", "config", "logs",
         "reports", "export", "admin", "css", "js", "vendor", "tmp", "public", "docs", "media",
         "archive", "users", "shared")
EXTS = ("html", "png", "js", "css", "json", "xml", "log", "txt", "php", "ico", "jpg")
PACKAGES = ("com.example.shop", "com.whatsapp", "com.android.chrome", "org.telegram.messenger",
            "com.google.android.gms", "com.spotify.music", "com.example.notes", "com.facebook.katana",
            "com.android.systemui", "com.twitter.android", "com.android.vending")
PHRASES = ("connection reset", "no route to host", "disk quota exceeded for volume",
           "the operation timed out after waiting", "permission denied", "bad gateway",
           "invalid argument supplied to the handler", "not found", "unexpected end of stream",
           "certificate has expired or is not yet valid", "too many open files")
TEXTS = {
    "ioexc": ("java.io.IOException: Could not read from stream",
              "java.io.IOException: Connection reset by peer",
              "java.io.EOFException",
              "java.net.SocketTimeoutException: 63000 millis timeout while waiting for channel to "
              "be ready for read. ch : java.nio.channels.SocketChannel[connected "
              "local=/10.251.91.229:50010 remote=/10.251.91.229:39530]",
              "java.io.InterruptedIOException: Interruped while waiting for IO on channel "
              "java.nio.channels.SocketChannel[closed]. 0 millis timeout left."),
    "sparkexc": ("java.io.IOException: Failed to connect to mesos-slave-07/10.10.34.17:55702",
                 "ExecutorLostFailure (executor 3 exited caused by one of the running tasks) "
                 "Reason: Container marked as failed: container_1485248649253_0147_01_000004 on "
                 "host: mesos-slave-13. Exit status: 50.",
                 "java.lang.OutOfMemoryError: Java heap space",
                 "FetchFailed(BlockManagerId(7, mesos-slave-02, 45923), shuffleId=0, mapId=3, "
                 "reduceId=12, message=org.apache.spark.shuffle.FetchFailedException)"),
    "kerr": ("context deadline exceeded",
             "Put \\\"https://10.96.0.1:443/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/"
             "leases/worker-3?timeout=10s\\\": net/http: request canceled (Client.Timeout exceeded "
             "while awaiting headers)",
             "etcdserver: request timed out",
             "Operation cannot be fulfilled on deployments.apps \\\"web\\\": the object has been "
             "modified; please apply your changes to the latest version and try again",
             "dial tcp 10.96.0.1:443: connect: connection refused"),
    "listfail": ("the server could not find the requested resource",
                 "Get \"https://10.96.0.1:443/api/v1/pods?limit=500\": dial tcp 10.96.0.1:443: "
                 "connect: connection refused",
                 "Unauthorized",
                 "an error on the server (\"\") has prevented the request from succeeding"),
    "goerr": ("context deadline exceeded", "connection refused", "EOF",
              "rpc error: code = Unavailable desc = transport is closing",
              "write tcp 10.2.3.4:9095->10.2.7.1:43122: write: broken pipe",
              "no space left on device"),
    "pyexc": ("ValueError('invalid literal for int() with base 10: \\'abc\\'')",
              "KeyError('user_id')", "TimeoutError()",
              "ConnectionError('Error 111 connecting to redis:6379. Connection refused.')",
              "OperationalError('server closed the connection unexpectedly')"),
    "units": ("Docker Application Container Engine", "PostgreSQL database server",
              "The Apache HTTP Server", "OpenBSD Secure Shell server", "Daily apt upgrade and "
              "clean activities", "Network Manager"),
    "nginx_host": ("example.com", "api.example.com", "shop.example.com", "static.example.com"),
}


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    return f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _int(rng: random.Random, arg: str) -> str:
    if arg:
        lo, hi = (int(x) for x in arg.split(".."))
        return str(rng.randint(lo, hi))
    return str(int(10 ** rng.uniform(0, 5.5)))


def _hex(rng: random.Random, digits: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(digits))


def _path(rng: random.Random, root: str = "/var/www/html") -> str:
    parts = [rng.choice(WORDS) for _ in range(rng.randint(0, 2))]
    return "/".join([root, *parts, f"{rng.choice(WORDS)}.{rng.choice(EXTS)}"])


def _num_path(rng: random.Random) -> str:
    return rng.choice((
        f"/data/hdfs/dn{rng.randint(1, 12)}/current/subdir{rng.randint(0, 63)}/blk_{rng.randint(10**9, 10**10)}",
        f"/var/lib/docker/overlay2/{_hex(rng, 24)}/merged",
        f"/home/user{rng.randint(1, 99)}/jobs/run-{rng.randint(1, 9999)}/output.csv",
        f"/api/v1/orders/{rng.randint(1, 10**6)}",
    ))


def _url_path(rng: random.Random) -> str:
    return rng.choice((f"/api/v1/users/{rng.randint(1, 99999)}", f"/api/v2/orders/{rng.randint(1, 9999)}/items",
                       "/login", "/checkout", f"/static/{rng.choice(WORDS)}.{rng.choice(EXTS)}",
                       f"/search?q={rng.choice(WORDS)}", "/health", f"/img/{_hex(rng, 8)}.png"))


def _num_host(rng: random.Random) -> str:
    return rng.choice(NUM_HOSTS).format(n=rng.randint(1, 40), m=rng.randint(1, 254))


def _duration(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.5:
        return f"{rng.randint(1, 9999)}ms"
    if kind < 0.8:
        return f"{rng.uniform(0.1, 60):.{rng.randint(1, 3)}f}s"
    return f"{rng.randint(1, 59)}m{rng.randint(0, 59)}s"


def _list(rng: random.Random, arg: str) -> str:
    kind, _, span = arg.partition(",")
    lo, hi = (int(x) for x in (span or "1..4").split(".."))
    return " ".join(PARAMS[kind](rng, "") for _ in range(rng.randint(lo, hi)))


PARAMS = {
    "int": _int,
    "float": lambda rng, arg: f"{rng.uniform(0, 1000):.{rng.randint(1, 3)}f}",
    "ip": lambda rng, arg: _ip(rng),
    "port": lambda rng, arg: str(rng.randint(1024, 65535)),
    "ipport": lambda rng, arg: f"{_ip(rng)}:{rng.randint(1024, 65535)}",
    "hex": lambda rng, arg: "0x" + _hex(rng, int(arg or 8)),
    "xdigits": lambda rng, arg: _hex(rng, int(arg or 8)),  # hex without 0x (may hold no digit)
    "uuid": lambda rng, arg: "-".join(_hex(rng, n) for n in (8, 4, 4, 4, 12)),
    "blk": lambda rng, arg: f"blk_{rng.choice(('', '-'))}{rng.randint(10**17, 9 * 10**18)}",
    "path": lambda rng, arg: _path(rng, arg or "/var/www/html"),  # no digits
    "npath": lambda rng, arg: _num_path(rng),  # with digits
    "upath": lambda rng, arg: _url_path(rng),
    "dur": lambda rng, arg: _duration(rng),
    "qstr": lambda rng, arg: '"' + rng.choice(PHRASES) + '"',
    "user": lambda rng, arg: rng.choice(USERS),
    "host": lambda rng, arg: rng.choice(HOSTS),  # no digits
    "nhost": lambda rng, arg: _num_host(rng),  # with digits
    "pkg": lambda rng, arg: rng.choice(PACKAGES),
    "word": lambda rng, arg: rng.choice(WORDS),
    "choice": lambda rng, arg: rng.choice(arg.split("|")),
    "text": lambda rng, arg: rng.choice(TEXTS[arg]),
    "list": _list,
    "ktime": lambda rng, arg: f"{rng.uniform(1, 999999):12.6f}",
    "iso": lambda rng, arg: f"2026-11-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
                            f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z",
    "appid": lambda rng, arg: f"1445144423722_{rng.randint(1, 40):04d}",
    "attempt": lambda rng, arg: f"attempt_1445144423722_{rng.randint(1, 40):04d}_"
                                f"{rng.choice('mr')}_{rng.randint(0, 20):06d}_{rng.randint(0, 3)}",
    "pod": lambda rng, arg: f"{rng.choice(('web', 'api', 'worker', 'coredns'))}-"
                            f"{_hex(rng, 10)}-{''.join(rng.choice('bcdfghjklmnpqrstvwxz2456789') for _ in range(5))}",
}
_PLACEHOLDER = re.compile(r"\$\{(\w+)(?::([^{}$]*))?\}")  # innermost first: choices may nest


def render(rng: random.Random, text: str) -> str:
    while True:
        done = _PLACEHOLDER.sub(lambda m: PARAMS[m.group(1)](rng, m.group(2) or ""), text)
        if done == text:
            return done
        text = done


# ---------------------------------------------------------------------------------------------
# Layouts: statements, and how a line is written around a message.

S = Statement


def _syslog_stamp(t: datetime) -> str:
    return f"{t:%b} {t.day:2d} {t:%H:%M:%S}"


def _ms(t: datetime) -> str:
    return f"{t.microsecond // 1000:03d}"


class Layout:
    name = ""
    styles: tuple[str, ...] = ("",)  # one data set per style
    statements: tuple[Statement, ...] = ()

    def line(self, rng: random.Random, t: datetime, st: Statement, message: str, component: str,
             style: str) -> str:
        raise NotImplementedError


class OpenSSH(Layout):
    name = "openssh"
    prefix = {"ERROR": "error: ", "FATAL": "fatal: ", "INFO": ""}
    statements = (
        S("recv_disconnect", "ERROR", "Received disconnect from ${ip}: 14: No more user authentication "
          "methods available. [preauth]", 8),
        S("max_auth_root", "ERROR", "maximum authentication attempts exceeded for root from ${ip} port "
          "${port} ssh2 [preauth]", 5),
        S("max_auth_invalid", "ERROR", "maximum authentication attempts exceeded for invalid user ${user} "
          "from ${ip} port ${port} ssh2 [preauth]", 4),
        S("pam_auth_failure", "ERROR", "PAM: Authentication failure for ${user} from ${ip}", 4),
        S("pam_auth_failure_illegal", "ERROR", "PAM: Authentication failure for illegal user ${user} from "
          "${ip}", 3),
        S("kex_closed", "ERROR", "kex_exchange_identification: Connection closed by remote host", 5),
        S("kex_reset", "ERROR", "kex_exchange_identification: read: Connection reset by peer", 2),
        S("read_socket_failed", "FATAL", "Read from socket failed: Connection reset by peer [preauth]", 3),
        S("write_failed", "FATAL", "Write failed: Connection reset by peer [preauth]", 1),
        S("no_kex_method", "FATAL", "Unable to negotiate with ${ip} port ${port}: no matching key exchange "
          "method found. Their offer: ${choice:diffie-hellman-group1-sha1|diffie-hellman-group14-sha1,"
          "diffie-hellman-group1-sha1|diffie-hellman-group-exchange-sha1} [preauth]", 2),
        S("no_cipher", "FATAL", "Unable to negotiate with ${ip} port ${port}: no matching cipher found. "
          "Their offer: ${choice:aes128-cbc,3des-cbc|aes256-cbc,blowfish-cbc} [preauth]", 1),
        S("connect_to_failed", "ERROR", "connect_to ${choice:127.0.0.1|127.0.0.1|10.0.0.5|localhost} port "
          "${port}: failed.", 1),
        S("bind_failed", "ERROR", "Bind to port ${port} on ${ip} failed: Address already in use.", 0.5),
        S("invalid_user", "INFO", "Invalid user ${user} from ${ip}", 3),
        S("failed_password", "INFO", "Failed password for ${user} from ${ip} port ${port} ssh2", 3),
        S("failed_password_invalid", "INFO", "Failed password for invalid user ${user} from ${ip} port "
          "${port} ssh2", 2),
        S("conn_closed", "INFO", "Connection closed by ${ip} port ${port} [preauth]", 2),
        S("pam_unix_failure", "INFO", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
          "tty=ssh ruser= rhost=${ip}  user=${user}", 1),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{_syslog_stamp(t)} LabSZ sshd[{rng.randint(1000, 32000)}]: {self.prefix[st.level]}{message}"


class SyslogPri(Layout):
    """Linux syslog with a PRI, RFC 3164 or RFC 5424 (a data set each); PRI severity is the
    level (3 err, 2 crit, 4 warning, 6 info)."""

    name = "syslog_pri"
    styles = ("rfc3164", "rfc5424")
    severity = {"ERROR": 3, "CRIT": 2, "WARNING": 4, "INFO": 6}
    facility = {"kernel": 0, "systemd": 3, "postfix": 2, "cron": 9, "dhclient": 3, "sshd": 4}
    statements = (
        S("oom_killed", "ERROR", "Out of memory: Killed process ${int:1000..99999} "
          "(${choice:java|python3|postgres|node|mysqld|java}) total-vm:${int}kB, anon-rss:${int}kB, "
          "file-rss:0kB, shmem-rss:0kB, UID:${int:0..2000} pgtables:${int}kB oom_score_adj:0", 3, "kernel"),
        S("ext4_error", "CRIT", "[${ktime}] EXT4-fs error (device ${choice:sda1|sdb1|nvme0n1p2}): "
          "ext4_find_entry:1455: inode #${int}: comm ${choice:systemd|rsync|find|updatedb}: reading "
          "directory lblock 0", 2, "kernel"),
        S("io_error", "ERROR", "[${ktime}] blk_update_request: I/O error, dev ${choice:sda|sda|sdb}, sector "
          "${int:1000..999999999} op 0x0:(READ) flags 0x0 phys_seg ${int:1..32} prio class 0", 3, "kernel"),
        S("usb_descriptor", "WARNING", "[${ktime}] usb ${int:1..4}-${int:1..8}: device descriptor read/64, "
          "error -${choice:71|110}", 2, "kernel"),
        S("unit_failed_start", "ERROR", "Failed to start ${text:units}.", 3, "systemd"),
        S("unit_main_exited", "WARNING", "${choice:nginx|docker|postgresql|ssh|cron|containerd}.service: "
          "Main process exited, code=exited, status=${int:1..3}/${choice:FAILURE|INVALIDARGUMENT}", 3,
          "systemd"),
        S("unit_failed_result", "WARNING", "${choice:nginx|docker|postgresql|ssh|containerd}.service: "
          "Failed with result '${choice:exit-code|timeout|signal}'.", 3, "systemd"),
        S("smtpd_no_resolve", "WARNING", "warning: hostname ${nhost} does not resolve to address ${ip}: "
          "Name or service not known", 2, "postfix/smtpd"),
        S("smtp_timeout", "ERROR", "connect to ${choice:mx.example.org|mail.example.net|"
          "aspmx.l.google.com|mx1.example.com}[${ip}]:25: Connection timed out", 2, "postfix/smtp"),
        S("sshd_bad_protocol", "CRIT", "fatal: Read from socket failed: Connection reset by peer", 1, "sshd"),
        S("cron_cmd", "INFO", "(root) CMD (${choice:run-parts /etc/cron.hourly|"
          "[ -x /usr/lib/php/sessionclean ] && /usr/lib/php/sessionclean|test -x /usr/sbin/anacron})", 3,
          "cron"),
        S("dhcp_request", "INFO", "DHCPREQUEST for ${ip} on eth0 to ${ip} port 67", 2, "dhclient"),
    )

    def line(self, rng, t, st, message, component, style):
        program = st.component
        pri = self.facility[program.split("/")[0]] * 8 + self.severity[st.level]
        pid = "" if program == "kernel" else f"[{1 if program == 'systemd' else rng.randint(200, 30000)}]"
        if style == "rfc5424":
            return (f"<{pri}>1 {t:%Y-%m-%dT%H:%M:%S}.{_ms(t)}Z web01.example.com {program} "
                    f"{pid.strip('[]') or '-'} - - {message}")
        return f"<{pri}>{_syslog_stamp(t)} web01 {program}{pid}: {message}"


class Hadoop(Layout):
    name = "hadoop"
    renewer = "LeaseRenewer:msrabi@msra-sa-41:9000"
    statements = (
        S("renew_lease", "WARN", "Failed to renew lease for [DFSClient_NONMAPREDUCE_${int:100000000..2000000000}_1] "
          "for ${int:30..300} seconds.  Will retry shortly ...", 6,
          "[LeaseRenewer:msrabi@msra-sa-41:9000] org.apache.hadoop.hdfs.LeaseRenewer"),
        S("address_change", "WARN", "Address change detected. Old: msra-sa-41/10.190.173.170:9000 New: "
          "msra-sa-41:9000", 5,
          "[${choice:LeaseRenewer:msrabi@msra-sa-41:9000|RMCommunicator Allocator}] org.apache.hadoop.ipc.Client"),
        S("rm_contact", "ERROR", "ERROR IN CONTACTING RM. ", 4,
          "[RMCommunicator Allocator] org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator"),
        S("could_not_delete", "WARN", "Could not delete hdfs://msra-sa-41:9000/out/out${int:1..9}/_temporary/1/"
          "_temporary/${attempt}", 2,
          "[CommitterEvent Processor #${int:0..4}] org.apache.hadoop.mapreduce.lib.output.FileOutputCommitter"),
        S("response_processor", "WARN", "DFSOutputStream ResponseProcessor exception  for block "
          "BP-1347369012-10.190.173.170-1444972147527:blk_${int:1073740000..1073749999}_${int:1000..9999}", 3,
          "[ResponseProcessor for block BP-1347369012-10.190.173.170-1444972147527:blk_"
          "${int:1073740000..1073749999}_${int:1000..9999}] org.apache.hadoop.hdfs.DFSClient"),
        S("error_recovery", "WARN", "Error Recovery for block BP-1347369012-10.190.173.170-1444972147527:blk_"
          "${int:1073740000..1073749999}_${int:1000..9999} in pipeline ${ipport}, ${ipport}: bad datanode "
          "${ipport}", 2,
          "[DataStreamer for file /tmp/hadoop-yarn/staging/msrabi/.staging/job_${appid}/job_${appid}_1.jhist "
          "block BP-1347369012-10.190.173.170-1444972147527:blk_${int:1073740000..1073749999}_"
          "${int:1000..9999}] org.apache.hadoop.hdfs.DFSClient"),
        S("yarnchild_error", "ERROR", "Error running child : java.net.ConnectException: Call From "
          "${nhost}/${ip} to msra-sa-41:9000 failed on connection exception: java.net.ConnectException: "
          "Connection refused; For more details see:  http://wiki.apache.org/hadoop/ConnectionRefused", 2,
          "[main] org.apache.hadoop.mapred.YarnChild"),
        S("diag_killed", "WARN", "Diagnostics report from ${attempt}: Container killed by the "
          "ApplicationMaster.", 2,
          "[AsyncDispatcher event handler] org.apache.hadoop.mapreduce.v2.app.job.impl.TaskAttemptImpl"),
        S("diag_preempted", "WARN", "Diagnostics report from ${attempt}: Container preempted by the "
          "ApplicationMaster.", 1,
          "[AsyncDispatcher event handler] org.apache.hadoop.mapreduce.v2.app.job.impl.TaskAttemptImpl"),
        S("fetcher_failed", "WARN", "Failed to connect to ${nhost}:13562 with ${int:1..9} map outputs", 2,
          "[fetcher#${int:1..5}] org.apache.hadoop.mapreduce.task.reduce.Fetcher"),
        S("slowstart", "WARN", "Reduce slow start threshold not met. completedMapsForReduceSlowstart "
          "${int:1..20}", 1, "[RMCommunicator Allocator] org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator"),
        S("retry_connect", "INFO", "Retrying connect to server: msra-sa-41:9000. Already tried ${int:0..9} "
          "time(s); retry policy is RetryUpToMaximumCountWithFixedSleep(maxRetries=10, sleepTime=1000 "
          "MILLISECONDS)", 3,
          "[${choice:LeaseRenewer:msrabi@msra-sa-41:9000|RMCommunicator Allocator}] org.apache.hadoop.ipc.Client"),
        S("processing_split", "INFO", "Processing split: hdfs://msra-sa-41:9000/pageinput2.txt:${int}+${int}",
          2, "[main] org.apache.hadoop.mapred.MapTask"),
        S("task_done", "INFO", "Task:${attempt} is done. And is in the process of committing", 2,
          "[main] org.apache.hadoop.mapred.Task"),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%Y-%m-%d %H:%M:%S},{_ms(t)} {st.level} {component}: {message}"


class HDFS(Layout):
    name = "hdfs"
    statements = (
        S("got_exception_serving", "WARN", "${ipport}:Got exception while serving ${blk} to /${ip}:", 8,
          "dfs.DataNode$DataXceiver"),
        S("writeblock_exception", "WARN", "writeBlock ${blk} received exception ${text:ioexc}", 4,
          "dfs.DataNode$DataXceiver"),
        S("delete_unexpected", "WARN", "Unexpected error trying to delete block ${blk}. BlockInfo not found in "
          "volumeMap.", 3, "dfs.FSDataset"),
        S("replica_lost", "WARN", "BLOCK* Replica ${int:1..3} of ${blk} on ${ipport} is lost", 2,
          "dfs.FSNamesystem"),
        S("replica_corrupt", "WARN", "BLOCK* Replica ${int:1..3} of ${blk} on ${ipport} is corrupt", 2,
          "dfs.FSNamesystem"),
        S("redundant_addstored", "WARN", "BLOCK* NameSystem.addStoredBlock: Redundant addStoredBlock request "
          "received for ${blk} on ${ipport} size ${int}", 2, "dfs.FSNamesystem"),
        S("addstored_no_file", "WARN", "BLOCK* NameSystem.addStoredBlock: addStoredBlock request received for "
          "${blk} on ${ipport} size ${int} But it does not belong to any file.", 1, "dfs.FSNamesystem"),
        S("pending_timeout", "WARN", "PendingReplicationMonitor timed out block ${blk}", 2,
          "dfs.PendingReplicationBlocks$PendingReplicationMonitor"),
        S("transfer_failed", "WARN", "${ipport}:Failed to transfer ${blk} to ${ipport} got "
          "java.net.SocketException: Connection reset", 2, "dfs.DataNode"),
        S("block_valid_cannot_write", "ERROR", "${ipport}:DataXceiver: java.io.IOException: Block ${blk} is "
          "valid, and cannot be written to.", 2, "dfs.DataNode"),
        S("block_already_started", "ERROR", "${ipport}:DataXceiver: java.io.IOException: Block ${blk} has "
          "already been started (though not completed), and thus cannot be created.", 1, "dfs.DataNode"),
        S("ask_delete", "INFO", "BLOCK* ask ${ipport} to delete ${list:blk,1..6}", 2, "dfs.FSNamesystem"),
        S("ask_replicate", "INFO", "BLOCK* ask ${ipport} to replicate ${blk} to datanode(s) ${list:ipport,1..3}",
          1, "dfs.FSNamesystem"),
        S("received_block", "INFO", "Received block ${blk} of size ${int} from /${ip}", 2, "dfs.DataNode"),
        S("receiving_block", "INFO", "Receiving block ${blk} src: /${ipport} dest: /${ipport}", 2,
          "dfs.DataNode$DataXceiver"),
        S("responder_terminating", "INFO", "PacketResponder ${int:0..2} for block ${blk} terminating", 2,
          "dfs.DataNode$PacketResponder"),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%y%m%d %H%M%S} {rng.randint(13, 35000)} {st.level} {component}: {message}"


class Spark(Layout):
    name = "spark"
    statements = (
        S("lost_task", "WARN", "Lost task ${int:0..200}.${int:0..3} in stage ${int:0..40}.0 (TID ${int}, "
          "${nhost}): ${text:sparkexc}", 5, "scheduler.TaskSetManager"),
        S("task_failed_abort", "ERROR", "Task ${int:0..200} in stage ${int:0..40}.0 failed ${int:1..4} times; "
          "aborting job", 2, "scheduler.TaskSetManager"),
        S("exception_in_task", "ERROR", "Exception in task ${int:0..200}.${int:0..3} in stage ${int:0..40}.0 "
          "(TID ${int})", 4, "executor.Executor"),
        S("putting_block_failed", "WARN", "Putting block rdd_${int:0..99}_${int:0..999} failed", 3,
          "storage.BlockManager"),
        S("block_not_found", "WARN", "Block rdd_${int:0..99}_${int:0..999} could not be removed as it was not "
          "found on disk or in memory", 2, "storage.BlockManager"),
        S("error_sending", "WARN", "Error sending message [message = Heartbeat(${int:0..40},"
          "[Lscala.Tuple2;@${xdigits:8},BlockManagerId(${int:0..40}, ${nhost}, ${port}))] in ${int:1..3} "
          "attempts", 3, "netty.NettyRpcEndpointRef"),
        S("executor_lost_rpc", "ERROR", "Lost executor ${int:0..40} on ${nhost}: Remote RPC client "
          "disassociated. Likely due to containers exceeding thresholds, or network issues. Check driver logs "
          "for WARN messages.", 2, "cluster.YarnScheduler"),
        S("executor_lost_heartbeat", "ERROR", "Lost executor ${int:0..40} on ${nhost}: Executor heartbeat timed "
          "out after ${int:120000..180000} ms", 1, "cluster.YarnScheduler"),
        S("memory_leak", "WARN", "leak ${float} MB memory from "
          "org.apache.spark.util.collection.ExternalAppendOnlyMap@${xdigits:8}", 1, "memory.TaskMemoryManager"),
        S("fetch_exception", "ERROR", "Exception while beginning fetch of ${int:1..30} outstanding blocks", 2,
          "shuffle.RetryingBlockFetcher"),
        S("fetch_exception_retries", "ERROR", "Exception while beginning fetch of ${int:1..30} outstanding "
          "blocks (after ${int:1..3} retries)", 1, "shuffle.RetryingBlockFetcher"),
        S("driver_disassociated", "ERROR", "Driver ${nhost}:${port} disassociated! Shutting down.", 1,
          "executor.CoarseGrainedExecutorBackend"),
        S("stored_in_memory", "INFO", "Block broadcast_${int:0..99} stored as values in memory (estimated size "
          "${float} KB, free ${float} MB)", 3, "storage.MemoryStore"),
        S("running_task", "INFO", "Running task ${int:0..200}.0 in stage ${int:0..40}.0 (TID ${int})", 3,
          "executor.Executor"),
        S("finished_task", "INFO", "Finished task ${int:0..200}.0 in stage ${int:0..40}.0 (TID ${int}). "
          "${int} bytes result sent to driver", 3, "executor.Executor"),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%y/%m/%d %H:%M:%S} {st.level} {component}: {message}"


class Zookeeper(Layout):
    name = "zookeeper"
    nio = "NIOServerCxn.Factory:0.0.0.0/0.0.0.0:2181"
    statements = (
        S("cannot_open_channel", "WARN", "Cannot open channel to ${int:1..5} at election address /${ip}:3888", 6,
          "${choice:QuorumPeer[myid=${int:1..3}]/0:0:0:0:0:0:0:0:2181|WorkerSender[myid=${int:1..3}]}"
          ":QuorumCnxManager@368"),
        S("caught_eos", "WARN", "caught end of stream exception", 5, nio + ":NIOServerCnxn@357"),
        S("eos_exception", "WARN", "EndOfStreamException: Unable to read additional data from client "
          "sessionid 0x${xdigits:14}, likely client has closed socket", 3, nio + ":NIOServerCnxn@349"),
        S("interrupting_sendworker", "WARN", "Interrupting SendWorker", 3,
          "RecvWorker:${int:100000000000..999999999999}:QuorumCnxManager$RecvWorker@762"),
        S("connection_broken", "WARN", "Connection broken for id ${int:100000000000..999999999999}, my id = "
          "${int:1..3}, error = ", 3, "RecvWorker:${int:100000000000..999999999999}:QuorumCnxManager$RecvWorker@765"),
        S("send_worker_leaving", "WARN", "Send worker leaving thread", 3,
          "SendWorker:${int:100000000000..999999999999}:QuorumCnxManager$SendWorker@679"),
        S("interrupted_queue", "WARN", "Interrupted while waiting for message on queue", 2,
          "SendWorker:${int:100000000000..999999999999}:QuorumCnxManager$SendWorker@679"),
        S("learner_shutdown_sock", "ERROR", "Unexpected exception causing shutdown while sock still open", 2,
          "LearnerHandler-/${ip}:${port}:LearnerHandler@562"),
        S("learner_exception", "WARN", "Unexpected exception, tries=${int:0..4}, connecting to /${ip}:2888", 2,
          "QuorumPeer[myid=${int:1..3}]/0:0:0:0:0:0:0:0:2181:Learner@233"),
        S("follower_exception", "WARN", "Exception when following the leader", 1,
          "QuorumPeer[myid=${int:1..3}]/0:0:0:0:0:0:0:0:2181:Follower@89"),
        S("accepted_socket", "INFO", "Accepted socket connection from /${ipport}", 3,
          nio + ":NIOServerCnxnFactory@197"),
        S("closed_socket_session", "INFO", "Closed socket connection for client /${ipport} which had sessionid "
          "0x${xdigits:14}", 2, nio + ":NIOServerCnxn@1001"),
        S("closed_socket_none", "INFO", "Closed socket connection for client /${ipport} (no session established "
          "for client)", 1, nio + ":NIOServerCnxn@1001"),
        S("notification", "INFO", "Notification: ${int:1..3} (n.leader), 0x${xdigits:9} (n.zxid), 0x${int:1..9} "
          "(n.round), ${choice:LOOKING|FOLLOWING|LEADING} (n.state), ${int:1..3} (n.sid), 0x${int:1..9} "
          "(n.peerEPoch), ${choice:LOOKING|FOLLOWING|LEADING} (my state)", 2,
          "WorkerReceiver[myid=${int:1..3}]:FastLeaderElection@542"),
        S("expiring_session", "INFO", "Expiring session 0x${xdigits:14}, timeout of ${choice:10000|20000|30000}ms "
          "exceeded", 2, "SessionTracker:ZooKeeperServer@325"),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%Y-%m-%d %H:%M:%S},{_ms(t)} - {st.level:<5} [{component}] - {message}"


class WindowsCBS(Layout):
    name = "windows_cbs"
    level_word = {"ERROR": "Error", "WARNING": "Warning", "INFO": "Info"}
    statements = (
        S("failed_next_element", "WARNING", "Failed to get next element [HRESULT = 0x800f080d - "
          "CBS_E_MANIFEST_INVALID_ITEM]", 6, "CBS"),
        S("failed_open_package", "ERROR", "Failed to internally open package. [HRESULT = 0x800f0805 - "
          "CBS_E_INVALID_PACKAGE]", 3, "CBS"),
        S("failed_wer_flag", "WARNING", "Failed to query DisableWerReporting flag.  Assuming not set... "
          "[HRESULT = 0x80070002 - ERROR_FILE_NOT_FOUND]", 3, "CBS"),
        S("csi_status", "ERROR", "${xdigits:8} (F) ${choice:STATUS_OBJECT_PATH_NOT_FOUND|"
          "STATUS_OBJECT_NAME_NOT_FOUND} #${int}# from Windows::Rtl::SystemImplementation::"
          "DirectFileSystemProvider::SysCreateFile(flags = (AllowSharingViolation), handle = "
          "{provider=NULL, handle=0, name= (\"null\")}, da = (SYNCHRONIZE|FILE_READ_ATTRIBUTES))"
          "[gle=0xd000003a]", 3, "CSI"),
        S("exec_failed_package", "ERROR", "Exec: Failed to process package Package_for_KB${int:2000000..4999999}"
          "~31bf3856ad364e35~amd64~~6.1.1.${int:0..9}. [HRESULT = 0x${xdigits:8} - "
          "${choice:ERROR_SXS_ASSEMBLY_MISSING|CBS_E_SOURCE_MISSING|E_FAIL}]", 2, "CBS"),
        S("unrecognized_attribute", "WARNING", "Unrecognized packageExtended attribute.", 2, "CBS"),
        S("com_server_failed", "WARNING", "Failed to load the COM server: ${choice:"
          r"C:\Windows\System32\wuaueng.dll|C:\Windows\servicing\TrustedInstaller.exe|"
          r"C:\Windows\System32\cbsapi.dll|C:\Windows\winsxs\pending.xml} "
          "[HRESULT = 0x80070002 - ERROR_FILE_NOT_FOUND]", 2, "CBS"),
        S("repair_payload", "WARNING", "Warning: Unable to repair payload file ([l:${int:8..40}]"
          "\"${choice:wuaueng.dll|ntdll.dll|mscorlib.dll|tzres.dll}\") for component "
          "${choice:Microsoft-Windows-Kernel32|Microsoft-Windows-WindowsUpdateClient-Core}", 2, "CSI"),
        S("loaded_stack", "INFO", "Loaded Servicing Stack v6.1.7601.${int:17000..24000} with Core: "
          r"C:\Windows\winsxs\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_6.1.7601."
          "${int:17000..24000}_none_${xdigits:16}" r"\cbscore.dll", 3, "CBS"),
        S("sqm_init", "INFO", "SQM: Initializing online with Windows opt-in: False", 2, "CBS"),
        S("session_init", "INFO", "Session: ${int:30000000..39999999}_${int:1000000000..4000000000} initialized "
          "by client WindowsUpdateAgent.", 3, "CBS"),
        S("read_applicability", "INFO", "Read out cached package applicability for package: "
          "Package_for_KB${int:2000000..4999999}~31bf3856ad364e35~amd64~~6.1.1.${int:0..9}, ApplicableState: "
          "${int:0..112}, CurrentState:${int:0..112}", 3, "CBS"),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%Y-%m-%d %H:%M:%S}, {self.level_word[st.level]:<22}{component:<7}{message}"


class Klog(Layout):
    """glog / klog: unstructured kube messages and klog's structured ``"msg" key="value"`` form."""

    name = "klog"
    statements = (
        S("watch_failed", "ERROR", "k8s.io/client-go/informers/factory.go:134: Failed to watch "
          "*v1.${choice:Pod|Service|Endpoints|Node}: failed to list *v1.${choice:Pod|Service|Endpoints|Node}: "
          "${text:listfail}", 5, "reflector.go:138"),
        S("lock_retrieve", "ERROR", "error retrieving resource lock kube-system/"
          "${choice:kube-scheduler|kube-controller-manager}: Get \"https://${ipport}/apis/coordination.k8s.io/"
          "v1/namespaces/kube-system/leases/kube-scheduler?timeout=5s\": context deadline exceeded", 3,
          "leaderelection.go:330"),
        S("reconciler_error", "ERROR", "\"Reconciler error\" err=\"${text:kerr}\" controller=\"deployment\" "
          "controllerGroup=\"apps\" controllerKind=\"Deployment\" Deployment=\"default/${word}\" "
          "namespace=\"default\" name=\"${word}\" reconcileID=\"${uuid}\"", 4, "controller.go:324"),
        S("sync_pod_error", "ERROR", "\"Error syncing pod, skipping\" err=\"failed to \\\"StartContainer\\\" for "
          "\\\"${word}\\\" with CrashLoopBackOff: \\\"back-off 5m0s restarting failed container=${word} "
          "pod=${pod}_default(${uuid})\\\"\" pod=\"default/${pod}\" podUID=\"${uuid}\"", 4, "pod_workers.go:1298"),
        S("update_lease", "ERROR", "\"Failed to update lease\" err=\"${text:kerr}\"", 3, "controller.go:145"),
        S("ensure_lease", "ERROR", "\"Failed to ensure lease exists, will retry\" err=\"${text:kerr}\" "
          "interval=\"${choice:200ms|400ms|800ms|1.6s|3.2s}\"", 2, "controller.go:144"),
        S("update_lock", "ERROR", "\"Failed to update lock optimistically\" err=\"${text:kerr}\"", 2,
          "leaderelection.go:369"),
        S("probe_failed", "WARN", "\"Probe failed\" probeType=\"${choice:Readiness|Liveness}\" "
          "pod=\"default/${pod}\" podUID=\"${uuid}\" containerName=\"${word}\" probeResult=\"failure\" "
          "output=\"Get \\\"http://${ip}:8080/healthz\\\": dial tcp ${ip}:8080: connect: connection refused\"",
          3, "prober.go:107"),
        S("event_rejected", "WARN", "Server rejected event '&v1.Event{ObjectMeta:v1.ObjectMeta{Name:\""
          "${pod}.${xdigits:16}\", Namespace:\"default\"}}' (will not retry!)", 1, "event.go:264"),
        S("throttling", "INFO", "Waited for ${dur} due to client-side throttling, not priority and fairness, "
          "request: GET:https://${ipport}/api/v1/namespaces/${choice:default|kube-system|monitoring}/pods?"
          "limit=500", 3, "request.go:697"),
        S("caches_synced", "INFO", "\"Caches are synced\" controller=\"${word}\"", 2, "shared_informer.go:320"),
        S("starting_workers", "INFO", "\"Starting workers\" controller=\"${word}\" worker count=${int:1..10}", 2,
          "controller.go:220"),
    )

    def line(self, rng, t, st, message, component, style):
        letter = {"ERROR": "E", "WARN": "W", "INFO": "I"}[st.level]
        return (f"{letter}{t:%m%d %H:%M:%S}.{t.microsecond:06d} {rng.randint(1, 99999):>7} "
                f"{component}] {message}")


class Logcat(Layout):
    name = "logcat"
    statements = (
        S("fatal_exception", "ERROR", "FATAL EXCEPTION: ${choice:main|main|AsyncTask #1|pool-3-thread-1|"
          "OkHttp Dispatcher}", 3, "AndroidRuntime"),
        S("process_pid", "ERROR", "Process: ${pkg}, PID: ${int:1000..32000}", 3, "AndroidRuntime"),
        S("socket_timeout", "WARN", "java.net.SocketTimeoutException: failed to connect to ${host}/${ip} "
          "(port ${port}) from /${ip} (port ${port}) after ${int:1000..30000}ms", 4, "System.err"),
        S("unable_start_service", "WARN", "Unable to start service Intent { act=${choice:"
          "com.google.android.gms.gcm.ACTION_SCHEDULE|com.google.firebase.MESSAGING_EVENT} pkg=${pkg} } U=0: "
          "not found", 3, "ActivityManager"),
        S("no_such_table", "ERROR", "(${int:1..1}) no such table: ${choice:users|messages|contacts|sync_state}",
          2, "SQLiteLog"),
        S("no_such_column", "ERROR", "(${int:1..1}) no such column: ${choice:user_id|created_at|body|status}", 1,
          "SQLiteLog"),
        S("pause_timeout", "WARN", "Activity pause timeout for ActivityRecord{${xdigits:7} u0 ${pkg}/."
          "${choice:MainActivity|SplashActivity|SettingsActivity} t${int:1..999}}", 2, "ActivityManager"),
        S("anr", "ERROR", "ANR in ${pkg}", 2, "ActivityManager"),
        S("bt_no_callback", "WARN", "getBluetoothService() called with no BluetoothManagerCallback", 2,
          "BluetoothAdapter"),
        S("window_token", "WARN", "Attempted to add window with non-application token WindowToken{"
          "${xdigits:7} null}.  Aborting.", 1, "WindowManager"),
        S("audio_track", "ERROR", "createTrack_l() initCheck failed -12; no control block?", 1, "AudioFlinger"),
        S("gc_freed", "INFO", "Background concurrent copying GC freed ${int}(${float}MB) AllocSpace objects, "
          "${int}(${float}MB) LOS objects, ${int:1..99}% free, ${float}MB/${float}MB, paused ${dur} total "
          "${dur}", 3, "art"),
        S("going_to_sleep", "INFO", "Going to sleep due to ${choice:screen timeout|power button} (uid "
          "${int:1000..1000})...", 2, "PowerManagerService"),
        S("display_power", "INFO", "Display device changed state: \"Built-in Screen\", ${choice:ON|OFF}", 2,
          "DisplayManagerService"),
    )

    def line(self, rng, t, st, message, component, style):
        letter = {"ERROR": "E", "WARN": "W", "INFO": "I"}[st.level]
        return (f"{t:%m-%d %H:%M:%S}.{_ms(t)} {rng.randint(100, 32000):>5} {rng.randint(100, 32000):>5} "
                f"{letter} {component}: {message}")


class JsonLines(Layout):
    """Compact JSON lines, zap style (string levels) or pino style (numeric levels), a data set
    each. The statement's text is the msg field; the other fields are its parameters."""

    name = "jsonl"
    styles = ("zap", "pino")
    statements = (
        S("db_connect_failed", "ERROR", "failed to connect to database", 5, "db"),
        S("upstream_timeout", "WARN", "upstream request timed out", 5, "proxy"),
        S("retrying", "WARN", "retrying request to ${nhost}:${port} (attempt ${int:1..5}/5)", 4, "client"),
        S("auth_failed", "WARN", "authentication failed for user ${user}", 3, "auth"),
        S("payment_declined", "ERROR", "payment declined: ${choice:insufficient funds|card expired|do not "
          "honor|invalid cvc}", 2, "billing"),
        S("panic_recovered", "ERROR", "panic recovered: runtime error: index out of range [${int:0..99}] with "
          "length ${int:0..99}", 2, "http"),
        S("queue_full", "WARN", "queue ${choice:orders|emails|webhooks} is full, dropping message", 2, "worker"),
        S("commit_offsets", "ERROR", "failed to commit offsets for partition ${choice:orders|events}-"
          "${int:0..11}", 2, "kafka"),
        S("lock_acquire", "ERROR", "failed to acquire lock", 2, "scheduler"),
        S("lock_release", "ERROR", "failed to release lock", 1, "scheduler"),
        S("slow_query", "WARN", "slow query", 3, "db"),
        S("request_completed", "INFO", "request completed", 5, "http"),
        S("cache_miss", "INFO", "cache miss", 2, "cache"),
    )
    fields = {
        "db_connect_failed": '"error":"${text:goerr}","host":"${nhost}","attempt":${int:1..5}',
        "upstream_timeout": '"url":"http://${nhost}:${port}${upath}","duration_ms":${int}',
        "auth_failed": '"remote":"${ip}"',
        "slow_query": '"query":"SELECT * FROM ${word} WHERE id = $1","duration":"${dur}"',
        "request_completed": '"method":"GET","path":"${upath}","status":200,"bytes":${int}',
        "cache_miss": '"key":"${word}:${int}"',
        "lock_acquire": '"lock":"${word}","holder":"${nhost}"',
        "lock_release": '"lock":"${word}","holder":"${nhost}"',
    }

    def line(self, rng, t, st, message, component, style):
        extra = render(rng, self.fields.get(st.id, '"request_id":"${uuid}"'))
        msg = json.dumps(message)
        if style == "pino":
            level = {"ERROR": 50, "WARN": 40, "INFO": 30}[st.level]
            epoch = int((t - datetime(1970, 1, 1)).total_seconds() * 1000)
            return (f'{{"level":{level},"time":{epoch},"pid":{rng.randint(1, 9999)},"hostname":"web-3",'
                    f'"name":"{st.component}","msg":{msg},{extra}}}')
        return (f'{{"level":"{st.level.lower()}","ts":"{t:%Y-%m-%dT%H:%M:%S}.{_ms(t)}Z","caller":'
                f'"{st.component}/{st.component}.go:{rng.randint(20, 400)}","msg":{msg},{extra}}}')


class Logfmt(Layout):
    """slog/logrus style (``time=... level=error msg=...``) or go-kit style
    (``level=warn ts=... caller=... msg=...``), a data set each."""

    name = "logfmt"
    styles = ("slog", "gokit")
    statements = (
        S("flush_failed", "ERROR", "msg=\"failed to flush chunks\" err=\"${text:goerr}\" user=${word} "
          "num_chunks=${int:1..500}", 5),
        S("append_failed", "WARN", "component=\"scrape manager\" scrape_pool=${word} target=http://${nhost}:9100/"
          "metrics msg=\"Append failed\" err=\"out of order sample\"", 4),
        S("compaction_failed", "ERROR", "msg=\"compaction failed\" err=\"${text:goerr}\" block=${xdigits:26}", 3),
        S("wal_corrupt", "WARN", "msg=\"WAL segment corrupted, truncating\" segment=${int:0..9999} "
          "offset=${int}", 2),
        S("retrying", "WARN", "msg=retrying attempt=${int:1..10} backoff=${dur}", 3),
        S("throttled", "WARN", "msg=throttled tenant=${word} limit=${int:100..1000}", 2),
        S("rate_limited", "WARN", "msg=\"rate limit exceeded for tenant ${word}\" limit=${int:100..1000}", 2),
        S("shard_move_start", "WARN", "msg=\"shard move\" phase=start shard=${int:0..63} from=${nhost} "
          "to=${nhost}", 1),
        S("shard_move_abort", "WARN", "msg=\"shard move\" phase=abort shard=${int:0..63} from=${nhost} "
          "to=${nhost}", 1),
        S("ingester_lost", "ERROR", "msg=\"connection to ingester lost\" addr=${ipport}", 2),
        S("ingester_refused", "ERROR", "msg=\"connection to ingester refused\" addr=${ipport}", 1),
        S("request_done", "INFO", "msg=\"request completed\" method=GET path=${upath} status=200 "
          "duration=${dur}", 5),
        S("compaction_done", "INFO", "msg=\"compaction completed\" blocks=${int:1..9} duration=${dur}", 2),
    )

    def line(self, rng, t, st, message, component, style):
        level = st.level.lower()
        if style == "gokit":
            return (f"level={level} ts={t:%Y-%m-%dT%H:%M:%S}.{_ms(t)}Z caller={rng.choice(WORDS)}.go:"
                    f"{rng.randint(20, 400)} {message}")
        return f"time={t:%Y-%m-%dT%H:%M:%S}.{_ms(t)}Z level={level.upper()} {message}"


class ApacheError(Layout):
    """Apache 2.2 (``[error] [client ip] ...``) or 2.4 (``[core:error] [pid ...]``), a data set
    each; a statement's text starts after [pid ...] (2.4)."""

    name = "apache_error"
    styles = ("2.2", "2.4")
    statements = (
        S("workerenv_error_state", "ERROR", "mod_jk child workerEnv in error state ${int:6..9}", 6, "jk"),
        S("jk2_cant_find_child", "ERROR", "jk2_init() Can't find child ${int:1000..9999} in scoreboard", 3, "jk"),
        S("mod_jk_child_init", "ERROR", "mod_jk child init 1 -2", 2, "jk"),
        S("directory_index_forbidden", "ERROR", "[client ${ip}] Directory index forbidden by rule: "
          "${choice:/var/www/html/|/var/www/html/images/|/var/www/html/static/}", 4, "autoindex"),
        S("file_not_exist", "ERROR", "[client ${ip}] File does not exist: ${path}", 5, "core"),
        S("client_denied", "ERROR", "[client ${ip}] client denied by server configuration: ${path}", 2, "authz_core"),
        S("proxy_connect", "ERROR", "(111)Connection refused: AH00957: HTTP: attempt to connect to ${ipport} "
          "(${choice:localhost|backend|app}) failed", 2, "proxy"),
        S("php_undefined", "WARN", "[client ${ip}] PHP Warning:  Undefined variable $${choice:user|id|cart|"
          "total} in ${path:/var/www/html/app} on line ${int:1..400}", 3, "php"),
        S("child_sigterm", "WARN", "child process ${int:1000..9999} still did not exit, sending a SIGTERM", 2,
          "mpm_prefork"),
        S("jk2_found_child", "NOTICE", "jk2_init() Found child ${int:1000..9999} in scoreboard slot "
          "${int:1..12}", 4, "jk"),
        S("workerenv_init_ok", "NOTICE", "workerEnv.init() ok /etc/httpd/conf/workers2.properties", 3, "jk"),
    )

    def line(self, rng, t, st, message, component, style):
        word = {"ERROR": "error", "WARN": "warn", "NOTICE": "notice"}[st.level]
        if style == "2.4":
            stamp = f"{t:%a %b %d %H:%M:%S}.{t.microsecond:06d} {t:%Y}"
            return (f"[{stamp}] [{component}:{word}] [pid {rng.randint(1000, 9999)}:tid "
                    f"{rng.randint(10**14, 10**15)}] {message}")
        return f"[{t:%a %b %d %H:%M:%S %Y}] [{word}] {message}"


class NginxError(Layout):
    name = "nginx_error"
    tail = (", client: ${ip}, server: ${text:nginx_host}, request: \"${choice:GET|POST} ${upath} HTTP/1.1\""
            "${upstream}, host: \"${text:nginx_host}\"${referrer}")
    statements = (
        S("upstream_refused", "ERROR", "connect() failed (111: Connection refused) while connecting to "
          "upstream" + tail, 6),
        S("upstream_timeout", "ERROR", "upstream timed out (110: Connection timed out) while reading response "
          "header from upstream" + tail, 4),
        S("upstream_closed", "ERROR", "upstream prematurely closed connection while reading response header "
          "from upstream" + tail, 3),
        S("no_live_upstreams", "ERROR", "no live upstreams while connecting to upstream" + tail, 1),
        S("open_failed", "ERROR", "open() \"${path:/usr/share/nginx/html}\" failed (2: No such file or "
          "directory)" + tail, 4),
        S("limiting_requests", "WARN", "limiting requests, excess: ${float} by zone \"${choice:api|login}\"" + tail,
          3),
        S("upstream_buffered", "WARN", "an upstream response is buffered to a temporary file "
          "/var/cache/nginx/proxy_temp/${int:0..9}/${int:10..99}/${int:100000..999999} while reading upstream"
          + tail, 2),
        S("body_buffered", "WARN", "a client request body is buffered to a temporary file "
          "/var/cache/nginx/client_temp/${int:100000..999999}" + tail, 2),
        S("bind_failed", "EMERG", "bind() to 0.0.0.0:${choice:80|443} failed (98: Address already in use)", 1),
        S("ssl_read_failed", "CRIT", "SSL_read() failed (SSL: error:0A000126:SSL routines::unexpected eof while "
          "reading) while keepalive, client: ${ip}, server: 0.0.0.0:443", 2),
        S("ssl_handshake", "INFO", "SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) "
          "while SSL handshaking, client: ${ip}, server: 0.0.0.0:443", 3),
        S("client_closed", "INFO", "client ${ip} closed keepalive connection", 3),
    )

    def line(self, rng, t, st, message, component, style):
        word = {"ERROR": "error", "WARN": "warn", "EMERG": "emerg", "CRIT": "crit", "INFO": "info"}[st.level]
        conn = "" if st.id == "bind_failed" else f"*{rng.randint(1, 10**6)} "
        return f"{t:%Y/%m/%d %H:%M:%S} [{word}] {rng.randint(1000, 9999)}#0: {conn}{message}"

    @staticmethod
    def fill(rng: random.Random, text: str) -> str:
        upstream = (f', upstream: "http://{_ip(rng)}:8080{_url_path(rng)}"'
                    if "upstream" in text.split(",")[0] else "")
        referrer = f', referrer: "https://{rng.choice(TEXTS["nginx_host"])}/"' if rng.random() < 0.3 else ""
        return text.replace("${upstream}", upstream).replace("${referrer}", referrer)


class PythonLogging(Layout):
    """``%(asctime)s - %(name)s - %(levelname)s - %(message)s`` or basicConfig's
    ``%(levelname)s:%(name)s:%(message)s``, a data set each."""

    name = "python"
    styles = ("asctime", "basic")
    statements = (
        S("db_connect_failed", "ERROR", "Connection to ${nhost}:5432 failed after ${int:1..5} retries", 4, "app.db"),
        S("task_raised", "ERROR", "Task ${choice:app.tasks.send_email|app.tasks.resize_image|"
          "app.tasks.sync_orders}[${uuid}] raised unexpected: ${text:pyexc}", 4, "celery.app.trace"),
        S("unhandled_keyerror", "ERROR", "Unhandled exception in handler ${choice:get_user|create_order|"
          "list_items}: KeyError: '${choice:user_id|order|sku}'", 3, "app.api"),
        S("urllib3_retry", "WARNING", "Retrying (Retry(total=${int:0..4}, connect=None, read=None, "
          "redirect=None, status=None)) after connection broken by 'NewConnectionError('"
          "<urllib3.connection.HTTPSConnection object at 0x7f${xdigits:10}>: Failed to establish a new "
          "connection: [Errno 111] Connection refused')': ${upath}", 4, "urllib3.connectionpool"),
        S("slow_request", "WARNING", "Slow request: ${choice:GET|POST} ${upath} took ${float}s", 4, "app.api"),
        S("cache_unavailable", "WARNING", "Cache backend ${choice:redis|memcached|redis-sentinel} unavailable, "
          "falling back to database", 2, "app.cache"),
        S("token_invalid", "WARNING", "Invalid token for user ${int:1..99999}", 2, "app.auth"),
        S("token_expired", "WARNING", "Expired token for user ${int:1..99999}", 2, "app.auth"),
        S("worker_timeout", "CRITICAL", "WORKER TIMEOUT (pid:${int:1000..99999})", 2, "gunicorn.error"),
        S("depr_utcnow", "WARNING", "/opt/app/venv/lib/python3.11/site-packages/${choice:botocore|celery|"
          "kombu}/${choice:auth|utils|time}.py:${int:10..900}: DeprecationWarning: datetime.datetime.utcnow() "
          "is deprecated and scheduled for removal in a future version.", 2, "py.warnings"),
        S("started_request", "INFO", "Started ${choice:GET|POST} ${upath}", 4, "app.api"),
        S("processed_items", "INFO", "Processed ${int} items in ${float}s", 3, "app.jobs"),
    )

    def line(self, rng, t, st, message, component, style):
        if style == "basic":
            return f"{st.level}:{st.component}:{message}"
        return f"{t:%Y-%m-%d %H:%M:%S},{_ms(t)} - {st.component} - {st.level} - {message}"


class BGL(Layout):
    name = "bgl"
    statements = (
        S("ciod_read_prefix", "FATAL", "ciod: failed to read message prefix on control stream (CioStream "
          "socket to ${ip}:${port}", 5, "APP"),
        S("ciod_load_error", "FATAL", "ciod: Error loading /home/${user}/${choice:bin|jobs}/${word}: invalid or "
          "missing program image, ${choice:No such file or directory|Exec format error|Permission denied}", 3,
          "APP"),
        S("data_tlb", "FATAL", "data TLB error interrupt", 4, "KERNEL"),
        S("machine_check", "FATAL", "machine check interrupt (bit=0x${xdigits:2}): L2 dcache unit data parity "
          "error", 2, "KERNEL"),
        S("l3_ecc_control", "FATAL", "L3 ecc control register: ${xdigits:8}", 1, "KERNEL"),
        S("l3_ecc_status", "FATAL", "L3 ecc status register: ${xdigits:8}", 1, "KERNEL"),
        S("ddr_corrected", "WARNING", "total of ${int:1..30} ddr error(s) detected and corrected over "
          "${int:1..3000} seconds", 3, "KERNEL"),
        S("lustre_mount", "SEVERE", "Lustre mount FAILED : bglio${int:1..64} : block_id : location", 2, "KERNEL"),
        S("ido_assert", "FAILURE", "idoproxydb hit ASSERT condition: ASSERT expression=0 Source "
          "file=idotransportmgr.cpp Source line=1043 Function=int IdoTransportMgr::SendPacket(IdoUdpMgr*, "
          "BglCtlPavTrace*)", 1, "MMCS"),
        S("node_card", "ERROR", "NodeCard is not fully functional", 1, "LINKCARD"),
        S("cache_parity_corrected", "INFO", "instruction cache parity error corrected", 6, "KERNEL"),
        S("generating_core", "INFO", "generating core.${int:1..9999}", 3, "KERNEL"),
    )

    def line(self, rng, t, st, message, component, style):
        node = (f"R{rng.randint(0, 7):02d}-M{rng.randint(0, 1)}-N{rng.randint(0, 15):X}-C:"
                f"J{rng.randint(2, 17):02d}-U{rng.choice((1, 11))}")
        alert = "-" if LEVEL_CLASS[st.level] == INFO else rng.choice(("KERNDTLB", "APPREAD", "KERNMC", "-"))
        epoch = int((t - datetime(1970, 1, 1)).total_seconds())
        return (f"{alert} {epoch} {t:%Y.%m.%d} {node} {t:%Y-%m-%d-%H.%M.%S}.{t.microsecond:06d} {node} RAS "
                f"{component} {st.level} {message}")


class Proxifier(Layout):
    name = "proxifier"
    apps = ("chrome.exe", "chrome.exe", "firefox.exe", "Dropbox.exe", "svchost.exe", "WeChat.exe",
            "QQ.exe", "Skype.exe", "OneDrive.exe")
    targets = ("www.google.com:443", "clients4.google.com:443", "api.dropboxapi.com:443",
               "182.254.114.110:80", "short.weixin.qq.com:80", "sinaimg.cn:80", "e-hentai.org:80")
    statements = (
        S("connect_failed", "ERROR", "error : Could not connect to proxy proxy.cse.cuhk.edu.hk:5070 - "
          "connection attempt failed with error ${choice:10061|10060}", 5),
        S("resolve_failed", "ERROR", "error : Could not connect to proxy proxy.cse.cuhk.edu.hk:5070 - Could not "
          "resolve proxy.cse.cuhk.edu.hk error 11001", 3),
        S("through_failed", "ERROR", "error : Could not connect through proxy proxy.cse.cuhk.edu.hk:5070 - "
          "Proxy server cannot establish a connection with the target, status code ${choice:5|4}", 3),
        S("open_through", "INFO", "open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS", 5),
        S("close", "INFO", "close, ${int} bytes (${float} KB) sent, ${int} bytes (${float} KB) received, "
          "lifetime ${choice:<1 sec|00:01|00:12|02:35}", 5),
    )

    def line(self, rng, t, st, message, component, style):
        return f"[{t:%m.%d %H:%M:%S}] {rng.choice(self.apps)} - {rng.choice(self.targets)} {message}"


class HealthApp(Layout):
    """HealthApp writes no level: every line is info (it counts in the all-lines figures only)."""

    name = "healthapp"
    statements = (
        S("stand_step", "INFO", "onStandStepChanged ${int}", 5, "Step_LSC"),
        S("calories", "INFO", "calculateCaloriesWithCache totalCalories=${int}", 3, "Step_ExtSDM"),
        S("report", "INFO", "REPORT : ${int} ${int} ${int} ${int}", 3, "Step_StandReportReceiver"),
        S("detail_steps", "INFO", " getTodayTotalDetailSteps = ${int}##${int}##${int}##${int}##${int}", 2,
          "Step_SPUtils"),
        S("screen_unknown", "INFO", "screen status unknown,think screen on", 2, "Step_ScreenUtil"),
        S("sync_null", "INFO", "getSyncInfoFromDB() syncData is null", 1, "HiH_HiSyncUtil"),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%Y%m%d-%H:%M:%S}:{int(_ms(t))}|{component}|30002312|{message}"


LAYOUTS: tuple[Layout, ...] = (
    OpenSSH(), SyslogPri(), Hadoop(), HDFS(), Spark(), Zookeeper(), WindowsCBS(), Klog(), Logcat(),
    JsonLines(), Logfmt(), ApacheError(), NginxError(), PythonLogging(), BGL(), Proxifier(), HealthApp(),
)

# Statements that differ only in constant text: each pair must get two templates. Kind "text":
# a word of the message differs; kind "value": only a constant key=value value differs.
CONSTANT_TEXT_PAIRS = (
    ("hdfs/replica_lost", "hdfs/replica_corrupt", "text"),
    ("hadoop/diag_killed", "hadoop/diag_preempted", "text"),
    ("jsonl/lock_acquire", "jsonl/lock_release", "text"),
    ("logfmt/ingester_lost", "logfmt/ingester_refused", "text"),
    ("bgl/l3_ecc_control", "bgl/l3_ecc_status", "text"),
    ("python/token_invalid", "python/token_expired", "text"),
    ("logcat/no_such_table", "logcat/no_such_column", "text"),
    ("openssh/read_socket_failed", "openssh/write_failed", "text"),
    ("logfmt/shard_move_start", "logfmt/shard_move_abort", "value"),
)


def _layout_seed(seed: int, name: str) -> int:
    return seed * 1_000_003 + zlib.crc32(name.encode())


def datasets() -> list[tuple[str, Layout, str]]:
    """(name, layout, style) of every data set: one per layout style, as a program writes one
    layout (the first style keeps the layout's name: ``jsonl``, ``jsonl_pino``)."""
    out = []
    for layout in LAYOUTS:
        for index, style in enumerate(layout.styles):
            suffix = "" if index == 0 else "_" + re.sub(r"\W", "", style)
            out.append((layout.name + suffix, layout, style))
    return out


def generate_dataset(name: str, layout: Layout, style: str, seed: int = DEFAULT_SEED,
                     lines: int = DEFAULT_LINES_PER_LAYOUT, files: int = 2) -> list[LogFile]:
    """The files of one data set: ``lines`` lines in all, split over ``files`` files."""
    rng = random.Random(_layout_seed(seed, name))
    weights = [st.weight for st in layout.statements]
    out = []
    for index in range(files):
        moment = datetime(2026, 11, 20 + index, rng.randint(0, 5), rng.randint(0, 59), rng.randint(0, 59),
                          rng.randint(0, 999999))
        share = lines // files + (1 if index < lines % files else 0)
        rows = []
        for _ in range(share):
            moment += timedelta(microseconds=rng.randint(1000, 9_000_000))
            st = rng.choices(layout.statements, weights)[0]
            text = NginxError.fill(rng, st.text) if isinstance(layout, NginxError) else st.text
            message = render(rng, text)
            component = render(rng, st.component)
            content = layout.line(rng, moment, st, message, component, style)
            if isinstance(layout, JsonLines):
                message_bytes = message.encode()
            else:
                message_bytes = message.strip().encode()
                assert message_bytes in content.encode(), (name, st.id)
            rows.append(LabelledLine(content.encode(), f"{name}/{st.id}", LEVEL_CLASS[st.level],
                                     message_bytes))
        out.append(LogFile(name, f"{name}-{index + 1}.log", tuple(rows)))
    return out


def generate(seed: int = DEFAULT_SEED, lines_per_layout: int = DEFAULT_LINES_PER_LAYOUT,
             layouts: tuple[str, ...] | None = None) -> list[LogFile]:
    """Every data set's files (or only those named), deterministically from ``seed``."""
    return generate_from(sys.modules[__name__], seed, lines_per_layout, layouts)


def lines_of(statement: str, count: int, seed: int = DEFAULT_SEED) -> list[LabelledLine]:
    """``count`` lines of one statement (``"data set/statement id"``), in its data set's layout."""
    return lines_of_from(sys.modules[__name__], statement, count, seed)


def statement_ids() -> list[str]:
    return statement_ids_from(sys.modules[__name__])


def main(argv: list[str] | None = None) -> int:
    return main_from(sys.modules[__name__], argv)


# --- the interface a labelled set module offers, given its datasets() and generate_dataset() ---


def generate_from(module, seed: int, lines_per_layout: int,
                  layouts: tuple[str, ...] | None = None) -> list:
    return [f for name, layout, style in module.datasets() if layouts is None or name in layouts
            for f in module.generate_dataset(name, layout, style, seed, lines_per_layout)]


def lines_of_from(module, statement: str, count: int, seed: int) -> list:
    name, _, ident = statement.partition("/")
    for dataset, layout, style in module.datasets():
        if dataset == name:
            chosen = [st for st in layout.statements if st.id == ident]
            if chosen:
                one = type(layout)()
                one.statements = tuple(chosen)
                return list(module.generate_dataset(name, one, style, seed, count, files=1)[0].lines)
    raise KeyError(statement)


def statement_ids_from(module) -> list[str]:
    return [f"{name}/{st.id}" for name, layout, _style in module.datasets()
            for st in layout.statements]


def main_from(module, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=module.__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory to write the logs and labels to")
    parser.add_argument("--seed", type=int, default=module.DEFAULT_SEED)
    parser.add_argument("--lines-per-layout", type=int, default=module.DEFAULT_LINES_PER_LAYOUT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    with open(args.out / "labels.jsonl", "w", encoding="utf-8") as labels:
        for log in module.generate(args.seed, args.lines_per_layout):
            folder = args.out / log.layout
            folder.mkdir(exist_ok=True)
            (folder / log.name).write_bytes(b"".join(line.content + b"\n" for line in log.lines))
            for number, line in enumerate(log.lines, 1):
                labels.write(json.dumps({"file": f"{log.layout}/{log.name}", "line": number,
                                         "statement": line.statement, "level": line.level,
                                         "message": line.message.decode()}) + "\n")
            total += len(log.lines)
    print(f"wrote {total} lines to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
