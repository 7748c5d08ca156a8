# ruff: noqa: E501  (the statement tables below are long string literals)
"""A SECOND BLIND labelled log test set for template mining: every line says which statement wrote it.

Same interface as benchmarks/labelled_logs.py and labelled_logs_heldout.py (``Statement``,
``LabelledLine``, ``LogFile``, ``datasets()``, ``generate(seed, lines_per_layout)``, ``lines_of``,
``statement_ids``, ``CONSTANT_TEXT_PAIRS``, ``--out DIR``). Written and committed BEFORE any change
to logcrunch's template rules made after the held-out set was seen (the git history shows the
order), from what the programs below really log, so that the rule changes made afterwards could
not be tuned on it. Its layouts are none of the tuned or held-out sets' layouts.

Layouts: Cassandra (system.log), Postfix over syslog, Lustre kernel console over syslog,
OpenStack Nova (oslo.log), JVM unified GC logging, RabbitMQ (3.8 and 3.12 styles), MongoDB 4.2
text log, BIND named (category: severity:), Ceph OSD / monitor, Squid cache.log, Dovecot,
Prometheus (go-kit logfmt), Ruby on Rails (Logger), Envoy, GlusterFS, Zabbix server, Serilog
(.NET console), controller-runtime (zap console), supervisord, Exim mainlog, Asterisk, Node.js
pino (JSON).

What is in it on purpose, since real logs have it:

* variable words without digits: user names, queue / exchange / vhost names, Java keyspaces
  and tables, service and program names, mailbox names, peer host names, free-text reasons;
* variable-length parameters (recipient lists, host lists, stack-like reasons);
* enum words as parameters (``status=deferred|bounced``, GC causes, health states);
* digits in constant text (``HTTP/1.1``, ``550 5.1.1``, ``OST0004``, ``SHA-256``);
* levels that the header does not show (Lustre, Exim, Zabbix, Ceph's numeric levels), and
  statements that differ only in constant text (CONSTANT_TEXT_PAIRS).

Deterministic (seeded ``random.Random``); placeholders ``${kind}``, ``${kind:arg}``,
``${name=kind:arg}`` and ``${@name}`` as in the held-out set.

Usage::

    python benchmarks/labelled_logs_blind2.py --out DIR [--seed N] [--lines-per-layout N]
"""

from __future__ import annotations

import json
import random
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labelled_logs  # noqa: E402

# The pure value drawers and the seed mixing are the held-out set's own.
from labelled_logs_heldout import (  # noqa: E402
    LabelledLine,
    LogFile,
    Statement,
    _float,
    _hexdigits,
    _int,
    _layout_seed,
    _pick,
)

DEFAULT_SEED = 90417
DEFAULT_LINES_PER_LAYOUT = 200

ERROR = "error"
WARN = "warn"
INFO = "info"

LEVEL_CLASS = {
    "PANIC": ERROR, "FATAL": ERROR, "EMERG": ERROR, "ALERT": ERROR, "CRIT": ERROR, "CRITICAL": ERROR,
    "ERROR": ERROR,
    "WARNING": WARN, "WARN": WARN,
    "NOTICE": INFO, "INFO": INFO, "DEBUG": INFO, "VERBOSE": INFO,
}

# ---------------------------------------------------------------------------------------------
# Parameter vocabulary.

LISTS = {
    "user": ("alice", "bob", "jsmith", "mgarcia", "wchen", "admin", "svc_backup", "deploy", "ops",
             "olga", "tkumar", "hr-scanner", "noreply", "billing", "postmaster", "helpdesk",
             "lpetrov", "sarah.connor", "j.doe", "root"),
    "domain": ("example.com", "corp.example.net", "mail.acme.io", "gmail.com", "outlook.com",
               "yahoo.co.uk", "uni-heidelberg.de", "shop.example.org"),
    "mx": ("mx1.example.com", "gmail-smtp-in.l.google.com", "mx.outlook.com", "mail.acme.io",
           "smtp.uni-heidelberg.de", "mx-b.mailgun.org", "aspmx.l.google.com"),
    "keyspace": ("orders", "users", "system_auth", "analytics", "catalog", "sessions", "metrics",
                 "inventory", "events"),
    "cftable": ("order_by_user", "user_profiles", "events_by_day", "sessions", "roles",
                "product_views", "audit", "price_history", "cart_items"),
    "queue": ("orders.created", "email-outbound", "celery", "payments", "notifications",
              "amq.gen-Jx1qHc", "invoice_render", "search.reindex", "dead_letters", "webhooks"),
    "vhost": ("/", "prod", "staging", "billing", "analytics"),
    "rmquser": ("guest", "app", "monitoring", "shovel", "celery", "admin"),
    "erlnode": ("rabbit@mq-a", "rabbit@mq-b", "rabbit@mq-c", "rabbit@rabbitmq-0", "rabbit@rabbitmq-2"),
    "mongodb": ("shop", "admin", "reporting", "users", "telemetry", "config"),
    "mongocoll": ("orders", "carts", "users", "events", "sessions", "products", "system.sessions"),
    "zone": ("example.com", "corp.local", "acme.io", "10.in-addr.arpa", "example.org", "internal.lan"),
    "qname": ("www.example.com", "api.acme.io", "cdn.shop.example.org", "mail.corp.local",
              "ns1.example.net", "_ldap._tcp.dc.corp.local", "wpad.internal.lan", "tracker.example.net"),
    "pool": ("rbd", "cephfs_data", "cephfs_metadata", "images", "volumes", "default.rgw.buckets.data"),
    "mailbox": ("INBOX", "Sent", "Drafts", "Trash", "Archive", "Junk", "INBOX.Receipts"),
    "job": ("node", "kubernetes-pods", "blackbox", "mysqld", "postgres-exporter", "cadvisor",
            "kube-state-metrics", "pushgateway"),
    "rcontroller": ("OrdersController", "UsersController", "Api::V1::PaymentsController",
                    "Admin::ReportsController", "SessionsController", "CheckoutController"),
    "raction": ("index", "show", "create", "update", "destroy", "export"),
    "rmodel": ("User", "Order", "Invoice", "Subscription", "Product", "Account"),
    "cluster": ("outbound|443||api.stripe.com", "payments-backend", "auth_service", "grpc-users",
                "outbound|8080||orders.default.svc.cluster.local", "ext-authz", "redis-cache"),
    "gvol": ("gv0", "data", "homes", "vmstore", "backups"),
    "zhost": ("web-01", "db-primary", "Zabbix server", "router-core", "nas", "k8s-node-3", "printer-2f"),
    "zitem": ("system.cpu.load[percpu,avg1]", "vfs.fs.size[/,pused]", "net.if.in[eth0]",
              "agent.ping", "proc.num[nginx]", "mysql.status[Uptime]"),
    "prog": ("worker", "web", "celery-beat", "nginx", "cron-runner", "mailer", "scheduler"),
    "kind": ("Deployment", "StatefulSet", "Certificate", "Ingress", "KafkaTopic", "Database"),
    "kname": ("web", "api-gateway", "orders", "redis", "wildcard-tls", "analytics-db", "billing"),
    "kns": ("default", "prod", "staging", "cert-manager", "data"),
    "sipuser": ("alice", "bob", "reception", "sales", "support", "conference"),
    "sippeer": ("trunk-provider", "voipms", "office-gw", "twilio", "callcentre"),
    "ctx": ("from-internal", "from-trunk", "default", "ivr-main", "outbound-allroutes"),
    "dotnetsvc": ("OrderService", "PaymentGateway", "EmailSender", "InventorySync", "ReportBuilder"),
    "exc": ("System.TimeoutException", "System.Net.Http.HttpRequestException",
            "System.InvalidOperationException", "Npgsql.NpgsqlException",
            "System.Data.SqlClient.SqlException", "System.IO.IOException"),
    "route": ("/api/orders", "/api/users/:id", "/healthz", "/graphql", "/api/cart/items", "/login"),
    "nodeerr": ("connect ECONNREFUSED 127.0.0.1:5432", "read ECONNRESET", "socket hang up",
                "Request failed with status code 502", "getaddrinfo ENOTFOUND auth.internal",
                "Cannot read properties of undefined (reading 'id')", "jwt expired", "invalid signature"),
    "gccause": ("G1 Evacuation Pause", "G1 Humongous Allocation", "Allocation Failure",
                "Metadata GC Threshold", "System.gc()", "GCLocker Initiated GC"),
    "ostuuid": ("scratch-OST0004_UUID", "scratch-OST000a_UUID", "home-OST0001_UUID", "project-OST0012_UUID"),
    "mdt": ("scratch-MDT0000", "home-MDT0000", "project-MDT0001"),
    "squiddom": ("www.google.com", "update.microsoft.com", "cdn.jsdelivr.net", "github.com",
                 "api.example.org", "repo.maven.apache.org"),
    "novaflavor": ("m1.small", "m1.large", "c4.xlarge", "r5.2xlarge", "gpu.a100"),
    "novahost": ("compute-01", "compute-07", "cmp-rack3-12", "gpu-node-2"),
    "netname": ("private", "public", "provider-vlan", "tenant-net", "storage"),
    "strerr": ("Connection refused", "Connection timed out", "No route to host", "Network is unreachable",
               "Connection reset by peer", "Broken pipe"),
    "smtpreason": ("550 5.1.1 <${user}@${domain}>: Recipient address rejected: User unknown in virtual mailbox table",
                   "552 5.2.2 Mailbox full", "554 5.7.1 Service unavailable; Client host [${ip}] blocked using zen.spamhaus.org",
                   "421 4.7.0 Try again later, closing connection.", "450 4.2.0 <${user}@${domain}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/${domain}.html",
                   "550 5.7.26 This message does not pass authentication checks (SPF and DKIM both do not pass)."),
}

TEXTS = {
    "cassreason": ("Operation timed out - received only 0 responses.", "Cannot achieve consistency level QUORUM",
                   "Operation timed out - received only 1 responses.", "Unable to complete request: one or more nodes were unavailable."),
    "gluster_err": ("Transport endpoint is not connected", "No such file or directory", "Stale file handle",
                    "Input/output error", "Permission denied"),
    "mongoerr": ("HostUnreachable: Connection refused", "NetworkTimeout: Socket operation timed out",
                 "NotWritablePrimary: not primary", "ShutdownInProgress: Server is shutting down",
                 "InterruptedDueToReplStateChange: operation was interrupted"),
    "novaerr": ("No valid host was found. There are not enough hosts available.",
                "Build of instance was re-scheduled: Timeout waiting for vif plugging",
                "Failed to allocate the network(s), not rescheduling.",
                "Connection to libvirt lost: 1",
                "Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures"),
}


def _ip(rng, arg="", env=None):
    if rng.random() < 0.5:
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    return f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _uuid(rng, arg, env):
    h = _hexdigits(rng, "32")
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _email(rng, arg, env):
    return f"{rng.choice(LISTS['user'])}@{rng.choice(LISTS['domain'])}"


def _rcpts(rng, arg, env):
    return ", ".join(f"<{_email(rng, arg, env)}>" for _ in range(rng.randint(1, 3)))


def _hostlist(rng, arg, env):
    return ",".join(sorted({f"cass-{rng.randint(1, 12)}.dc{rng.randint(1, 2)}" for _ in range(rng.randint(1, 3))}))


def _size(rng, arg, env):
    return f"{rng.uniform(1, 999):.3f}{rng.choice(('KiB', 'MiB', 'GiB'))}"


def _qid(rng, arg, env):
    return _hexdigits(rng, "10..12", "0123456789ABCDEF")


def _eximid(rng, arg, env):
    a = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return f"1{_hexdigits(rng, '5', a)}-{_hexdigits(rng, '6', a)}-{_hexdigits(rng, '2', a)}"


def _erlpid(rng, arg, env):
    return f"<0.{rng.randint(100, 99999)}.0>"


def _nid(rng, arg, env):
    return f"{_ip(rng)}@{rng.choice(('o2ib', 'tcp', 'o2ib1'))}"


def _lustrefn(rng, arg, env):
    return rng.choice(("ldlm_lockd.c:256:expired_lock_main()", "client.c:2204:ptlrpc_expire_one_request()",
                       "ost_handler.c:1842:ost_brw_write()", "mdt_handler.c:6123:mdt_intent_lock()",
                       "events.c:459:server_bulk_callback()"))


def _rreq(rng, arg, env):
    return _uuid(rng, arg, env)


def _ms(rng, arg, env):
    return f"{rng.uniform(0.1, 9000):.1f}"


def _gocaller(rng, arg, env):
    return rng.choice(("scrape.go:1320", "scrape.go:1567", "manager.go:189", "notifier.go:527",
                       "head.go:1012", "klog.go:108", "compact.go:497", "dedupe.go:112"))


def _zcaller(rng, arg, env):
    return rng.choice(("controller/controller.go:329", "controller/controller.go:274",
                       "reconciler/deployment.go:88", "webhook/server.go:181"))


def _jsstack(rng, arg, env):
    return rng.choice(("at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)",
                       "at /app/src/routes/orders.js:42:17", "at processTicksAndRejections (node:internal/process/task_queues:95:5)"))


PARAMS = {name: _pick(values) for name, values in LISTS.items()}
PARAMS.update({
    "int": _int,
    "float": _float,
    "ip": _ip,
    "port": lambda rng, arg, env: str(rng.randint(1024, 65535)),
    "ipport": lambda rng, arg, env: f"{_ip(rng)}:{rng.randint(1024, 65535)}",
    "hex": lambda rng, arg, env: _hexdigits(rng, arg),
    "HEX": lambda rng, arg, env: _hexdigits(rng, arg).upper(),
    "uuid": _uuid,
    "choice": lambda rng, arg, env: rng.choice(arg.split("|")),
    "text": lambda rng, arg, env: rng.choice(TEXTS[arg]),
    "email": _email,
    "rcpts": _rcpts,
    "hostlist": _hostlist,
    "size": _size,
    "qid": _qid,
    "eximid": _eximid,
    "erlpid": _erlpid,
    "nid": _nid,
    "lustrefn": _lustrefn,
    "rreq": _rreq,
    "ms": _ms,
    "gocaller": _gocaller,
    "zcaller": _zcaller,
    "jsstack": _jsstack,
})

_PLACEHOLDER = re.compile(r"\$\{(?:(\w+)=)?(@?\w+)(?::([^{}$]*))?\}")


def render(rng: random.Random, text: str, env: dict | None = None) -> str:
    env = {} if env is None else env

    def one(m: re.Match) -> str:
        bind, kind, arg = m.group(1), m.group(2), m.group(3) or ""
        if kind.startswith("@"):
            return env[kind[1:]]
        value = PARAMS[kind](rng, arg, env)
        if bind:
            env[bind] = value
        return value

    while True:
        done = _PLACEHOLDER.sub(one, text)
        if done == text:
            return done
        text = done


# ---------------------------------------------------------------------------------------------
# Layouts.

S = Statement


def _bsd(t: datetime) -> str:
    return f"{t:%b} {t.day:2d} {t:%H:%M:%S}"


def _milli(t: datetime) -> str:
    return f"{t.microsecond // 1000:03d}"


class Layout:
    name = ""
    styles: tuple[str, ...] = ("",)
    statements: tuple[Statement, ...] = ()
    json_message = False

    def begin_file(self, rng: random.Random, start: datetime, index: int, style: str) -> None:
        self.pid = rng.randint(300, 60000)
        self.host = rng.choice(("node-a", "node-b", "srv01", "prod-3"))

    def line(self, rng, t, st, message, component, style):
        raise NotImplementedError


class Cassandra(Layout):
    """Cassandra system.log: ``LEVEL  [thread] yyyy-mm-dd hh:mm:ss,mmm File.java:line - msg``.
    Component: thread|source."""

    name = "cassandra"
    statements = (
        S("large_partition", "WARN", "Writing large partition ${keyspace}/${cftable}:${choice:${uuid}|${int}|${user}} (${size}) to sstable /var/lib/cassandra/data/${keyspace}/${cftable}-${hex:32}/nb-${int:1..9000}-big-Data.db", 6, "CompactionExecutor:${int:1..16}|BigTableWriter.java:211"),
        S("tombstones", "WARN", "Read ${int:1001..90000} live rows and ${int:100001..900000} tombstone cells for query SELECT * FROM ${keyspace}.${cftable} WHERE ${choice:id|user_id|bucket} = ${int} LIMIT 5000; token ${int:-9000000000000000000..9000000000000000000} (see tombstone_warn_threshold)", 5, "ReadStage-${int:1..32}|ReadCommand.java:600"),
        S("gc_pause", "WARN", "${choice:G1 Young Generation|G1 Old Generation|ParNew|ConcurrentMarkSweep} GC in ${int:1000..30000}ms.  ${choice:G1 Eden Space|Par Eden Space|CMS Old Gen}: ${int:100000000..9000000000} -> ${int:0..900000000}", 4, "Service Thread|GCInspector.java:282"),
        S("batch_size", "WARN", "Batch for [${keyspace}.${cftable}] is of size ${size}, exceeding specified threshold of 5.000KiB by ${size}.", 3, "Native-Transport-Requests-${int:1..128}|BatchStatement.java:301"),
        S("unlogged_batch", "WARN", "Unlogged batch covering ${int:11..500} partitions detected against table [${keyspace}.${cftable}]. You should use a logged batch for atomicity, or asynchronous writes for performance.", 2, "Native-Transport-Requests-${int:1..128}|BatchStatement.java:320"),
        S("read_timeout", "ERROR", "Unexpected exception during request; channel = [id: 0x${hex:8}, L:/${ip}:9042 - R:/${ipport}]: ${text:cassreason}", 3, "Native-Transport-Requests-${int:1..128}|ErrorMessage.java:384"),
        S("node_down", "INFO", "InetAddress /${ip} is now DOWN", 2, "GossipTasks:1|Gossiper.java:1097"),
        S("hints_failed", "WARN", "Hints delivery to /${ip} failed, will retry later: ${choice:Timed out|Connection refused}", 2, "HintsDispatcher:${int:1..4}|HintsDispatchExecutor.java:284"),
        S("auth_failed", "WARN", "Failed authentication attempt from /${ip}:${port} as user '${user}'", 2, "Native-Transport-Requests-${int:1..128}|PasswordAuthenticator.java:185"),
        S("disk_failure", "ERROR", "Stopping transports as disk_failure_policy is stop", 1, "CompactionExecutor:${int:1..16}|DefaultFSErrorHandler.java:112"),
        S("commitlog_sync", "WARN", "Out of ${int:10..60} commit log syncs over the past ${float:1..300/2}s with average duration of ${float:10..3000/2}ms, ${int:1..40} have exceeded the configured commit interval by an average of ${float:1..500/2}ms", 2, "PERIODIC-COMMIT-LOG-SYNCER|NoSpamLogger.java:95"),
        S("compaction_done", "INFO", "Compacted (${uuid}) ${int:2..32} sstables to [${keyspace}/${cftable}] to level=0.  ${size} to ${size} (~${int:10..99}% of original) in ${int:100..90000}ms.", 3, "CompactionExecutor:${int:1..16}|CompactionTask.java:241"),
        S("hints_down_hosts", "WARN", "Hinted handoff paused; endpoints ${hostlist} are marked down", 1, "HintedHandoffManager|HintsService.java:211"),
    )

    def line(self, rng, t, st, message, component, style):
        thread, source = component.split("|")
        return f"{st.level:<5} [{thread}] {t:%Y-%m-%d %H:%M:%S},{_milli(t)} {source} - {message}"


class Postfix(Layout):
    """Postfix over syslog: ``Mon dd hh:mm:ss host postfix/daemon[pid]: msg``; warnings, errors and
    fatals start ``warning:``, ``error:``, ``fatal:``; delivery lines carry a queue id. Component:
    daemon."""

    name = "postfix"
    statements = (
        S("bounced", "ERROR", "${qid}: to=<${email}>, relay=${mx}[${ip}]:25, delay=${float:0..90/2}, delays=${float:0..9/2}/0/${float:0..9/2}/${float:0..9/2}, dsn=5.${int:0..7}.${int:0..9}, status=bounced (host ${mx}[${ip}] said: ${smtpreason} (in reply to RCPT TO command))", 5, "smtp"),
        S("deferred", "WARN", "${qid}: to=<${email}>, relay=none, delay=${int:1..9000}, delays=${float:0..9000/0}/0/${float:0..60/1}/0, dsn=4.4.1, status=deferred (connect to ${mx}[${ip}]:25: ${strerr})", 6, "smtp"),
        S("sasl_failed", "WARN", "warning: unknown[${ip}]: SASL ${choice:LOGIN|PLAIN} authentication failed: ${choice:authentication failure|UGFzc3dvcmQ6}", 7, "smtpd"),
        S("rbl_reject", "WARN", "NOQUEUE: reject: RCPT from unknown[${c=ip}]: 554 5.7.1 Service unavailable; Client host [${@c}] blocked using zen.spamhaus.org; from=<${email}> to=<${email}> proto=ESMTP helo=<${choice:User|localhost|${qname}}>", 5, "smtpd"),
        S("hostname_mismatch", "WARN", "warning: hostname ${qname} does not resolve to address ${ip}: ${choice:Name or service not known|hostname nor servname provided, or not known}", 4, "smtpd"),
        S("lost_connection", "INFO", "lost connection after ${choice:AUTH|EHLO|CONNECT|RCPT|DATA} from unknown[${ip}]", 3, "smtpd"),
        S("tls_failed", "WARN", "warning: TLS library problem: error:${HEX:8}:SSL routines:${choice:ssl3_get_record|tls_early_post_process_client_hello|ssl3_read_bytes}:${choice:wrong version number|unsupported protocol|no shared cipher}:../ssl/record/ssl3_record.c:${int:300..400}:", 3, "smtpd"),
        S("queue_file_write", "ERROR", "fatal: ${choice:queue file write error|open database /etc/postfix/virtual.db: No such file or directory}", 1, "cleanup"),
        S("mailbox_full", "ERROR", "${qid}: to=<${email}>, relay=virtual, delay=${float:0..9/2}, delays=${float:0..9/2}/0/0/${float:0..9/2}, dsn=5.2.2, status=bounced (cannot update mailbox /var/mail/vhosts/${domain}/${user} for user ${user}. error writing message: Disk quota exceeded)", 2, "virtual"),
        S("table_lookup", "WARN", "warning: ${choice:hash|lmdb}:/etc/postfix/${choice:virtual|transport|sender_access} is unavailable. open database /etc/postfix/${choice:virtual|transport|sender_access}.db: No such file or directory", 1, "trivial-rewrite"),
        S("removed", "INFO", "${qid}: removed", 3, "qmgr"),
        S("process_killed", "WARN", "warning: process /usr/lib/postfix/sbin/${choice:smtpd|smtp|cleanup} pid ${int:1000..99999} killed by signal ${choice:9|11|15}", 1, "master"),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{_bsd(t)} {self.host} postfix/{component}[{rng.randint(1000, 99999)}]: {message}"


class Lustre(Layout):
    """Lustre console messages over syslog (``kernel: LustreError: pid:0:(file.c:line:fn()) msg``
    for errors, ``kernel: Lustre: ...`` for warnings/console notes)."""

    name = "lustre"
    statements = (
        S("lock_expired", "ERROR", "LustreError: ${int:1000..99999}:0:(ldlm_lockd.c:256:expired_lock_main()) ### lock callback timer expired after ${int:100..900}s: evicting client at ${nid}  ns: filter-${ostuuid} lock: ${hex:16}/0x${hex:16} lrc: 3/0,0 mode: PW/PW res: [0x${hex:6}:0x0:0x0].0x0 rrc: ${int:2..40} type: EXT [0->18446744073709551615] (req 0->4095) flags: 0x60000400000020 nid: ${nid} remote: 0x${hex:16} expref: ${int:5..900} pid: ${int:1000..99999} timeout: 0 lvb_type: 0", 5, ""),
        S("req_timeout", "WARN", "Lustre: ${int:1000..99999}:0:(client.c:2204:ptlrpc_expire_one_request()) @@@ Request sent has timed out for slow reply: [sent ${int:1700000000..1799999999}/real ${int:1700000000..1799999999}]  req@${hex:16} x${int:1000000000000..9999999999999}/t0(0) o${choice:400|101|4|3}->${ostuuid}@${nid}:28/4 lens ${int:200..600}/${int:200..600} e 0 to 1 dl ${int:1700000000..1799999999} ref 1 fl Rpc:XN/0/ffffffff rc 0/-1", 6, ""),
        S("conn_lost", "WARN", "Lustre: ${choice:scratch|home|project}-OST${HEX:4}-osc-${hex:16}: Connection to ${ostuuid} (at ${nid}) was lost; in progress operations using this service will wait for recovery to complete", 5, ""),
        S("conn_restored", "INFO", "Lustre: ${choice:scratch|home|project}-OST${HEX:4}-osc-${hex:16}: Connection restored to ${ostuuid} (at ${nid})", 4, ""),
        S("evicted", "ERROR", "LustreError: 167-0: ${choice:scratch|home|project}-OST${HEX:4}-osc-${hex:16}: This client was evicted by ${ostuuid}; in progress operations using this service will fail.", 3, ""),
        S("bulk_io_failed", "ERROR", "LustreError: ${int:1000..99999}:0:(events.c:459:server_bulk_callback()) event type ${int:1..5}, status -${choice:5|103|110}, desc ${hex:16}", 3, ""),
        S("slow_service", "WARN", "Lustre: ${mdt}: service thread pid ${int:1000..99999} was inactive for ${float:40..900/3}s. The thread might be hung, or it might only be slow and will resume later. Dumping the stack trace for debugging purposes:", 2, ""),
        S("recovery_over", "INFO", "Lustre: ${mdt}: Recovery over after ${int:0..20}:${int:10..59}, of ${int:10..900} clients ${int:10..900} recovered and ${int:0..9} were evicted.", 1, ""),
        S("mds_enospc", "ERROR", "LustreError: ${int:1000..99999}:0:(osd_io.c:1541:osd_ldiskfs_write_record()) ${ostuuid}: error writing offset ${int} (length ${int:4096..1048576}): rc = -28", 1, ""),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{_bsd(t)} {self.host} kernel: {message}"


class Nova(Layout):
    """OpenStack Nova (oslo.log): ``yyyy-mm-dd hh:mm:ss.mmm pid LEVEL module [req-... user project - - -] msg``."""

    name = "nova"
    statements = (
        S("no_valid_host", "ERROR", "[instance: ${uuid}] Failed to build and run instance: nova.exception.NoValidHost: ${text:novaerr}", 4, "nova.compute.manager"),
        S("vif_timeout", "WARN", "[instance: ${uuid}] Timeout waiting for [('network-vif-plugged', '${v=uuid}')] for instance with vm_state building and task_state spawning. Event states are: network-vif-plugged-${@v}: timed out after ${int:300..600}.${int:10..99} seconds: eventlet.timeout.Timeout: ${int:300..600} seconds", 4, "nova.compute.manager"),
        S("resource_tracker", "WARN", "Instance ${uuid} has been moved to another host ${novahost}(${novahost}). There are allocations remaining against the source host that might need to be removed: {'resources': {'VCPU': ${int:1..32}, 'MEMORY_MB': ${int:512..262144}, 'DISK_GB': ${int:1..900}}}.", 3, "nova.compute.resource_tracker"),
        S("rpc_timeout", "ERROR", "Error during ComputeManager.${choice:_heal_instance_info_cache|_sync_power_states|update_available_resource}: oslo_messaging.exceptions.MessagingTimeout: Timed out waiting for a reply to message ID ${hex:32}", 3, "nova.compute.manager"),
        S("amqp_unreachable", "ERROR", "[${uuid}] AMQP server on ${choice:controller|rabbit-1|mq.internal}:5672 is unreachable: [Errno 111] ECONNREFUSED. Trying again in ${int:1..32} seconds.: ConnectionRefusedError: [Errno 111] ECONNREFUSED", 3, "oslo.messaging._drivers.impl_rabbit"),
        S("quota_exceeded", "WARN", "Quota exceeded for ${hex:32}, tried to run ${int:1..8} instances. Cannot run any more instances of this type.", 2, "nova.compute.api"),
        S("power_state_sync", "WARN", "[instance: ${uuid}] While synchronizing instance power states, found ${int:0..9} instances in the database and ${int:0..9} instances on the hypervisor.", 2, "nova.compute.manager"),
        S("libvirt_err", "ERROR", "[instance: ${uuid}] Error from libvirt during ${choice:destroy|undefine|migration}. Code=${int:1..90} Error=${choice:Requested operation is not valid: domain is not running|internal error: process exited while connecting to monitor|Timed out during operation: cannot acquire state change lock}: libvirt.libvirtError: ${choice:Requested operation is not valid|internal error}", 2, "nova.virt.libvirt.driver"),
        S("flavor_missing", "ERROR", "Flavor ${novaflavor} could not be found.", 1, "nova.api.openstack.wsgi"),
        S("instance_spawned", "INFO", "[instance: ${uuid}] Took ${float:5..90/2} seconds to spawn the instance on the hypervisor.", 3, "nova.compute.manager"),
        S("network_missing", "WARN", "Network ${netname} could not be found for project ${hex:32}", 1, "nova.network.neutron"),
    )

    def line(self, rng, t, st, message, component, style):
        ctx = f"[req-{_uuid(rng, '', None)} {_hexdigits(rng, '32')} {_hexdigits(rng, '32')} - default default]"
        return f"{t:%Y-%m-%d %H:%M:%S}.{_milli(t)} {self.pid} {st.level} {component} {ctx} {message}"


class JvmGc(Layout):
    """JVM unified logging (``-Xlog:gc*:file:time,uptime,level,tags``):
    ``[iso][uptime s][level][tags] msg``."""

    name = "jvm_gc"
    level_word = {"WARN": "warning", "ERROR": "error", "INFO": "info"}
    statements = (
        S("to_space_exhausted", "WARN", "GC(${int:1..90000}) To-space exhausted", 4, "gc"),
        S("humongous", "WARN", "GC(${int:1..90000}) Humongous allocation of ${int:1..900}M triggered a ${choice:young|mixed} collection", 2, "gc,alloc"),
        S("pause_full", "WARN", "GC(${int:1..90000}) Pause Full (${gccause}) ${int:100..16000}M->${int:100..16000}M(${int:1000..32000}M) ${float:100..40000/3}ms", 4, "gc"),
        S("evac_failure", "WARN", "GC(${int:1..90000}) Evacuation Failure: ${choice:Pinned|Allocation}", 2, "gc"),
        S("metaspace_oom", "ERROR", "Metaspace (data) allocation failed for ${int:10..9000} words", 1, "gc,metaspace"),
        S("codecache_full", "WARN", "CodeCache is full. Compiler has been disabled.", 2, "codecache"),
        S("safepoint_slow", "WARN", "Safepoint \"${choice:G1CollectForAllocation|RevokeBias|ICBufferFull|Cleanup}\", Time since last: ${int:1000000..900000000} ns, Reaching safepoint: ${int:1000000..90000000} ns, At safepoint: ${int:1000..9000000} ns, Total: ${int:1000000..90000000} ns", 3, "safepoint"),
        S("oom_heap", "ERROR", "Out of memory: Java heap space (requested ${int:16..900000} bytes)", 1, "gc"),
        S("pause_young", "INFO", "GC(${int:1..90000}) Pause Young (Normal) (${gccause}) ${int:100..16000}M->${int:100..16000}M(${int:1000..32000}M) ${float:1..400/3}ms", 5, "gc"),
        S("heap_region", "INFO", "GC(${int:1..90000}) Eden regions: ${int:0..900}->0(${int:0..900})", 2, "gc,heap"),
    )

    def line(self, rng, t, st, message, component, style):
        uptime = (t - datetime(2026, 11, 24)).total_seconds() % 90000
        return f"[{t:%Y-%m-%dT%H:%M:%S}.{_milli(t)}+0000][{uptime:.3f}s][{self.level_word[st.level]}][{component}] {message}"


class RabbitMQ(Layout):
    """RabbitMQ: 3.8 (``yyyy-mm-dd hh:mm:ss.mmm [error] <0.x.0> msg``) or 3.12 (microseconds,
    offset, ``[warning]``)."""

    name = "rabbitmq"
    styles = ("3.8", "3.12")
    statements = (
        S("auth_refused", "ERROR", "Error on AMQP connection ${erlpid} (${ipport} -> ${ip}:5672, state: starting):\nPLAIN login refused: user '${rmquser}' - invalid credentials", 6, ""),
        S("closing_missed_hb", "ERROR", "closing AMQP connection ${erlpid} (${ipport} -> ${ip}:5672):\nmissed heartbeats from client, timeout: ${choice:60|30|580}s", 5, ""),
        S("client_unexpectedly_closed", "WARN", "closing AMQP connection ${erlpid} (${ipport} -> ${ip}:5672, vhost: '${vhost}', user: '${rmquser}'):\nclient unexpectedly closed TCP connection", 6, ""),
        S("vhost_access", "ERROR", "Error on AMQP connection ${erlpid} (${ipport} -> ${ip}:5672, user: '${r=rmquser}', state: opening):\naccess to vhost '${vhost}' refused for user '${@r}'", 3, ""),
        S("queue_not_found", "ERROR", "Channel error on connection ${erlpid} (${ipport} -> ${ip}:5672, vhost: '${h=vhost}', user: '${rmquser}'), channel ${int:1..200}:\noperation queue.declare caused a channel exception not_found: no queue '${queue}' in vhost '${@h}'", 4, ""),
        S("precondition_failed", "ERROR", "Channel error on connection ${erlpid} (${ipport} -> ${ip}:5672, vhost: '${h=vhost}', user: '${rmquser}'), channel ${int:1..200}:\noperation queue.declare caused a channel exception precondition_failed: inequivalent arg 'x-queue-type' for queue '${queue}' in vhost '${@h}': received none but current is the value 'quorum' of type 'longstr'", 2, ""),
        S("mem_alarm", "WARN", "memory resource limit alarm set on node '${erlnode}'.", 2, ""),
        S("disk_alarm", "WARN", "Disk free space insufficient. Free bytes: ${int:1000000..49999999}. Limit: 50000000", 2, ""),
        S("node_down", "ERROR", "Node '${erlnode}' down: ${choice:connection_closed|net_tick_timeout|disconnect}", 2, ""),
        S("partition", "ERROR", "Partial partition detected:\n * We saw DOWN from ${erlnode}\n * We can still see ${erlnode} which can see ${erlnode}\nWe will therefore intentionally disconnect from ${erlnode}", 1, ""),
        S("accepting", "INFO", "accepting AMQP connection ${erlpid} (${ipport} -> ${ip}:5672)", 4, ""),
        S("user_authenticated", "INFO", "connection ${erlpid} (${ipport} -> ${ip}:5672): user '${rmquser}' authenticated and granted access to vhost '${vhost}'", 3, ""),
    )

    def line(self, rng, t, st, message, component, style):
        # Multi-line messages: keep the first physical line only is not how RabbitMQ writes them;
        # 3.8 writes them on one line joined by a space in its log file when it is the console
        # formatter's single_line mode, which is what we model here.
        message = message.replace("\n", " ")
        level = st.level.lower().replace("warn", "warning")
        pid = _erlpid(rng, "", None)
        if style == "3.8":
            return (f"{t:%Y-%m-%d %H:%M:%S}.{_milli(t)} [{level}] {pid} {message}", message)
        return (f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond:06d}+00:00 [{level}] {pid} {message}", message)


class MongoDB(Layout):
    """MongoDB 4.2 text log: ``iso+0000 S  COMPONENT [context] msg``."""

    name = "mongodb"
    letter = {"ERROR": "E", "WARN": "W", "INFO": "I", "FATAL": "F"}
    statements = (
        S("slow_query", "INFO", "command ${mongodb}.${mongocoll} command: find { find: \"${mongocoll}\", filter: { ${choice:userId|status|sku}: \"${hex:24}\" } } planSummary: COLLSCAN keysExamined:0 docsExamined:${int:1000..9000000} nreturned:${int:0..100} reslen:${int:200..90000} ${int:100..90000}ms", 4, "COMMAND|conn"),
        S("auth_failed", "INFO", "Authentication failed for ${u=user}@${d=mongodb} from client ${ipport} with mechanism SCRAM-SHA-256: UserNotFound: Could not find user \"${@u}\" for db \"${@d}\"", 3, "ACCESS|conn"),
        S("repl_heartbeat", "WARN", "Error in heartbeat (requestId: ${int:100..9999999}) to ${choice:mongo-0|mongo-1|mongo-2}.mongo.${choice:prod|db}.svc:27017, response status: ${text:mongoerr}", 5, "REPL_HB|replexec"),
        S("conn_refused", "WARN", "Failed to connect to ${ipport}, in(${choice:checking socket for error after poll|connecting}), reason: ${choice:Connection refused|Connection timed out|No route to host}", 4, "NETWORK|ReplicaSetMonitor-TaskExecutor"),
        S("socket_exception", "ERROR", "SocketException handling request, closing client connection: ${int:6..9001} socket exception [${choice:SEND_ERROR|RECV_ERROR|CLOSED}] server [${ipport}]", 3, "NETWORK|conn"),
        S("wt_error", "ERROR", "WiredTiger error (${int:-31804..-1}) [${int:1500000000..1800000000}:${int:0..999999}][${int:1..99999}:0x${hex:12}], file:${choice:collection|index}-${int:1..999}-${int:1000000000000000000..9999999999999999999}.wt, WT_CURSOR.search: __wt_block_read_off, ${int:200..300}: read checksum error for ${int:4096..65536}B block at offset ${int}: block header checksum of 0x${hex:8} doesn't match expected checksum of 0x${hex:8}", 1, "STORAGE|conn"),
        S("no_primary", "WARN", "Unable to reach primary for set ${choice:rs0|rs-prod|shard01}", 3, "NETWORK|ReplicaSetMonitor-TaskExecutor"),
        S("assertion", "ERROR", "Assertion: ${int:10000..99999}:${choice:BSONObj size: ${int:16793600..99999999} (0x${HEX:7}) is invalid. Size must be between 0 and 16793600(16MB)|Invalid BSONObj size}", 1, "-|conn"),
        S("fatal_assertion", "FATAL", "Fatal Assertion ${int:10000..99999} at src/mongo/db/repl/${choice:replication_coordinator_impl.cpp|oplog.cpp|rs_rollback.cpp} ${int:100..9000}", 1, "-|rsSync-0"),
        S("connection_accepted", "INFO", "connection accepted from ${ipport} #${int:1..999999} (${int:1..900} connections now open)", 4, "NETWORK|listener"),
        S("transition_secondary", "INFO", "transition to SECONDARY from ${choice:RECOVERING|PRIMARY|STARTUP2}", 1, "REPL|rsSync-0"),
    )

    def line(self, rng, t, st, message, component, style):
        comp, ctx = component.split("|")
        if ctx == "conn":
            ctx = f"conn{rng.randint(1, 99999)}"
        return f"{t:%Y-%m-%dT%H:%M:%S}.{_milli(t)}+0000 {self.letter[st.level]} {comp:<8} [{ctx}] {message}"


class Named(Layout):
    """BIND named with ``print-time yes; print-category yes; print-severity yes``:
    ``dd-Mon-yyyy hh:mm:ss.mmm category: severity: msg``."""

    name = "named"
    statements = (
        S("lame_server", "INFO", "lame-servers: info: ${choice:SERVFAIL unexpected RCODE|REFUSED unexpected RCODE|connection refused|timed out} resolving '${qname}/${choice:A|AAAA|MX|TXT|NS}/IN': ${ip}#53", 4, ""),
        S("zone_refresh", "ERROR", "general: error: zone ${zone}/IN: refresh: failure trying master ${ip}#53 (source 0.0.0.0#0): ${choice:timed out|operation canceled}", 4, ""),
        S("xfer_denied", "ERROR", "security: error: client @0x${hex:12} ${ipport} (${z=zone}): zone transfer '${@z}/AXFR/IN' denied", 5, ""),
        S("query_denied", "INFO", "security: info: client @0x${hex:12} ${ip}#${port} (${q=qname}): query (cache) '${@q}/${choice:A|ANY|AAAA}/IN' denied", 4, ""),
        S("dnssec_validate", "WARN", "dnssec: warning: validating ${qname}/${choice:A|DNSKEY|DS|SOA}: ${choice:no valid signature found|bad cache hit|verify failed due to bad signature (keyid=${int:1000..65535}): RRSIG has expired}", 4, ""),
        S("broken_trust", "WARN", "dnssec: warning: managed-keys-zone: Unable to fetch DNSKEY set '.': ${choice:timed out|failure}", 2, ""),
        S("network_unreachable", "ERROR", "resolver: error: ${choice:network unreachable|host unreachable} resolving '${qname}/${choice:A|AAAA|DS}/IN': ${ip}#53", 3, ""),
        S("zone_loaded", "INFO", "general: info: zone ${zone}/IN: loaded serial ${int:2020010100..2026123199}", 2, ""),
        S("too_many_records", "WARN", "general: warning: zone ${zone}/IN: ${qname}/${choice:MX|NS} '${qname}' (out of zone) has no addresses records (A or AAAA)", 2, ""),
        S("rndc_denied", "ERROR", "general: error: invalid command from ${ipport}: bad auth", 1, ""),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t.day:02d}-{t:%b-%Y %H:%M:%S}.{_milli(t)} {message}"


class Ceph(Layout):
    """Ceph daemons: ``iso+0000 thread-hex level entity message`` with numeric levels (-1 for
    derr, 0 always shown); the monitor's cluster log lines carry ``log [WRN]``/``log [ERR]``.
    The header shows no level word for the numeric lines."""

    name = "ceph"
    statements = (
        S("heartbeat_no_reply", "ERROR", "-1 osd.${int:0..96} ${int:1000..99999} heartbeat_check: no reply from ${ip}:${int:6800..7300} osd.${int:0..96} since back ${int:2026..2026}-12-0${int:1..2}T0${int:0..5}:${int:10..59}:${int:10..59}.${int:100000..999999}+0000 front ${int:2026..2026}-12-0${int:1..2}T0${int:0..5}:${int:10..59}:${int:10..59}.${int:100000..999999}+0000 (oldest deadline ${int:2026..2026}-12-0${int:1..2}T0${int:0..5}:${int:10..59}:${int:10..59}.${int:100000..999999}+0000)", 6, "osd"),
        S("slow_ops", "WARN", "0 log_channel(cluster) log [WRN] : Health check update: ${int:1..900} slow ops, oldest one blocked for ${int:30..9000} sec, ${choice:daemons [osd.${int:0..96},osd.${int:0..96}] have slow ops.|osd.${int:0..96} has slow ops} (SLOW_OPS)", 5, "mon"),
        S("osd_down", "WARN", "0 log_channel(cluster) log [WRN] : Health check failed: ${int:1..9} osds down (OSD_DOWN)", 3, "mon"),
        S("pg_degraded", "WARN", "0 log_channel(cluster) log [WRN] : Health check update: Degraded data redundancy: ${int:1..900000}/${int:1000000..9000000} objects degraded (${float:0..40/3}%), ${int:1..900} pgs degraded, ${int:1..900} pgs undersized (PG_DEGRADED)", 4, "mon"),
        S("scrub_error", "ERROR", "-1 log_channel(cluster) log [ERR] : ${int:1..40}.${hex:1..3} shard ${int:0..96} soid ${int:1..40}:${hex:8}:::rbd_data.${hex:12}.${hex:16}:head : candidate had a read error", 2, "osd"),
        S("near_full", "WARN", "0 log_channel(cluster) log [WRN] : Health check failed: ${int:1..9} nearfull osd(s) (OSD_NEARFULL)", 2, "mon"),
        S("pool_full", "ERROR", "-1 log_channel(cluster) log [ERR] : Health check failed: ${int:1..9} pool(s) full (POOL_FULL)", 1, "mon"),
        S("bluestore_spillover", "WARN", "0 log_channel(cluster) log [WRN] : Health check failed: BlueFS spillover detected on ${int:1..9} OSD(s) (BLUEFS_SPILLOVER)", 1, "mon"),
        S("mon_election", "INFO", "0 log_channel(cluster) log [INF] : mon.${choice:a|b|c} calling monitor election", 2, "mon"),
        S("health_ok", "INFO", "0 log_channel(cluster) log [INF] : Cluster is now healthy", 1, "mon"),
        S("wrongly_marked_down", "WARN", "0 log_channel(cluster) log [DBG] : map e${int:1000..99999} wrongly marked me down at e${int:1000..99999}", 2, "osd"),
    )

    def line(self, rng, t, st, message, component, style):
        thread = _hexdigits(rng, "12")
        entity = f"osd.{rng.randint(0, 96)}" if component == "osd" else f"mon.{rng.choice('abc')}@{rng.randint(0, 2)}(leader)"
        return f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}+0000 7f{thread} {message.split(' ', 1)[0]} {entity} {message.split(' ', 1)[1]}", message.split(" ", 1)[1]


class Squid(Layout):
    """Squid cache.log: ``yyyy/mm/dd hh:mm:ss kidN| msg``; ``WARNING:``/``ERROR:`` prefixes."""

    name = "squid"
    statements = (
        S("dns_fail", "ERROR", "ERROR: ipcacheAddEntryFromHosts: Bad IP address '${choice:localhost|gateway|${squiddom}}'", 2, ""),
        S("max_fd", "WARN", "WARNING! Your cache is running out of filedescriptors", 3, ""),
        S("forwarding_loop", "WARN", "WARNING: Forwarding loop detected for:\" GET http://${squiddom}/ HTTP/1.1\"", 2, ""),
        S("conn_failed", "ERROR", "ERROR: Connection to ${ipport} failed", 5, ""),
        S("reply_missing", "WARN", "WARNING: HTTP: Invalid Response: No object data received for http://${squiddom}/${hex:8} AKA ${squiddom}/${hex:8}", 3, ""),
        S("swapout_failed", "ERROR", "ERROR: ${choice:/var/spool/squid|/cache1|/cache2}/${HEX:2}/${HEX:2}/${HEX:8}: (2) No such file or directory", 2, ""),
        S("helper_crash", "WARN", "WARNING: ${choice:basic_ncsa_auth|ext_ldap_group_acl|negotiate_kerberos_auth} #Hlpr${int:1..64} exited", 3, ""),
        S("icap_down", "ERROR", "ERROR: ${choice:essential ICAP service is down after an options fetch failure|optional ICAP service is suspended}: icap://${ip}:1344/${choice:avscan|reqmod|respmod} [down,!opt]", 2, ""),
        S("client_aborted", "WARN", "WARNING: Closing client connection due to lifetime timeout", 2, ""),
        S("squid_started", "INFO", "Starting Squid Cache version ${choice:5.7|6.6} for x86_64-pc-linux-gnu...", 1, ""),
        S("store_rebuild", "INFO", "Store rebuilding is ${float:0..100/2}% complete", 2, ""),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%Y/%m/%d %H:%M:%S} kid{rng.randint(1, 4)}| {message}"


class Dovecot(Layout):
    """Dovecot's own log file (log_path): ``Mon dd hh:mm:ss service(user)<pid><session>: Level: msg``."""

    name = "dovecot"
    statements = (
        S("auth_failed", "INFO", "auth: ${choice:passwd-file|pam|ldap}(${email},${ip},<${hex:16}>): ${choice:unknown user|Password mismatch}", 5, "auth"),
        S("quota_exceeded", "ERROR", "Error: Failed to save mail to mailbox ${mailbox}: Quota exceeded (mailbox for user is full)", 3, "lmtp"),
        S("mailbox_missing", "ERROR", "Error: Mailbox ${mailbox}: Failed to autocreate mailbox: Permission denied", 2, "imap"),
        S("index_corrupt", "ERROR", "Error: Corrupted index cache file /var/vmail/${domain}/${user}/Maildir/dovecot.index.cache: ${choice:invalid record size|Broken physical size for mail UID ${int:1..90000}}", 3, "imap"),
        S("fs_warning", "WARN", "Warning: Maildir ${choice:/var/vmail/${domain}/${user}/Maildir|/home/${user}/Maildir}: Expunged message reappeared, giving a new UID (old uid=${int:1..90000}, file=${int:1600000000..1799999999}.M${int:100000..999999}P${int:1000..99999}.${choice:mail|mx1}:2,${choice:S|RS|})", 3, "imap"),
        S("time_moved", "WARN", "Warning: Time moved forwards by ${float:0..30/2} seconds - adjusting timeouts.", 1, "imap"),
        S("login_disconnected", "INFO", "imap-login: Disconnected (auth failed, ${int:1..3} attempts in ${int:2..20} secs): user=<${email}>, method=PLAIN, rip=${ip}, lip=${ip}, TLS, session=<${hex:16}>", 5, "imap-login"),
        S("lmtp_fatal", "FATAL", "Fatal: master: service(${choice:lmtp|imap|pop3}): child ${int:1000..99999} killed with signal ${choice:9|11|6} (core dumps disabled)", 1, "master"),
        S("conn_limit", "WARN", "Warning: service(${choice:imap-login|pop3-login}): process_limit (${choice:100|500|1000}) reached, client connections are being dropped", 2, "master"),
        S("sieve_error", "ERROR", "Error: sieve: ${choice:failed to open sieve script|failed to execute script} file /var/vmail/${domain}/${user}/sieve/${choice:main|filters|vacation}.sieve: ${choice:Permission denied|Compile failed}", 2, "lmtp"),
    )

    def line(self, rng, t, st, message, component, style):
        if component in ("auth", "master", "imap-login"):
            who = f"{component}"
            return f"{t:%b %d %H:%M:%S} {message}" if component in ("auth", "imap-login") else f"{t:%b %d %H:%M:%S} {who}: {message}"
        user = _email(rng, "", None)
        return f"{t:%b %d %H:%M:%S} {component}({user})<{rng.randint(1000, 99999)}><{_hexdigits(rng, '16')}>: {message}"


class Prometheus(Layout):
    """Prometheus 2.x (go-kit logfmt): ``ts=... caller=file.go:n level=warn component=... msg=... k=v``."""

    name = "prometheus"
    statements = (
        S("append_failed", "WARN", 'component="scrape manager" scrape_pool=${job} target=http://${ip}:${choice:9100|9104|8080}/metrics msg="Append failed" err="${choice:out of bounds|duplicate sample for timestamp|label value too long}"', 5, ""),
        S("scrape_timeout", "WARN", 'component="scrape manager" scrape_pool=${job} target=http://${ip}:${choice:9100|9187|8080}/metrics msg="Scrape failed" err="context deadline exceeded"', 4, ""),
        S("notify_failed", "ERROR", 'component=notifier alertmanager=http://${choice:alertmanager|am-0.alertmanager|10.0.0.5}:9093/api/v2/alerts count=${int:1..64} msg="Error sending alert" err="Post \\"http://${choice:alertmanager|am-0.alertmanager}:9093/api/v2/alerts\\": ${choice:dial tcp ${ip}:9093: connect: connection refused|context deadline exceeded}"', 4, ""),
        S("rule_eval", "WARN", 'component="rule manager" file=/etc/prometheus/rules/${choice:node|kubernetes|app}.yml group=${choice:node.rules|kube-apiserver.rules|app-alerts} name=${choice:HighErrorRate|NodeDiskFull|KubePodCrashLooping} index=${int:0..40} msg="Evaluating rule failed" rule="alert: x" err="${choice:vector contains metrics with the same labelset after applying alert labels|query timed out in expression evaluation}"', 3, ""),
        S("wal_corruption", "WARN", 'component=tsdb msg="Encountered WAL read error, attempting repair" err="corruption in segment /prometheus/wal/${int:10000000..10009999} at ${int:1..90000000}: unexpected checksum ${hex:8}, expected ${hex:8}"', 1, ""),
        S("k8s_list_failed", "ERROR", 'component=k8s_client_runtime func=ErrorDepth msg="pkg/mod/k8s.io/client-go@v0.28.1/tools/cache/reflector.go:229: Failed to watch *v1.${choice:Pod|Endpoints|Service}: failed to list *v1.${choice:Pod|Endpoints|Service}: ${choice:Unauthorized|pods is forbidden: User \\"system:serviceaccount:monitoring:prometheus\\" cannot list resource \\"pods\\" in API group \\"\\" at the cluster scope}"', 2, ""),
        S("compaction_failed", "ERROR", 'component=tsdb msg="compaction failed" err="${choice:compact head: persist head block: mkdir /prometheus/${hex:26}.tmp-for-creation: no space left on device|plan compaction: open /prometheus/${hex:26}/meta.json: no such file or directory}"', 1, ""),
        S("sample_limit", "WARN", 'component="scrape manager" scrape_pool=${job} target=http://${ip}:8080/metrics msg="Appending scrape report failed" err="sample limit exceeded"', 2, ""),
        S("compact_done", "INFO", 'component=tsdb msg="write block" mint=${int:1700000000000..1799999999999} maxt=${int:1700000000000..1799999999999} ulid=${HEX:26} duration=${float:0..9/3}s', 3, ""),
        S("head_gc", "INFO", 'component=tsdb msg="Head GC completed" caller=truncateMemory duration=${float:1..900/3}ms', 2, ""),
    )

    def line(self, rng, t, st, message, component, style):
        level = {"WARN": "warn", "ERROR": "error", "INFO": "info"}[st.level]
        return f"ts={t:%Y-%m-%dT%H:%M:%S}.{_milli(t)}Z caller={_gocaller(rng, '', None)} level={level} {message}"


class Rails(Layout):
    """Ruby Logger (Rails): ``L, [iso #pid] LEVEL -- : [request-id] msg``."""

    name = "rails"
    statements = (
        S("record_not_found", "FATAL", "ActiveRecord::RecordNotFound (Couldn't find ${rmodel} with 'id'=${int}):", 5, ""),
        S("routing_error", "FATAL", "ActionController::RoutingError (No route matches [${choice:GET|POST}] \"/${choice:wp-login.php|.env|admin/config.php|${hex:8}}\"):", 4, ""),
        S("invalid_token", "FATAL", "ActionController::InvalidAuthenticityToken (Can't verify CSRF token authenticity.):", 3, ""),
        S("pg_conn_bad", "ERROR", "PG::ConnectionBad: could not connect to server: ${strerr}", 2, ""),
        S("deprecation", "WARN", "DEPRECATION WARNING: ${choice:`update_attributes` is deprecated|Using a dynamic :action segment in a route is deprecated} and will be removed from Rails ${choice:6.1|7.0|7.1} (called from block in <class:${rmodel}> at /app/app/models/${choice:user|order|invoice}.rb:${int:2..400})", 3, ""),
        S("unpermitted", "WARN", "Unpermitted parameter${choice:|s}: :${choice:admin|role|user_id|account_id|token}", 3, ""),
        S("redis_timeout", "ERROR", "Redis::TimeoutError: Connection timed out (redis://${choice:redis|cache.internal}:6379/${int:0..3})", 2, ""),
        S("completed_500", "INFO", "Completed 500 Internal Server Error in ${int:3..9000}ms (ActiveRecord: ${float:0..900/1}ms | Allocations: ${int:100..900000})", 4, ""),
        S("processing", "INFO", "Processing by ${rcontroller}#${raction} as ${choice:HTML|JSON|*/*}", 4, ""),
        S("job_failed", "ERROR", "Error performing ${choice:InvoiceMailerJob|SyncInventoryJob|WebhookDeliveryJob} (Job ID: ${uuid}) from Sidekiq(${choice:default|mailers|critical}) in ${float:1..9000/2}ms: ${choice:Net::ReadTimeout (Net::ReadTimeout)|Faraday::ConnectionFailed (Failed to open TCP connection to ${qname}:443 (getaddrinfo: Name or service not known))}", 3, ""),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{st.level[0]}, [{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d} #{self.pid}] {st.level:>5} -- : [{_uuid(rng, '', None)}] {message}"


class Envoy(Layout):
    """Envoy: ``[yyyy-mm-dd hh:mm:ss.mmm][tid][level][logger] [source/file.cc:line] msg``."""

    name = "envoy"
    statements = (
        S("upstream_reset", "WARN", "[source/common/router/router.cc:${int:600..700}] [C${int:1..99999}][S${int:1000000000000000000..9999999999999999999}] upstream reset: reset reason: ${choice:connection failure|connection termination|overflow|local reset}, transport failure reason: ${choice:delayed connect error: 111|TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED|}", 5, "router"),
        S("cluster_warming", "WARN", "[source/common/upstream/cds_api_helper.cc:${int:30..40}] gRPC config: initial fetch timed out for type.googleapis.com/envoy.config.cluster.v3.Cluster", 2, "config"),
        S("config_rejected", "WARN", "[source/extensions/config_subscription/grpc/grpc_subscription_impl.cc:${int:100..140}] gRPC config for type.googleapis.com/envoy.config.${choice:listener.v3.Listener|route.v3.RouteConfiguration} rejected: ${choice:Error adding/updating listener(s) 0.0.0.0_${port}: cannot bind '0.0.0.0:${port}': Address already in use|Unknown cluster '${cluster}'}", 3, "config"),
        S("health_check_fail", "WARN", "[source/common/upstream/health_checker_impl.cc:${int:300..400}] health check failed for host ${ipport} in cluster ${cluster}", 5, "hc"),
        S("stream_closed", "WARN", "[source/common/config/grpc_stream.h:${int:150..210}] StreamAggregatedResources gRPC config stream to ${choice:xds_cluster|istiod} closed since ${int:10..9000}s ago: ${int:1..16}, ${choice:connection error: desc = \"transport: Error while dialing dial tcp ${ipport}: connect: connection refused\"|upstream connect error or disconnect/reset before headers. reset reason: connection failure}", 4, "config"),
        S("tls_error", "ERROR", "[source/common/tls/ssl_socket.cc:${int:200..300}] [C${int:1..99999}] TLS error: ${int:268435000..268436000}:SSL routines:OPENSSL_internal:${choice:WRONG_VERSION_NUMBER|NO_SHARED_CIPHER|CERTIFICATE_VERIFY_FAILED|HTTP_REQUEST}", 3, "connection"),
        S("overflow", "WARN", "[source/common/upstream/conn_pool_base.cc:${int:100..200}] [C${int:1..99999}] ${choice:max connections|pending requests} overflow for cluster ${cluster}", 2, "pool"),
        S("cert_expiring", "WARN", "[source/common/secret/sds_api.cc:${int:100..200}] Certificate \"${choice:default|ROOTCA|file-cert:/etc/certs/cert-chain.pem}\" will expire in ${int:1..30} days", 1, "secret"),
        S("new_connection", "INFO", "[source/common/network/connection_impl.cc:${int:100..200}] [C${int:1..99999}] new connection from ${ipport}", 3, "conn_handler"),
        S("lds_update", "INFO", "[source/common/listener_manager/lds_api.cc:${int:70..90}] lds: add/update listener '${choice:0.0.0.0_${port}|virtualInbound|virtualOutbound}'", 2, "upstream"),
    )

    def line(self, rng, t, st, message, component, style):
        level = {"WARN": "warning", "ERROR": "error", "INFO": "info"}[st.level]
        return f"[{t:%Y-%m-%d %H:%M:%S}.{_milli(t)}][{rng.randint(10, 99)}][{level}][{component}] {message}"


class Gluster(Layout):
    """GlusterFS: ``[iso-ish.usec] L [MSGID: n] [file.c:line:function] 0-translator: msg``."""

    name = "gluster"
    letter = {"ERROR": "E", "WARN": "W", "INFO": "I", "CRITICAL": "C"}
    statements = (
        S("portmap", "ERROR", "[MSGID: 114058] [client-handshake.c:${int:1400..1500}:client_query_portmap_cbk] 0-${g=gvol}-client-${int:0..5}: failed to get the port number for remote subvolume. Please run 'gluster volume status' on server to see if brick process is running.", 5, ""),
        S("disconnected", "INFO", "[MSGID: 114018] [client.c:${int:2200..2300}:client_rpc_notify] 0-${gvol}-client-${int:0..5}: disconnected from ${gvol}-client-${int:0..5}. Client process will keep trying to connect to glusterd until brick's port is available", 4, ""),
        S("subvols_down", "ERROR", "[MSGID: 108006] [afr-common.c:${int:6000..6200}:__afr_handle_child_down_event] 0-${gvol}-replicate-${int:0..3}: All subvolumes are down. Going offline until at least one of them comes back up.", 3, ""),
        S("op_failed", "WARN", "[MSGID: 114031] [client-rpc-fops_v2.c:${int:2000..2900}:client4_0_${choice:lookup|open|writev|readv}_cbk] 0-${gvol}-client-${int:0..5}: remote operation failed. [{path=/${choice:home|data|vm}/${choice:images|shared|projects}/${hex:8}}, {gfid=${uuid}}, {errno=${int:2..116}}, {error=${text:gluster_err}}]", 6, ""),
        S("split_brain", "ERROR", "[MSGID: 108008] [afr-self-heal-common.c:${int:300..400}:afr_log_selfheal] 0-${gvol}-replicate-${int:0..3}: Gfid mismatch detected for <gfid:${uuid}>/${hex:8}>, ${uuid} on ${gvol}-client-${int:0..5} and ${uuid} on ${gvol}-client-${int:0..5}.", 2, ""),
        S("heal_failed", "WARN", "[MSGID: 108027] [afr-self-heald.c:${int:300..400}:afr_shd_index_sweep] 0-${gvol}-replicate-${int:0..3}: unable to get index-dir on ${gvol}-client-${int:0..5}", 2, ""),
        S("ping_timeout", "CRITICAL", "[rpc-clnt-ping.c:${int:150..220}:rpc_clnt_ping_timer_expired] 0-${gvol}-client-${int:0..5}: server ${ip}:${int:49152..49200} has not responded in the last 42 seconds, disconnecting.", 3, ""),
        S("connected", "INFO", "[MSGID: 114046] [client-handshake.c:${int:1100..1200}:client_setvolume_cbk] 0-${gvol}-client-${int:0..5}: Connected to ${gvol}-client-${int:0..5}, attached to remote volume '/bricks/${gvol}/brick${int:1..6}'.", 3, ""),
    )

    def line(self, rng, t, st, message, component, style):
        return f"[{t:%Y-%m-%d %H:%M:%S}.{t.microsecond:06d}] {self.letter[st.level]} {message}"


class Zabbix(Layout):
    """Zabbix server log: ``pid:yyyymmdd:hhmmss.mmm msg`` with no level in the line."""

    name = "zabbix"
    statements = (
        S("active_checks", "WARN", "cannot send list of active checks to \"${ip}\": host [${zhost}] not found", 6, ""),
        S("item_unsupported", "WARN", "item \"${zhost}:${zitem}\" became not supported: ${choice:Cannot obtain filesystem information: [2] No such file or directory|Unsupported item key.|Timeout while executing a shell script.}", 5, ""),
        S("agent_unreachable", "WARN", "Zabbix agent item \"${zitem}\" on host \"${zhost}\" failed: first network error, wait for ${int:5..60} seconds", 5, ""),
        S("agent_available", "INFO", "resuming Zabbix agent checks on host \"${zhost}\": connection restored", 3, ""),
        S("db_down", "ERROR", "[Z3001] connection to database '${choice:zabbix|zabbix_db}' failed: [${int:1000..2999}] ${choice:Can't connect to MySQL server on '${ip}' (111)|could not connect to server: Connection refused}", 2, ""),
        S("query_failed", "ERROR", "[Z3005] query failed: [${int:1000..1999}] ${choice:Deadlock found when trying to get lock; try restarting transaction|Lock wait timeout exceeded; try restarting transaction} [${choice:update items set lastlogsize=${int},mtime=0 where itemid=${int};|delete from history where itemid=${int} and clock<${int};}]", 2, ""),
        S("cache_full", "WARN", "${choice:history|trends|value} cache is full, ${choice:processing|flushing} may be delayed", 1, ""),
        S("slow_query", "WARN", "slow query: ${float:3..90/6} sec, \"${choice:select i.itemid from items i where i.hostid=${int};|update hosts set available=${int:0..2} where hostid=${int};}\"", 2, ""),
        S("trigger_expr", "ERROR", "cannot evaluate expression for trigger \"${choice:High CPU on ${zhost}|Disk full on ${zhost}}\": ${choice:item does not exist|division by zero}", 1, ""),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{self.pid:>6}:{t:%Y%m%d:%H%M%S}.{_milli(t)} {message}"


class Serilog(Layout):
    """Serilog file sink default template: ``yyyy-mm-dd hh:mm:ss.mmm +00:00 [ERR] msg``."""

    name = "serilog"
    code = {"ERROR": "ERR", "WARN": "WRN", "INFO": "INF", "FATAL": "FTL"}
    statements = (
        S("unhandled", "ERROR", "An unhandled exception has occurred while executing the request. ${exc}: ${choice:The operation has timed out.|Connection refused (${qname}:443)|Sequence contains no elements}", 5, ""),
        S("http_retry", "WARN", "Delaying for ${int:100..9000}ms, then making retry ${int:1..5}. ${exc}: ${choice:Response status code does not indicate success: 503 (Service Unavailable).|The SSL connection could not be established, see inner exception.}", 4, ""),
        S("db_failed", "ERROR", "Failed executing DbCommand (${int:1..30000}ms) [Parameters=[@__p_0='${int}'], CommandType='Text', CommandTimeout='30']", 4, ""),
        S("svc_failed", "ERROR", "${dotnetsvc} failed to process message ${uuid} from queue ${queue}", 4, ""),
        S("health_degraded", "WARN", "Health check ${choice:database|redis|rabbitmq|self} with status ${choice:Degraded|Unhealthy} completed after ${float:0..9000/4}ms with message '${choice:Timeout|Connection refused|(null)}'", 3, ""),
        S("slow_request", "WARN", "HTTP ${choice:GET|POST|PUT} ${route} responded ${choice:200|201|204} in ${float:1000..30000/4} ms", 3, ""),
        S("fatal_host", "FATAL", "Host terminated unexpectedly", 1, ""),
        S("request_done", "INFO", "HTTP ${choice:GET|POST} ${route} responded ${choice:200|404|302} in ${float:1..900/4} ms", 4, ""),
        S("config_missing", "WARN", "Configuration value '${choice:ConnectionStrings:Default|Smtp:Host|Auth:Authority}' is missing; using the default", 1, ""),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%Y-%m-%d %H:%M:%S}.{_milli(t)} +00:00 [{self.code[st.level]}] {message}"


class ZapConsole(Layout):
    """controller-runtime / zap console encoder: ``iso\\tLEVEL\\tcaller\\tmsg\\t{json fields}``."""

    name = "zap_console"
    statements = (
        S("reconciler_error", "ERROR", 'Reconciler error\t{"controller": "${k=choice:deployment|certificate|database}", "controllerGroup": "${choice:apps|cert-manager.io|db.example.com}", "controllerKind": "${kind}", "${kind}": {"name":"${kname}","namespace":"${kns}"}, "namespace": "${kns}", "name": "${kname}", "reconcileID": "${uuid}", "error": "${choice:Operation cannot be fulfilled on ${@k}s.apps \\"${kname}\\": the object has been modified; please apply your changes to the latest version and try again|failed to get secret ${kns}/${kname}-tls: secret \\"${kname}-tls\\" not found|context deadline exceeded}"}', 6, ""),
        S("webhook_failed", "ERROR", 'failed to call webhook\t{"webhook": "${choice:vdeployment.kb.io|mcertificate.cert-manager.io}", "error": "Post \\"https://webhook-service.${kns}.svc:443/validate\\": ${choice:context deadline exceeded|x509: certificate signed by unknown authority}"}', 3, ""),
        S("requeue", "INFO", 'requeuing\t{"controller": "${choice:deployment|database}", "after": "${int:1..300}s"}', 3, ""),
        S("leader_lost", "ERROR", 'problem running manager\t{"error": "leader election lost"}', 1, ""),
        S("status_update", "WARN", 'unable to update status\t{"${kind}": {"name":"${kname}","namespace":"${kns}"}, "error": "${choice:the server could not find the requested resource|etcdserver: request timed out}"}', 3, ""),
        S("watch_failed", "WARN", 'failed to watch\t{"kind": "${kind}", "error": "${choice:the server has asked for the client to provide credentials|Get \\"https://10.96.0.1:443/apis\\": dial tcp 10.96.0.1:443: i/o timeout}"}', 2, ""),
        S("starting_workers", "INFO", 'Starting workers\t{"controller": "${choice:deployment|certificate|database}", "worker count": ${int:1..8}}', 2, ""),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%Y-%m-%dT%H:%M:%S}.{_milli(t)}Z\t{st.level}\t{_zcaller(rng, '', None)}\t{message}"


class Supervisord(Layout):
    """supervisord.log: ``yyyy-mm-dd hh:mm:ss,mmm LEVL msg``."""

    name = "supervisord"
    statements = (
        S("exited_unexpected", "WARN", "exited: ${prog} (exit status ${int:1..255}; not expected)", 6, ""),
        S("exited_terminated", "WARN", "exited: ${prog} (terminated by SIG${choice:KILL|SEGV|ABRT}; not expected)", 3, ""),
        S("gave_up", "INFO", "gave up: ${prog} entered FATAL state, too many start retries too quickly", 3, ""),
        S("spawnerr", "INFO", "spawnerr: can't find command '${choice:/usr/local/bin/${prog}|gunicorn|celery}'", 2, ""),
        S("killing", "WARN", "killing '${prog}' (${int:100..99999}) with SIGKILL", 2, ""),
        S("crit_server", "CRIT", "Server '${choice:unix_http_server|inet_http_server}' running without any HTTP authentication checking", 1, ""),
        S("crit_root", "CRIT", "Supervisor is running as root.  Privileges were not dropped because no user is specified in the config file.  If you intend to run as root, you can set user=root in the config file to avoid this message.", 1, ""),
        S("spawned", "INFO", "spawned: '${prog}' with pid ${int:100..99999}", 5, ""),
        S("success", "INFO", "success: ${prog} entered RUNNING state, process has stayed up for > than ${choice:1|5|10} seconds (startsecs)", 4, ""),
        S("waiting", "INFO", "waiting for ${prog} to stop", 1, ""),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%Y-%m-%d %H:%M:%S},{_milli(t)} {st.level} {message}"


class Exim(Layout):
    """Exim mainlog: ``yyyy-mm-dd hh:mm:ss id flag address ...``; no level words (``**`` a
    bounce, ``==`` a deferral)."""

    name = "exim"
    statements = (
        S("bounce_unknown", "ERROR", "${eximid} ** ${e=email} R=dnslookup T=remote_smtp H=${mx} [${ip}]: SMTP error from remote mail server after RCPT TO:<${@e}>: 550 5.1.1 <${@e}>: Recipient address rejected: User unknown", 5, ""),
        S("defer_refused", "WARN", "${eximid} == ${email} R=dnslookup T=remote_smtp defer (${choice:111|110}): ${choice:Connection refused|Connection timed out} H=${mx} [${ip}]", 6, ""),
        S("retry_time", "WARN", "${eximid} == ${email} routing defer (-51): retry time not reached", 4, ""),
        S("rejected_rcpt", "WARN", "H=(${choice:User|localhost|${qname}}) [${ip}] F=<${email}> rejected RCPT <${email}>: ${choice:relay not permitted|Sender verify failed|rejected because ${ip} is in a black list at zen.spamhaus.org}", 5, ""),
        S("auth_failed", "WARN", "${choice:login|plain}_server authenticator failed for (${choice:User|ylmf-pc|${qname}}) [${ip}]: 535 Incorrect authentication data (set_id=${user})", 5, ""),
        S("frozen", "ERROR", "${eximid} Frozen (delivery error message)", 1, ""),
        S("spool_full", "ERROR", "${choice:failed to write to spool file|spool file is locked} ${eximid}-D: ${choice:No space left on device|Resource temporarily unavailable}", 1, ""),
        S("arrival", "INFO", "${eximid} <= ${email} H=${mx} [${ip}] P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S=${int:900..900000} id=${hex:16}@${domain}", 4, ""),
        S("completed", "INFO", "${eximid} Completed", 3, ""),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%Y-%m-%d %H:%M:%S} {message}"


class Asterisk(Layout):
    """Asterisk full log: ``[Mon dd hh:mm:ss] LEVEL[tid][C-xxxxxxxx] file.c: msg``."""

    name = "asterisk"
    statements = (
        S("retrans_timeout", "WARN", "chan_sip.c: Retransmission timeout reached on transmission ${hex:32}@${ip}:5060 for seqno ${int:1..999} (Critical Response) -- See https://wiki.asterisk.org/wiki/display/AST/SIP+Retransmissions\nPacket timed out after ${int:6000..64000}ms with no response", 5, ""),
        S("reg_failed", "WARN", "res_pjsip_outbound_registration.c: No response received from 'sip:${sippeer}.example.com' on registration attempt to 'sip:${sipuser}@${sippeer}.example.com', retrying in '${choice:60|30|10}'", 4, ""),
        S("auth_failed", "ERROR", "res_pjsip/pjsip_distributor.c: Request '${choice:REGISTER|INVITE}' from '\"${sipuser}\" <sip:${sipuser}@${ip}>' failed for '${ipport}' (callid: ${hex:22}) - ${choice:Failed to authenticate|No matching endpoint found}", 6, ""),
        S("no_extension", "WARN", "pbx.c: Channel 'PJSIP/${sippeer}-${hex:8}' sent to invalid extension but no invalid handler: context,exten,priority=${ctx},${int:100..9999999},1", 3, ""),
        S("rtp_timeout", "NOTICE", "res_pjsip_sdp_rtp.c: Disconnecting channel 'PJSIP/${sipuser}-${hex:8}' for lack of RTP activity in ${int:30..120} seconds", 3, ""),
        S("codec_mismatch", "WARN", "res_pjsip_session.c: ${sipuser}: Couldn't create session with incompatible codecs (${choice:ulaw|alaw|g722|opus})", 2, ""),
        S("dial_failed", "ERROR", "app_dial.c: Unable to create channel of type 'PJSIP' (cause ${choice:3|20|21|34} - ${choice:No route to destination|Subscriber absent|Call Rejected|Circuit/channel congestion})", 3, ""),
        S("executing", "VERBOSE", "pbx.c: Executing [${int:100..999}@${ctx}:${int:1..9}] Dial(\"PJSIP/${sipuser}-${hex:8}\", \"PJSIP/${int:100..999}@${sippeer},30\") in new stack", 4, ""),
    )
    levels = {"WARN": "WARNING", "ERROR": "ERROR", "NOTICE": "NOTICE", "VERBOSE": "VERBOSE"}

    def line(self, rng, t, st, message, component, style):
        message = message.split("\n")[0]
        cid = f"[C-{_hexdigits(rng, '8')}]" if rng.random() < 0.7 else ""
        return f"[{_bsd(t)}] {self.levels[st.level]}[{rng.randint(1000, 99999)}]{cid} {message}", message


class Pino(Layout):
    """Node.js pino JSON lines (numeric level: 40 warn, 50 error, 60 fatal, 30 info)."""

    name = "pino"
    json_message = True
    numbers = {"INFO": 30, "WARN": 40, "ERROR": 50, "FATAL": 60}
    statements = (
        S("request_errored", "ERROR", "request errored", 6, "err"),
        S("db_pool", "ERROR", "Connection terminated unexpectedly", 3, "err"),
        S("upstream_failed", "ERROR", "upstream ${choice:auth|inventory|payments} failed after ${int:1..5} attempts: ${nodeerr}", 4, "err"),
        S("validation", "WARN", "body/${choice:email|quantity|items/0/sku|address/zip} ${choice:must match format \"email\"|must be >= 1|must be string|must NOT have fewer than 5 characters}", 4, ""),
        S("rate_limited", "WARN", "Rate limit exceeded for ${choice:user|ip} ${choice:${email}|${ip}} on ${route}", 4, ""),
        S("slow_request", "WARN", "request took ${int:1000..30000}ms (limit 1000ms)", 3, ""),
        S("unhandled_rejection", "FATAL", "Unhandled promise rejection: ${nodeerr}", 1, "err"),
        S("request_completed", "INFO", "request completed", 6, ""),
        S("listening", "INFO", "Server listening at http://0.0.0.0:${choice:3000|8080}", 1, ""),
    )

    def line(self, rng, t, st, message, component, style):
        record = {"level": self.numbers[st.level], "time": int(t.timestamp() * 1000), "pid": self.pid,
                  "hostname": f"api-{_hexdigits(rng, '10', 'bcdfghjklmnpqrstvwxz2456789')[:5]}",
                  "reqId": f"req-{rng.randint(1, 9999):x}"}
        if st.id.startswith("request"):
            record["req"] = {"method": rng.choice(("GET", "POST")), "url": rng.choice(LISTS["route"])}
        record["msg"] = message
        if component == "err":
            record["err"] = {"type": "Error", "message": rng.choice(LISTS["nodeerr"]),
                             "stack": "Error: x\n    " + _jsstack(rng, "", None)}
        return json.dumps(record)


LAYOUTS: tuple[Layout, ...] = (
    Cassandra(), Postfix(), Lustre(), Nova(), JvmGc(), RabbitMQ(), MongoDB(), Named(), Ceph(), Squid(),
    Dovecot(), Prometheus(), Rails(), Envoy(), Gluster(), Zabbix(), Serilog(), ZapConsole(),
    Supervisord(), Exim(), Asterisk(), Pino(),
)

# Statements that differ only in constant text: each pair must get two templates (kind "text").
CONSTANT_TEXT_PAIRS = (
    ("postfix/bounced", "postfix/deferred", "text"),
    ("supervisord/exited_unexpected", "supervisord/exited_terminated", "text"),
    ("ceph/osd_down", "ceph/near_full", "text"),
    ("exim/defer_refused", "exim/retry_time", "text"),
    ("rabbitmq/auth_refused", "rabbitmq/vhost_access", "text"),
    ("lustre/conn_lost", "lustre/conn_restored", "text"),
    ("squid/max_fd", "squid/client_aborted", "text"),
)


def datasets() -> list[tuple[str, Layout, str]]:
    """(data set name, layout, style): one data set per layout style (the first style takes the
    layout's name: ``rabbitmq``, ``rabbitmq_312``)."""
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
        moment = datetime(2026, 11, 24 + index, rng.randint(0, 5), rng.randint(0, 59), rng.randint(0, 59),
                          rng.randint(0, 999999))
        layout.begin_file(rng, moment, index, style)
        share = lines // files + (1 if index < lines % files else 0)
        rows = []
        for _ in range(share):
            moment += timedelta(microseconds=rng.randint(1000, 9_000_000))
            st = rng.choices(layout.statements, weights)[0]
            env = {"_t": moment}
            message = render(rng, st.text, env)
            component = render(rng, st.component, env)
            made = layout.line(rng, moment, st, message, component, style)
            content, written = made if isinstance(made, tuple) else (made, message)
            assert "\n" not in content, (name, st.id)
            message_bytes = written.encode() if layout.json_message else written.strip().encode()
            if not layout.json_message:
                assert message_bytes in content.encode(), (name, st.id)
            rows.append(LabelledLine(content.encode(), f"{name}/{st.id}", LEVEL_CLASS[st.level],
                                     message_bytes))
        out.append(LogFile(name, f"{name}-{index + 1}.log", tuple(rows)))
    return out


def generate(seed: int = DEFAULT_SEED, lines_per_layout: int = DEFAULT_LINES_PER_LAYOUT,
             layouts: tuple[str, ...] | None = None) -> list[LogFile]:
    """Every data set's files (or only those named), deterministically from ``seed``."""
    return labelled_logs.generate_from(sys.modules[__name__], seed, lines_per_layout, layouts)


def lines_of(statement: str, count: int, seed: int = DEFAULT_SEED) -> list[LabelledLine]:
    """``count`` lines of one statement (``"data set/statement id"``), in its data set's layout."""
    return labelled_logs.lines_of_from(sys.modules[__name__], statement, count, seed)


def statement_ids() -> list[str]:
    return labelled_logs.statement_ids_from(sys.modules[__name__])


def main(argv: list[str] | None = None) -> int:
    return labelled_logs.main_from(sys.modules[__name__], argv)


if __name__ == "__main__":
    sys.exit(main())
