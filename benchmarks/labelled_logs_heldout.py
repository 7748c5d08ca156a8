# ruff: noqa: E501  (the statement tables below are long string literals)
"""A HELD-OUT labelled log test set for template mining: every line says which statement wrote it.

Same interface as benchmarks/labelled_logs.py (``Statement``, ``LabelledLine``, ``LogFile``,
``datasets()``, ``generate(seed, lines_per_layout)``, ``lines_of``, ``statement_ids``,
``CONSTANT_TEXT_PAIRS``, ``--out DIR``), but with its own layouts, statements and parameter
vocabulary, written from what real programs log and without looking at logcrunch's template,
format or stamp rules, so that nothing here is tuned to any method. logcrunch's rules were tuned
while looking at labelled_logs.py; this set is the one to quote figures on.

Deterministic (seeded ``random.Random``). A layout is a set of *statements* (the log calls of one
program), each with an id, a level as the program spells it and a text whose ``${type}`` /
``${type:arg}`` placeholders are filled with typed parameters. ``${name=type:arg}`` binds the
value to ``name`` and ``${@name}`` repeats it (a pod name in the message and in a field, a
container id given twice). A layout renders each message inside its own header; lines of a
file are drawn by statement weight, so they come interleaved.

Layouts: PostgreSQL server log (two ``log_line_prefix`` styles), MySQL 8.0 / 5.7 error log,
kubelet (structured klog), etcd (zap JSON), Elasticsearch (log4j2 plain), Kafka broker
(log4j), Redis, the systemd journal as text (``short`` / ``short-iso-precise``), HAProxy over
syslog, Tomcat catalina.out, Slurm slurmctld, Docker daemon (logrus text), Consul and Nomad
(hclog), Windows event log text exports (Event Viewer text and CSV), Jenkins, Airflow (task and
scheduler logs), nginx in a container (access and error log on one stream), sshd over rsyslog
with ISO stamps, and the kernel ring buffer (``dmesg`` / ``dmesg -T -x``).

What is in it on purpose, since real logs have it:

* free-text reasons as a parameter (strerror texts, Docker handler errors, Slurm RPC errors,
  Windows service errors, Java exceptions, Kubernetes ``err=`` values with nested quoting);
* variable-length parameters (SQL statements, Slurm node lists, Elasticsearch discovery lists,
  ATA SError flag sets, nameserver lists, Kafka ISR lists, optional key=value fields);
* enum words as parameters (``Cluster state changed: ok|fail``, bridge port states, probe
  types), unquoted multi-word values (Windows service display names, systemd unit
  descriptions), names without digits (users, tables, hosts) and with digits (nodes, pods);
* digits inside constant text (``MY-010055``, ``Error -1023``, ``TLS 1.2``, ``port 8005``);
* levels that disagree with the text (``INFO: task ... blocked`` at KERN_ERR, Slurm's
  ``Warning: Note very large processing time`` from ``info()``, the kernel's segfault line at
  KERN_INFO), journal and dmesg lines that show no level at all;
* statements that differ only in constant text, listed in CONSTANT_TEXT_PAIRS.

Usage::

    python benchmarks/labelled_logs_heldout.py --out DIR [--seed N] [--lines-per-layout N]

writes DIR/<data set>/<file>.log and DIR/labels.jsonl, as labelled_logs.py does.
"""

from __future__ import annotations

import json
import random
import re
import sys
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labelled_logs  # noqa: E402

DEFAULT_SEED = 73019
DEFAULT_LINES_PER_LAYOUT = 160

ERROR = "error"
WARN = "warn"
INFO = "info"

# A statement's level as the program spells it -> its class.
LEVEL_CLASS = {
    "PANIC": ERROR, "FATAL": ERROR, "EMERG": ERROR, "ALERT": ERROR, "CRIT": ERROR, "CRITICAL": ERROR,
    "SEVERE": ERROR, "ERROR": ERROR,
    "WARNING": WARN, "WARN": WARN,
    "NOTICE": INFO, "INFO": INFO, "LOG": INFO, "DEBUG": INFO,
}


@dataclass(frozen=True)
class Statement:
    id: str
    level: str  # as the program spells it: ERROR, WARNING, SEVERE, LOG, ...
    text: str  # with ${type}, ${type:arg}, ${name=type:arg} and ${@name} placeholders
    weight: float = 1.0
    component: str = ""  # logger / caller / source / program, may hold placeholders too


@dataclass(frozen=True)
class LabelledLine:
    content: bytes  # the line without its newline
    statement: str  # "data set/statement id"
    level: str  # error, warn or info (the statement's class)
    message: bytes  # the part the statement wrote, without the layout's header


@dataclass(frozen=True)
class LogFile:
    layout: str
    name: str
    lines: tuple[LabelledLine, ...]


# ---------------------------------------------------------------------------------------------
# Parameter vocabulary.

LISTS = {
    "user": ("app", "svc_reporting", "etl", "grafana", "readonly", "django", "keycloak", "airflow",
             "sonar", "metabase", "jdoe", "mkowalski", "priya", "anguyen", "backup", "postgres",
             "deploy", "ci", "ubuntu", "rails", "odoo", "analytics"),
    "sshuser": ("root", "admin", "ubuntu", "test", "oracle", "user", "git", "postgres", "ftpuser",
                "support", "pi", "ec2-user", "centos", "hadoop", "minecraft", "steam", "www-data",
                "guest", "ts3", "nagios", "123456", "admin1", "sysadmin", "odoo", "es", "vagrant"),
    "db": ("shop", "billing", "auth", "analytics", "inventory", "metabase", "keycloak", "orders_v2",
           "events", "crm", "wordpress", "gitlabhq_production"),
    "table": ("users", "orders", "order_items", "payments", "sessions", "invoices", "products",
              "audit_log", "customer_addresses", "shipments", "api_tokens", "events_2026_11",
              "line_items", "subscriptions"),
    "col": ("email", "user_id", "created_at", "status", "amount_cents", "sku", "tenant_id",
            "external_ref", "updated_at", "order_id", "customer_id", "currency"),
    "pgrel": ("users_old", "public.tmp_import", "analytics.daily_rollup", "pg_stat_statements",
              "users_archive", "orders_2025", "audit.events", "schema_migrations", "accounts"),
    "pgtoken": ("FROM", "WHERE", ")", ",", "SELECT", '"order"', "ON", "LIMIT", "'", "$1", "AND",
                "user", "="),
    "host": ("db-primary", "pg-replica", "cache", "auth", "backend", "gateway", "search",
             "ldap.corp.example.com", "mq.internal", "vault.service.consul", "mysql-primary",
             "billing-db.prod.internal"),
    "ns": ("default", "kube-system", "monitoring", "payments", "ingress-nginx", "argocd",
           "cert-manager", "staging", "data-platform", "istio-system"),
    "app": ("web", "api", "checkout", "worker", "prometheus-server", "coredns", "redis-cart",
            "keycloak", "frontend", "orders-consumer", "grafana", "fluent-bit"),
    "ctr": ("web", "api", "app", "worker", "istio-proxy", "prometheus", "coredns", "sidecar",
            "migrate", "nginx", "fluent-bit", "main"),
    "vol": ("data", "config", "tls-certs", "shared-cache", "uploads", "secrets-store", "scratch"),
    "topic": ("orders", "payments.v1", "clickstream", "user-events", "__consumer_offsets",
              "audit.log", "inventory-updates", "connect-offsets", "dlq.orders", "cdc.shop.users"),
    "cgroup": ("billing-service", "connect-s3-sink", "fraud-detector", "analytics-etl",
               "console-consumer-41233", "search-indexer", "notifications"),
    "svcname": ("Windows Update", "Print Spooler", "SQL Server (MSSQLSERVER)",
                "Background Intelligent Transfer Service", "Microsoft Defender Antivirus Service",
                "Remote Registry", "Citrix Desktop Service", "Apache Tomcat 9.0 Tomcat9",
                "Zabbix Agent 2", "VMware Tools", "Windows Search", "Datadog Agent",
                "SQL Server Agent (MSSQLSERVER)", "Veeam Backup Service"),
    "winexe": ("chrome.exe", "OUTLOOK.EXE", "svchost.exe", "sqlservr.exe", "w3wp.exe", "java.exe",
               "ms-teams.exe", "explorer.exe", "EXCEL.EXE", "Acrobat.exe"),
    "windll": ("ntdll.dll", "KERNELBASE.dll", "ucrtbase.dll", "clr.dll", "MSVCR120.dll",
               "mso20win32client.dll", "coreclr.dll", "jvm.dll"),
    "windomain": ("CORP", "AD", "EXAMPLE", "CONTOSO", "HQ"),
    "job": ("backend-ci", "frontend/main", "release-pipeline", "nightly-integration",
            "infra/terraform-plan", "docs-publish", "mobile-app/PR-1234", "deploy-prod",
            "data/etl-daily"),
    "agent": ("linux-agent-3", "windows-build-01", "docker-agent-7f3k2", "mac-mini-2",
              "ec2-fleet-i-0a1b2c3d4e5f6a7b8", "build-arm64", "k8s-agent-x9q2m"),
    "plugin": ("git", "workflow-cps", "blueocean", "kubernetes", "credentials-binding",
               "matrix-auth", "docker-workflow", "pipeline-stage-view"),
    "dag": ("daily_sales_rollup", "ingest_clickstream", "ml_feature_refresh", "s3_to_redshift",
            "dbt_run", "customer_360_export", "backfill_orders_v2", "gdpr_erasure"),
    "task": ("extract", "transform", "load_to_warehouse", "run_dbt_models", "wait_for_file",
             "notify_slack", "validate_schema", "spark_submit", "export_parquet"),
    "unit": ("nginx.service", "docker.service", "kubelet.service", "postgresql@14-main.service",
             "node_exporter.service", "containerd.service", "gunicorn.service", "snapd.service",
             "certbot.service", "apt-daily.service", "celery-worker@2.service", "redis-server.service",
             "elasticsearch.service", "php8.2-fpm.service"),
    "unitdesc": ("Gunicorn instance to serve myproject", "Prometheus Node Exporter",
                 "Let's Encrypt renewal", "Wait for Network to be Configured", "Remote File Systems",
                 "Kubernetes Kubelet", "Celery Service", "The PHP 8.2 FastCGI Process Manager",
                 "OpenVPN connection to office", "Elasticsearch"),
    "mountunit": ("mnt-backup.mount", "data.mount", "mnt-nfs\\x2dshare.mount", "var-lib-docker.mount",
                  "srv-media.mount"),
    "mountdesc": ("/mnt/backup", "/data", "/mnt/nfs-share", "/srv/media", "/var/lib/docker"),
    "sudocmd": ("/usr/bin/apt update", "/usr/bin/systemctl restart nginx", "/usr/bin/su -",
                "/usr/bin/docker ps -a", "/usr/bin/journalctl -u kubelet --since today",
                "/usr/bin/tail -f /var/log/syslog", "/bin/bash"),
    "comm": ("java", "python3", "node", "postgres", "chrome", "containerd-shim", "kworker/u16:2",
             "jbd2/sda1-8", "mysqld", "nginx", "rsync", "dockerd", "ffmpeg", "php-fpm8.2"),
    "lib": ("libc.so.6", "libstdc++.so.6.0.30", "libjvm.so", "node", "libpython3.11.so.1.0",
            "libssl.so.3", "libcrypto.so.3", "ld-linux-x86-64.so.2"),
    "iface": ("eth0", "ens5", "enp3s0", "eno1", "bond0", "wlp2s0", "ens192"),
    "part": ("sda1", "sdb1", "nvme0n1p2", "vdb1", "dm-0", "md127", "sdc", "nvme1n1"),
    "haback": ("be_web", "be_api", "be_static", "bk_app_servers", "be_grpc", "be_legacy"),
    "hafront": ("fe_https~", "fe_http", "fe_api~", "public"),
    "haserver": ("web1", "web2", "api-a", "api-b", "app-03", "static-1", "srv_legacy"),
    "slurmnode": ("cn0042", "gpu-a100-07", "node117", "bigmem02", "cn1123", "gpu-h100-01", "login1"),
    "partition": ("batch", "gpu", "debug", "long", "highmem", "preempt"),
    "nomadtask": ("web", "api", "redis", "postgres-exporter", "payments", "traefik", "worker",
                  "promtail"),
    "consulsvc": ("web", "api", "redis", "postgres", "payments", "traefik", "vault", "billing-worker"),
    "consulnode": ("consul-server-0", "consul-server-1", "ip-10-1-4-21", "worker-a", "nomad-client-3",
                   "edge-proxy"),
    "dc": ("dc1", "eu-west", "us-east-1", "fra1"),
    "esnode": ("es-hot-1", "es-hot-2", "es-warm-1", "es-master-0", "es-data-3", "elastic01"),
    "esindex": (".ds-logs-nginx.access-default-2026.11.27-000042", "filebeat-8.11.1-2026.11.27",
                "orders-v3", ".ds-metrics-system.cpu-default-2026.11.20-000007", "products_search",
                ".kibana_task_manager_8.11.1_001", "audit-2026.11"),
    "watch": ("cluster_health_watch", "disk-usage-alert", "X-9qzLQ1TYyD0v4m2ofTgw", "error_rate_5xx"),
    "webapp": ("ROOT", "api", "manager", "shop", "admin-portal", "reports#v2"),
    "ctxpath": ("", "/api", "/shop", "/admin-portal", "/reports/v2", "/manager"),
    "jcls": ("org.apache.logging.log4j.core.impl.ThreadContextDataInjector$1",
             "java.lang.ThreadLocal", "com.fasterxml.jackson.databind.util.LRUMap",
             "org.springframework.core.NamedThreadLocal", "io.netty.util.internal.InternalThreadLocalMap"),
    "zone": ("api_limit", "login", "perip", "req_zone_one", "search"),
    "server": ("localhost", "_", "shop.example.com", "api.example.com", "www.example.org",
               "grafana.internal"),
    "method": ("GET", "GET", "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"),
    "status": ("200", "200", "200", "200", "304", "301", "404", "404", "403", "499", "500", "502",
               "503", "204"),
    "ua": ('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
           'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
           'curl/8.5.0', 'kube-probe/1.29', 'Go-http-client/1.1', 'python-requests/2.31.0',
           'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', '-',
           'Prometheus/2.48.1'),
    "referer": ("-", "-", "-", "https://shop.example.com/", "https://www.google.com/",
                "https://shop.example.com/cart?step=2", "http://example.org/admin"),
    "image": ("registry.example.com/shop/checkout:1.14.2", "ghcr.io/acme/api:sha-4f2a9c1",
              "docker.io/library/redis:7.2-alpine", "nginx:1.25", "quay.io/prometheus/node-exporter:v1.7.0",
              "123456789012.dkr.ecr.eu-west-1.amazonaws.com/worker:v2.3.11", "busybox"),
    "airflowworker": ("airflow-worker-0.airflow-worker.airflow.svc.cluster.local", "worker-2",
                      "ip-10-4-7-12.ec2.internal"),
    "connid": ("aws_default", "postgres_dwh", "slack_alerts", "google_cloud_default", "snowflake_prod"),
    "plugintitle": ("Git plugin", "Pipeline: Groovy", "Kubernetes plugin", "Credentials Binding Plugin",
                    "Matrix Authorization Strategy Plugin", "Docker Pipeline"),
    "pluginver": ("5.2.1", "3894.3896.vca_2c931e7935", "4186.v1d804571d5d4", "657.v2b_19db_7d6e6d",
                  "1.33", "572.v950f58993843"),
    "periodicwork": ("Download metadata", "Periodic background build discarder", "Fingerprint cleanup",
                     "Workspace clean-up", "Telemetry collection", "Timer"),
    "nmstate": ("unavailable", "disconnected", "prepare", "config", "ip-config", "activated",
                "deactivating", "failed"),
    "aaprofile": ("snap.firefox.firefox", "/usr/sbin/cupsd", "docker-default", "cri-containerd.apparmor.d",
                  "/usr/bin/man", "rsyslogd"),
    "webappname": ("ROOT", "api", "shop", "admin-portal", "reports##v2"),
    "cname": ("web", "elated_morse", "gitlab-runner", "traefik", "prometheus", "db", "app_1"),
}

TEXTS = {
    "pgbadinput": ('""', '"abc"', '"N/A"', '"12,50"', '"2026-13-01"', '"not-a-uuid"', '"null"',
                   '" 42"', '"{1,2}"'),
    "slurmerr": ("Requested node configuration is not available",
                 "Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)",
                 "Invalid account or account/partition combination specified",
                 "Requested partition configuration not available now",
                 "Access/permission denied", "Invalid job array specification",
                 "Memory required by task is not available"),
    "docker_err": ("No such container: ${hex:12}",
                   "driver failed programming external connectivity on endpoint ${cname} (${hex:64}): Bind for 0.0.0.0:${port} failed: port is already allocated",
                   "Container ${hex:64} is not running",
                   "cannot join network of a non running container: ${hex:64}",
                   "error while creating mount source path '/srv/${cname}/data': mkdir /srv/${cname}: read-only file system",
                   "conflict: unable to delete ${hex:12} (must be forced) - image is being used by stopped container ${hex:12}"),
    "docker_health": ("context deadline exceeded",
                      'OCI runtime exec failed: exec failed: unable to start container process: exec: "curl": executable file not found in $PATH: unknown',
                      "container is not running"),
    "winsvcerr": ("The system cannot find the file specified.", "Access is denied.",
                  "The service did not respond to the start or control request in a timely fashion.",
                  "The account name is invalid or does not exist, or the password is invalid for the account name specified.",
                  "The dependency service or group failed to start.",
                  "%%1053"),
    "kbtitle": ("2026-11 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems (KB5046633)",
                "Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.421.${int:100..999}.0) - Current Channel (Broad)",
                "2026-11 Cumulative Update for .NET Framework 3.5, 4.8 and 4.8.1 for Windows 10 Version 22H2 for x64 (KB5046540)",
                "Windows Malicious Software Removal Tool x64 - v5.${int:120..130} (KB890830)"),
    "javaexc": ("java.lang.NullPointerException",
                "Request processing failed; nested exception is java.lang.IllegalStateException: No primary or single unique constructor found for interface java.util.List",
                "Request processing failed: org.springframework.dao.DataIntegrityViolationException: could not execute statement [ERROR: duplicate key value violates unique constraint \"uk_${table}_${col}\"]",
                "java.lang.OutOfMemoryError: Java heap space",
                'Request processing failed: org.springframework.web.client.ResourceAccessException: I/O error on GET request for "http://inventory:8080/api/stock/${int}": Read timed out',
                "org.hibernate.LazyInitializationException: could not initialize proxy [com.example.shop.Order#${int}] - no Session"),
    "jthread": ("pool-${int:1..9}-thread-${int:1..40}", "Abandoned connection cleanup thread",
                "HikariPool-1 housekeeper", "mysql-cj-abandoned-connection-cleanup", "Timer-${int:0..5}",
                "lettuce-eventExecutorLoop-1-${int:1..8}", "OkHttp ConnectionPool"),
    "kubelet_sync_err": (
        'failed to \\"StartContainer\\" for \\"${c=ctr}\\" with CrashLoopBackOff: \\"back-off ${choice:10s|20s|40s|1m20s|2m40s|5m0s} restarting failed container=${@c} pod=${@p}_${@n}(${@u})\\"',
        'failed to \\"StartContainer\\" for \\"${ctr}\\" with ImagePullBackOff: \\"Back-off pulling image \\\\\\"${image}\\\\\\"\\"',
        'failed to \\"StartContainer\\" for \\"${ctr}\\" with CreateContainerConfigError: \\"secret \\\\\\"${app}-env\\\\\\" not found\\"',
        'failed to \\"KillPodSandbox\\" for \\"${@u}\\" with KillPodSandboxError: \\"rpc error: code = Unknown desc = failed to destroy network for sandbox \\\\\\"${hex:64}\\\\\\": plugin type=\\\\\\"calico\\\\\\" failed (delete): error getting ClusterInformation: connection is unauthorized: Unauthorized\\"',
        'failed to \\"CreatePodSandbox\\" for \\"${@p}_${@n}(${@u})\\" with CreatePodSandboxError: \\"Failed to create sandbox for pod \\\\\\"${@p}_${@n}(${@u})\\\\\\": rpc error: code = DeadlineExceeded desc = context deadline exceeded\\"'),
    "probe_output": ('Get \\"http://${ip}:${port}/healthz\\": dial tcp ${ip}:${port}: connect: connection refused',
                     'Get \\"http://${ip}:8080/ready\\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
                     'HTTP probe failed with statuscode: ${choice:500|503|404}',
                     'command timed out', ''),
    "lease_err": ('dial tcp ${ip}:6443: connect: connection refused', 'context deadline exceeded',
                  'net/http: request canceled (Client.Timeout exceeded while awaiting headers)',
                  'http2: client connection lost'),
    "rebalance_reason": ("Adding new member ${consumer} with group instance id None; client reason: rebalance failed due to MemberIdRequiredException",
                         "removing member ${consumer} on heartbeat expiration",
                         "Leader ${consumer} re-joining group during Stable; client reason: need to revoke partitions and re-join",
                         "Updating metadata for member ${consumer} during Stable; client reason: triggered followup rebalance scheduled for 0"),
    "ha_reason": ('Layer4 connection problem, info: "Connection refused"', "Layer4 timeout",
                  'Layer7 wrong status, code: 503, info: "Service Unavailable"',
                  'Layer6 invalid response, info: "SSL handshake failure"',
                  'Layer7 timeout'),
    "airflow_reason": ("Task received SIGTERM signal",
                       "(psycopg2.OperationalError) connection to server at \"${host}\" (${ip}), port 5432 failed: Connection refused",
                       "'NoneType' object has no attribute 'get'",
                       "Bash command failed. The command returned a non-zero exit code 1.",
                       "403 Client Error: Forbidden for url: https://api.example.com/v2/export?since=${int}"),
    "airflow_deprec": ("The `airflow.operators.python_operator.PythonOperator` class is deprecated. Please use `'airflow.operators.python.PythonOperator'`.",
                       "Param `schedule_interval` is deprecated and will be removed in a future release. Please use `schedule` instead.",
                       "Accessing 'execution_date' from the template is deprecated and will be removed in a future version. Please use 'data_interval_start' or 'logical_date' instead.",
                       "This module is deprecated. Please use `airflow.providers.amazon.aws.hooks.s3`."),
    "ufw": ("IN=${iface} OUT= MAC=${mac} SRC=${ip} DST=${ip} LEN=${int:40..60} TOS=0x00 PREC=0x00 TTL=${int:30..250} ID=${int:0..65535}${choice:| DF} PROTO=TCP SPT=${port} DPT=${choice:22|23|445|3389|5900|8080|6379|2375} WINDOW=${int:1024..65535} RES=0x00 SYN URGP=0",
            "IN=${iface} OUT= MAC=${mac} SRC=${ip} DST=${ip} LEN=${int:28..512} TOS=0x00 PREC=0x00 TTL=${int:30..250} ID=${int:0..65535} PROTO=UDP SPT=${port} DPT=${choice:53|123|161|1900|5353|11211} LEN=${int:8..492}",
            "IN=${iface} OUT= MAC=${mac} SRC=${ip} DST=${ip} LEN=${int:28..84} TOS=0x00 PREC=0x00 TTL=${int:30..250} ID=${int:0..65535} PROTO=ICMP TYPE=8 CODE=0 ID=${int:1..65535} SEQ=${int:1..9}"),
}


def _pick(values):
    return lambda rng, arg, env: rng.choice(values)


def _int(rng, arg, env):
    if arg:
        lo, hi = (int(x) for x in arg.split(".."))
        return str(rng.randint(lo, hi))
    return str(int(10 ** rng.uniform(0, 6)))


def _float(rng, arg, env):  # "lo..hi/digits", "/digits" or ""
    span, _, digits = arg.partition("/")
    lo, hi = (float(x) for x in span.split("..")) if span else (0.0, 1000.0)
    return f"{rng.uniform(lo, hi):.{int(digits or 3)}f}"


def _hexdigits(rng, arg, alphabet="0123456789abcdef"):
    n = rng.randint(*(int(x) for x in arg.split(".."))) if ".." in arg else int(arg or 8)
    return "".join(rng.choice(alphabet) for _ in range(n))


def _ip(rng, arg="", env=None):
    r = rng.random()
    if r < 0.35:
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if r < 0.5:
        return f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if r < 0.6:
        return f"192.168.{rng.randint(0, 20)}.{rng.randint(1, 254)}"
    first = rng.choice([n for n in range(1, 224) if n not in (10, 127, 172, 192)])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _client_ip(rng, arg, env):
    if rng.random() < 0.1:
        return "2a02:" + ":".join(f"{rng.randint(0, 65535):x}" for _ in range(7))
    return _ip(rng)


K8S_ALNUM = "bcdfghjklmnpqrstvwxz2456789"


def _pod(rng, arg, env):
    app = rng.choice(LISTS["app"])
    kind = rng.random()
    if kind < 0.6:
        return f"{app}-{_hexdigits(rng, '9..10', K8S_ALNUM)}-{_hexdigits(rng, '5', K8S_ALNUM)}"
    if kind < 0.8:
        return f"{app}-{rng.randint(0, 4)}"
    return f"{app}-{_hexdigits(rng, '5', K8S_ALNUM)}"


def _node(rng, arg, env):
    return rng.choice((
        f"ip-10-0-{rng.randint(0, 255)}-{rng.randint(1, 254)}.eu-west-1.compute.internal",
        f"gke-prod-default-pool-{_hexdigits(rng, '8')}-{_hexdigits(rng, '4', K8S_ALNUM)}",
        f"aks-nodepool1-{rng.randint(10**7, 10**8 - 1)}-vmss{rng.randint(0, 30):06d}",
        f"worker-{rng.randint(1, 30)}", f"k8s-node-{rng.randint(1, 12):02d}",
    ))


def _godur(rng, arg, env):
    kind = rng.random()
    if kind < 0.45:
        return f"{rng.uniform(100, 999):.{rng.randint(3, 6)}f}ms"
    if kind < 0.8:
        return f"{rng.uniform(1, 30):.{rng.randint(3, 9)}f}s"
    if kind < 0.9:
        return f"{rng.randint(1, 9)}m{rng.uniform(0, 59):.3f}s"
    return f"{rng.uniform(1, 999):.1f}µs"


def _esdur(rng, arg, env):
    kind = rng.random()
    if kind < 0.5:
        return f"{rng.randint(1, 999)}ms"
    if kind < 0.85:
        return f"{rng.uniform(1, 59):.1f}s"
    return f"{rng.uniform(1, 9):.1f}m"


def _size(rng, arg, env):
    unit = rng.choice(("gb", "gb", "mb", "tb", "kb"))
    return f"{rng.uniform(0.1, 999):.1f}{unit}" if rng.random() < 0.8 else f"{rng.randint(1, 999)}{unit}"


def _sql(rng, arg, env):
    t, c = rng.choice(LISTS["table"]), rng.choice(LISTS["col"])
    cols = rng.choice(("*", "id", f"id, {c}", f"id, {c}, created_at, updated_at", "count(*)"))
    kind = rng.randint(0, 7)
    if kind == 0:
        return f"SELECT {cols} FROM {t} WHERE {c} = $1"
    if kind == 1:
        return f"SELECT {cols} FROM {t} WHERE {c} = {rng.randint(1, 999999)} ORDER BY created_at DESC LIMIT {rng.choice((10, 50, 100))}"
    if kind == 2:
        n = rng.randint(2, 5)
        names = ", ".join(rng.sample(LISTS["col"], n))
        return f"INSERT INTO {t} ({names}) VALUES ({', '.join(f'${i + 1}' for i in range(n))})"
    if kind == 3:
        return f"UPDATE {t} SET {c} = $1, updated_at = now() WHERE id = $2"
    if kind == 4:
        return f"DELETE FROM {t} WHERE created_at < now() - interval '{rng.choice((7, 30, 90))} days'"
    if kind == 5:
        return f"SELECT {cols} FROM {t} t JOIN users u ON u.id = t.user_id WHERE u.email = '{rng.choice(LISTS['user'])}@example.com'"
    if kind == 6:
        return "COMMIT"
    return f"SELECT {cols} FROM {t} WHERE id IN ({', '.join(str(rng.randint(1, 99999)) for _ in range(rng.randint(1, 6)))})"


def _pgkey(rng, arg, env):
    t, c = rng.choice(LISTS["table"]), rng.choice(LISTS["col"])
    return rng.choice((f"{t}_pkey", f"{t}_{c}_key", f"uq_{t}_{c}", f"index_{t}_on_{c}"))


def _nodelist(rng, arg, env):
    kind = rng.random()
    if kind < 0.35:
        return rng.choice(LISTS["slurmnode"])
    if kind < 0.8:
        start = rng.randint(1, 400)
        parts = []
        for _ in range(rng.randint(1, 3)):
            end = start + rng.randint(0, 6)
            parts.append(f"{start:04d}" if end == start else f"{start:04d}-{end:04d}")
            start = end + rng.randint(2, 30)
        return f"cn[{','.join(parts)}]"
    return ",".join(rng.sample(LISTS["slurmnode"], rng.randint(2, 3)))


def _jobid(rng, arg, env):
    base = rng.randint(100000, 9999999)
    if rng.random() < 0.15:
        task = rng.randint(0, 99)
        return f"{base}_{task}({base + task + 1})"
    return str(base)


def _consumer(rng, arg, env):
    return rng.choice((f"consumer-{rng.choice(LISTS['cgroup'])}-{rng.randint(1, 9)}",
                       "rdkafka", f"sarama-{rng.randint(1, 99)}")) + "-" + _uuid(rng, "", env)


def _uuid(rng, arg, env):
    return "-".join(_hexdigits(rng, str(n)) for n in (8, 4, 4, 4, 12))


def _isr(rng, arg, env):
    brokers = sorted(rng.sample(range(1, 7), rng.randint(1, 4)))
    return ",".join(str(b) for b in brokers)


def _consulcheck(rng, arg, env):
    svc = rng.choice(LISTS["consulsvc"])
    return rng.choice((f"service:{svc}-{rng.randint(1, 9)}", f"service:{svc}", "serfHealth",
                       f"_nomad-check-{_hexdigits(rng, '40')}", f"service:_nomad-task-{_uuid(rng, '', env)}-group-{svc}-{svc}-http"))


def _b64(rng, arg, env, alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"):
    return _hexdigits(rng, arg or "22", alphabet)


def _clf(rng, arg, env):
    t = env["_t"]
    return f"{t:%d/%b/%Y:%H:%M:%S} +0000"


def _hadate(rng, arg, env):
    t = env["_t"] - timedelta(milliseconds=rng.randint(0, 3000))
    return f"{t:%d/%b/%Y:%H:%M:%S}.{t.microsecond // 1000:03d}"


def _hhmmssms(rng, arg, env):
    t = env["_t"] - timedelta(microseconds=rng.randint(1_000_000, 30_000_000))
    return f"{t:%H:%M:%S}.{t.microsecond // 1000:03d}"


def _epoch(rng, arg, env):
    t = env["_t"]
    return f"{int((t - datetime(1970, 1, 1)).total_seconds())}.{rng.randint(0, 9999):04d}"


def _airts(rng, arg, env):
    t = env["_t"] - timedelta(minutes=rng.randint(0, 600))
    return f"{t:%Y%m%dT%H%M%S}"


def _airiso(rng, arg, env):
    t = env["_t"] - timedelta(minutes=rng.randint(0, 600))
    return f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond:06d}+00:00" if rng.random() < 0.5 else f"{t:%Y-%m-%d %H:00:00}+00:00"


def _runid(rng, arg, env):
    t = env["_t"]
    if rng.random() < 0.75:
        return f"scheduled__{t:%Y-%m-%dT%H:00:00}+00:00"
    return f"manual__{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}+00:00"


def _wintime(rng, arg, env):
    t = env["_t"] - timedelta(minutes=rng.randint(3, 3000))
    hour = t.hour % 12 or 12
    return f"{hour}:{t:%M:%S} {'AM' if t.hour < 12 else 'PM'}"


def _windate(rng, arg, env):
    t = env["_t"] - timedelta(days=rng.randint(0, 2))
    return f"\u200e{t.month}/\u200e{t.day}/\u200e{t.year}"  # left-to-right marks, as exported


def _upath(rng, arg, env):
    return rng.choice((
        f"/api/v1/users/{rng.randint(1, 99999)}", f"/api/v2/orders/{rng.randint(1, 9999)}/items",
        "/login", "/checkout", f"/static/js/main.{_hexdigits(rng, '8')}.js", f"/search?q={rng.choice(LISTS['app'])}&page={rng.randint(1, 9)}",
        "/healthz", f"/images/products/{rng.randint(100, 9999)}.webp", "/", "/wp-login.php",
        "/.env", "/graphql", f"/api/v1/carts/{_uuid(rng, '', env)}", "/favicon.ico",
        "/metrics", f"/download/report-{rng.randint(2020, 2026)}-{rng.randint(1, 12):02d}.pdf"))


def _staticpath(rng, arg, env):
    return rng.choice(("/favicon.ico", "/robots.txt", "/apple-touch-icon.png", "/.env", "/wp-login.php",
                       f"/static/css/app.{_hexdigits(rng, '8')}.css", "/.git/config", "/admin/config.php",
                       f"/images/banner-{rng.randint(1, 40)}.jpg", "/sitemap.xml"))


def _int10(rng, arg, env):
    return f"{rng.randint(1, 99999):010d}"


def _proxytemp(rng, arg, env):
    digits = f"{rng.randint(1, 9999999):010d}"
    return f"/var/cache/nginx/proxy_temp/{digits[-1]}/{digits[-3:-1]}/{digits}"


def _serror(rng, arg, env):
    flags = ("RecovComm", "UnrecovData", "PHYRdyChg", "CommWake", "10B8B", "Dispar", "BadCRC",
             "Handshk", "LinkSeq", "DevExch")
    return " ".join(rng.sample(flags, rng.randint(1, 4)))


def _mac(rng, arg, env):
    return ":".join(f"{rng.randint(0, 255):02x}" for _ in range(14))  # iptables MAC= is dst:src:type


def _esnodes(rng, arg, env):
    return ", ".join(
        f"{{{rng.choice(LISTS['esnode'])}}}{{{_b64(rng, '22', env)}}}{{{_b64(rng, '22', env)}}}{{{_ip(rng)}}}{{{_ip(rng)}:9300}}{{{rng.choice(('cdfhilmrstw', 'm', 'dim', 'hs'))}}}"
        for _ in range(rng.randint(1, 3)))


def _seedhosts(rng, arg, env):
    return ", ".join(f"{_ip(rng)}:9300" for _ in range(rng.randint(1, 4)))


def _kafkahost(rng, arg, env):
    n = rng.randint(0, 5)
    return rng.choice((f"kafka-{n}.kafka-headless.kafka.svc.cluster.local", f"broker{n}.example.internal",
                       f"b-{n}.msk-prod.abc123.c2.kafka.eu-west-1.amazonaws.com"))


def _winpath(rng, arg, env):
    exe = env.get("e", rng.choice(LISTS["winexe"]))
    return rng.choice((f"C:\\Program Files\\Google\\Chrome\\Application\\{exe}",
                       f"C:\\Windows\\System32\\{exe}",
                       f"C:\\Program Files (x86)\\Microsoft Office\\root\\Office16\\{exe}",
                       f"C:\\Program Files\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\MSSQL\\Binn\\{exe}"))


def _winver(rng, arg, env):
    return ".".join(str(rng.randint(0, n)) for n in (131, 9, 26100, 2500))


def _excess(rng, arg, env):
    return f"{rng.randint(0, 99)}.{rng.randint(0, 999):03d}"


def _jenkinsms(rng, arg, env):
    return f"{rng.randint(1, 250000):,}"


def _airflowpath(rng, arg, env):
    return rng.choice(("/home/airflow/.local/lib/python3.11/site-packages/airflow/models/baseoperator.py",
                       "/opt/airflow/dags/${dag}.py",
                       "/home/airflow/.local/lib/python3.11/site-packages/airflow/providers/amazon/aws/hooks/s3.py",
                       "/usr/local/lib/python3.11/site-packages/airflow/utils/context.py"))


def _aapath(rng, arg, env):
    return rng.choice(("/proc/${int:1..99999}/cgroup", "/etc/ssl/openssl.cnf", "/run/systemd/userdb/",
                       "/sys/fs/cgroup/user.slice/user-1000.slice/cpu.max", "/home/${user}/.config/dconf/user",
                       "/usr/share/zoneinfo-icu/44/le/zoneinfo64.res"))


def _jenkinsurl(rng, arg, env):
    return rng.choice(("job/${job}/build", "job/${job}/buildWithParameters", "scriptText",
                       "credentials/store/system/domain/_/createCredentials", "manage/pluginManager/install",
                       "job/${job}/${int:1..9000}/stop"))


PARAMS = {name: _pick(values) for name, values in LISTS.items()}
PARAMS.update({
    "int": _int,
    "float": _float,
    "ip": _ip,
    "cip": _client_ip,
    "port": lambda rng, arg, env: str(rng.randint(1024, 65535)),
    "ipport": lambda rng, arg, env: f"{_ip(rng)}:{rng.randint(1024, 65535)}",
    "hex": lambda rng, arg, env: _hexdigits(rng, arg),
    "HEX": lambda rng, arg, env: _hexdigits(rng, arg).upper(),
    "uuid": _uuid,
    "UUID": lambda rng, arg, env: _uuid(rng, arg, env).upper(),
    "b64": _b64,
    "b64u": lambda rng, arg, env: _b64(rng, arg, env, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
    "k5": lambda rng, arg, env: _hexdigits(rng, "5", K8S_ALNUM),
    "mac": _mac,
    "choice": lambda rng, arg, env: rng.choice(arg.split("|")),
    "text": lambda rng, arg, env: rng.choice(TEXTS[arg]),
    "pod": _pod,
    "node": _node,
    "godur": _godur,
    "esdur": _esdur,
    "size": _size,
    "pct": lambda rng, arg, env: f"{rng.uniform(0.1, 14.9):.1f}",
    "sql": _sql,
    "pgkey": _pgkey,
    "nodelist": _nodelist,
    "jobid": _jobid,
    "broker": lambda rng, arg, env: str(rng.randint(1, 6)),
    "consumer": _consumer,
    "isr": _isr,
    "offset20": lambda rng, arg, env: f"{rng.randint(0, 10**9):020d}",
    "kafkahost": _kafkahost,
    "consulcheck": _consulcheck,
    "clf": _clf,
    "hadate": _hadate,
    "hhmmssms": _hhmmssms,
    "epoch": _epoch,
    "airts": _airts,
    "airiso": _airiso,
    "runid": _runid,
    "wintime": _wintime,
    "windate": _windate,
    "winpath": _winpath,
    "winver": _winver,
    "upath": _upath,
    "staticpath": _staticpath,
    "int10": _int10,
    "proxytemp": _proxytemp,
    "serror": _serror,
    "esnodes": _esnodes,
    "seedhosts": _seedhosts,
    "excess": _excess,
    "jenkinsms": _jenkinsms,
    "airflowpath": _airflowpath,
    "aapath": _aapath,
    "jenkinsurl": _jenkinsurl,
})

# ${kind}, ${kind:arg}, ${name=kind:arg}; ${@name} repeats a bound value. Innermost first: an
# argument holds no "$", "{" or "}", so a choice whose options hold placeholders waits for them.
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


def _ms(t: datetime) -> str:
    return f"{t.microsecond // 1000:03d}"


def _bsd_stamp(t: datetime) -> str:
    return f"{t:%b} {t.day:2d} {t:%H:%M:%S}"


def _logfmt_value(value: str) -> str:
    if value and not re.search(r'[\s="\\]', value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'


class Layout:
    name = ""
    styles: tuple[str, ...] = ("",)  # one data set per style
    statements: tuple[Statement, ...] = ()
    json_message = False  # the message is a JSON string field: not a substring of the line

    def begin_file(self, rng: random.Random, start: datetime, index: int, style: str) -> None:
        """Per-file state (pids, host names); called before a file's first line."""

    def line(self, rng: random.Random, t: datetime, st: Statement, message: str, component: str,
             style: str) -> str | tuple[str, str]:
        """The line, or (line, the message as it stands in the line) when the layout escapes it."""
        raise NotImplementedError


class Postgres(Layout):
    """PostgreSQL server log, ``log_line_prefix = '%m [%p] '`` or ``'%m [%p] %q%u@%d '`` (a data
    set each; background processes print no user@db). Component "s": a session, "b": background."""

    name = "postgres"
    styles = ("plain", "user_db")
    statements = (
        S("unique_violation", "ERROR", 'duplicate key value violates unique constraint "${pgkey}"', 9, "s"),
        S("relation_missing", "ERROR", 'relation "${pgrel}" does not exist at character ${int:15..400}', 5, "s"),
        S("column_missing", "ERROR", 'column "${col}" does not exist at character ${int:8..300}', 4, "s"),
        S("cancel_timeout", "ERROR", "canceling statement due to statement timeout", 5, "s"),
        S("cancel_user", "ERROR", "canceling statement due to user request", 2, "s"),
        S("deadlock", "ERROR", "deadlock detected", 2, "s"),
        S("serialization", "ERROR", "could not serialize access due to concurrent update", 3, "s"),
        S("not_null", "ERROR", 'null value in column "${col}" of relation "${table}" violates not-null constraint', 3, "s"),
        S("fk_violation", "ERROR", 'insert or update on table "${t=table}" violates foreign key constraint "${@t}_${col}_fkey"', 3, "s"),
        S("syntax_error", "ERROR", 'syntax error at or near "${pgtoken}" at character ${int:1..900}', 3, "s"),
        S("invalid_input", "ERROR", "invalid input syntax for type ${choice:integer|uuid|bigint|numeric|timestamp with time zone}: ${text:pgbadinput}", 3, "s"),
        S("varchar_too_long", "ERROR", "value too long for type character varying(${choice:32|64|100|255|1024})", 2, "s"),
        S("permission_table", "ERROR", "permission denied for table ${table}", 2, "s"),
        S("disk_full", "ERROR", 'could not extend file "base/${int:16384..99999}/${int:16384..2999999}${choice:|.1|.2}": No space left on device', 1, "s"),
        S("password_failed", "FATAL", 'password authentication failed for user "${user}"', 5, "s"),
        S("no_hba", "FATAL", 'no pg_hba.conf entry for host "${ip}", user "${user}", database "${db}", ${choice:SSL off|SSL on|no encryption}', 3, "s"),
        S("db_missing", "FATAL", 'database "${db}" does not exist', 2, "s"),
        S("slots_reserved", "FATAL", "remaining connection slots are reserved for non-replication superuser connections", 2, "s"),
        S("admin_terminate", "FATAL", "terminating connection due to administrator command", 1, "s"),
        S("no_transaction", "WARNING", "there is no transaction in progress", 2, "s"),
        S("wraparound", "WARNING", 'database "${db}" must be vacuumed within ${int:1000000..99999999} transactions', 1, "b"),
        S("checkpoints_often", "LOG", "checkpoints are occurring too frequently (${int:5..29} seconds apart)", 1, "b"),
        S("checkpoint_complete", "LOG", "checkpoint complete: wrote ${int:1..90000} buffers (${float:0..99/1}%); 0 WAL file(s) added, ${int:0..40} removed, ${int:0..40} recycled; write=${float:0..300/3} s, sync=${float:0..5/3} s, total=${float:0..300/3} s; sync files=${int:0..400}, longest=${float:0..2/3} s, average=${float:0..1/3} s; distance=${int:0..900000} kB, estimate=${int:0..900000} kB", 2, "b"),
        S("slow_statement", "LOG", "duration: ${float:200..90000/3} ms  statement: ${sql}", 4, "s"),
        S("conn_received", "LOG", "connection received: host=${ip} port=${port}", 2, "s"),
    )

    def begin_file(self, rng, start, index, style):
        self.pids = [rng.randint(1000, 400000) for _ in range(16)]
        self.bg_pid = rng.randint(30, 999)

    def line(self, rng, t, st, message, component, style):
        pid = self.bg_pid if component == "b" else rng.choice(self.pids)
        who = f"{rng.choice(LISTS['user'])}@{rng.choice(LISTS['db'])} " if style == "user_db" and component == "s" else ""
        return f"{t:%Y-%m-%d %H:%M:%S}.{_ms(t)} UTC [{pid}] {who}{st.level}:  {message}"


class MySQL(Layout):
    """MySQL error log: 8.0 (``[Warning] [MY-010055] [Server]``) or 5.7 (``[Warning]``, InnoDB
    messages prefixed ``InnoDB: ``). Component: error code | subsystem | thread (0 or a
    connection)."""

    name = "mysql"
    styles = ("8.0", "5.7")
    level_word = {"ERROR": "ERROR", "WARNING": "Warning", "INFO": "Note", "NOTICE": "System"}
    statements = (
        S("ip_unresolved", "WARNING", "IP address '${ip}' could not be resolved: ${choice:Name or service not known|Temporary failure in name resolution}", 6, "MY-010055|Server|c"),
        S("access_denied", "INFO", "Access denied for user '${sshuser}'@'${ip}' (using password: ${choice:YES|NO})", 4, "MY-010926|Server|c"),
        S("aborted_reading", "INFO", "Aborted connection ${int:1000..999999} to db: '${db}' user: '${user}' host: '${ip}' (Got an error reading communication packets).", 4, "MY-010914|Server|c"),
        S("aborted_timeout", "INFO", "Aborted connection ${int:1000..999999} to db: '${db}' user: '${user}' host: '${ip}' (Got timeout reading communication packets).", 2, "MY-010914|Server|c"),
        S("repl_dup_entry", "ERROR", "Slave SQL for channel '': Worker ${int:1..8} failed executing transaction 'ANONYMOUS' at master log mysql-bin.${int:100000..100999}, end_log_pos ${int}; Could not execute Write_rows event on table ${d=db}.${t=table}; Duplicate entry '${int}' for key '${@t}.PRIMARY', Error_code: 1062; handler error HA_ERR_FOUND_DUPP_KEY; the event's master log mysql-bin.${int:100000..100999}, end_log_pos ${int}, Error_code: MY-001062", 2, "MY-010584|Repl|c"),
        S("repl_io_error", "ERROR", "Slave I/O for channel '': error connecting to master 'repl@${host}:3306' - retry-time: 60 retries: ${int:1..86400} message: Can't connect to MySQL server on '${host}:3306' (111), Error_code: MY-002003", 3, "MY-010584|Repl|c"),
        S("os_error_28", "ERROR", "Operating system error number 28 in a file operation.", 1, "MY-012592|InnoDB|0"),
        S("lock_ibdata", "ERROR", "Unable to lock ./ibdata1 error: 11", 1, "MY-012574|InnoDB|0"),
        S("table_full", "ERROR", "The table '/tmp/#sql${hex:4}_${hex:2}_${int:0..9}' is full!", 2, "MY-013132|Server|c"),
        S("self_signed", "WARNING", "CA certificate ca.pem is self signed.", 1, "MY-010068|Server|0"),
        S("native_pwd_deprecated", "WARNING", "Plugin mysql_native_password reported: ''mysql_native_password' is deprecated and will be removed in a future release. Please use caching_sha2_password instead'", 4, "MY-013360|Server|c"),
        S("semaphore_wait", "WARNING", "A long semaphore wait: --Thread ${int:139800000000000..139899999999999} has waited at ${choice:srv0srv.cc|btr0cur.cc|buf0flu.cc|trx0trx.h} line ${int:100..3000} for ${int:241..999} seconds the semaphore:", 1, "MY-012985|InnoDB|0"),
        S("changed_limits", "WARNING", "Changed limits: max_open_files: ${choice:1024|5000|10000} (requested ${int:5000..20000})", 1, "MY-010139|Server|0"),
        S("unknown_variable", "ERROR", "unknown variable '${choice:query_cache_size|query_cache_type|innodb_file_format|log_warnings}=${int:0..67108864}'.", 1, "MY-000067|Server|0"),
        S("mysqlx_socket", "ERROR", "Plugin mysqlx reported: 'Setup of socket: '/var/run/mysqld/mysqlx.sock' failed, another process with PID ${int:100..99999} is using UNIX socket file'", 1, "MY-011300|Server|0"),
        S("deadlock_dump", "INFO", "Transactions deadlock detected, dumping detailed information.", 2, "MY-012468|InnoDB|0"),
        S("event_scheduler", "INFO", "Event Scheduler: scheduler thread started with id ${int:5..99}", 1, "MY-010051|Server|0"),
    )

    def line(self, rng, t, st, message, component, style):
        code, subsystem, thread = component.split("|")
        tid = "0" if thread == "0" else str(rng.randint(8, 999999))
        stamp = f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}Z"
        word = self.level_word[st.level]
        if style == "8.0":
            return f"{stamp} {tid} [{word}] [{code}] [{subsystem}] {message}"
        return f"{stamp} {tid} [{word}] {'InnoDB: ' if subsystem == 'InnoDB' else ''}{message}"


class Kubelet(Layout):
    """kubelet, structured klog (``E1127 02:00:01.123456    4242 file.go:123] "msg" k="v"``)."""

    name = "kubelet"
    letter = {"ERROR": "E", "WARNING": "W", "INFO": "I", "FATAL": "F"}
    statements = (
        S("sync_pod", "ERROR", '"Error syncing pod, skipping" err="${text:kubelet_sync_err}" pod="${n=ns}/${p=pod}" podUID="${u=uuid}"', 9, "pod_workers.go:1301", ),
        S("probe_failed", "INFO", '"Probe failed" probeType="${choice:Readiness|Liveness|Startup}" pod="${ns}/${pod}" podUID="${uuid}" containerName="${ctr}" probeResult="failure" output="${text:probe_output}"', 6, "prober.go:107"),
        S("container_status", "ERROR", '"ContainerStatus from runtime service failed" err="rpc error: code = NotFound desc = an error occurred when try to find container \\"${c=hex:64}\\": not found" containerID="${@c}"', 4, "remote_runtime.go:432"),
        S("delete_container", "ERROR", '"DeleteContainer returned error" containerID={"Type":"containerd","ID":"${c=hex:64}"} err="failed to get container status \\"${@c}\\": rpc error: code = NotFound desc = an error occurred when try to find container \\"${@c}\\": not found"', 2, "kuberuntime_gc.go:150"),
        S("log_stats", "ERROR", '"Unable to fetch pod log stats" err="open /var/log/pods/${n=ns}_${p=pod}_${uuid}: no such file or directory" pod="${@n}/${@p}"', 4, "cadvisor_stats_provider.go:444"),
        S("mount_timeout", "ERROR", '"Unable to attach or mount volumes for pod; skipping pod" err="unmounted volumes=[${v=vol}], unattached volumes=[${@v} kube-api-access-${k5}]: timed out waiting for the condition" pod="${ns}/${pod}"', 3, "pod_workers.go:1294"),
        S("nameserver_limits", "ERROR", '"Nameserver limits exceeded" err="Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${ip} ${ip} ${ip}"', 3, "dns.go:153"),
        S("eviction_summary", "ERROR", '"Eviction manager: failed to get summary stats" err="failed to get node info: node \\"${node}\\" not found"', 2, "eviction_manager.go:256"),
        S("lease_update", "ERROR", '"Failed to update lease" err="Put \\"https://${ip}:6443/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}?timeout=10s\\": ${text:lease_err}"', 3, "controller.go:193"),
        S("sys_container_stats", "ERROR", '"Failed to get system container stats" err="failed to get cgroup stats for \\"/system.slice/${s=unit}\\": failed to get container info for \\"/system.slice/${@s}\\": unknown container \\"/system.slice/${@s}\\"" containerName="/system.slice/${@s}"', 3, "summary_sys_containers.go:48"),
        S("node_not_found", "ERROR", '"Error getting node" err="node \\"${node}\\" not found"', 3, "kubelet.go:2448"),
        S("image_gc", "ERROR", '"Image garbage collection failed once. Stats initialization may not have completed yet" err="invalid capacity 0 on image filesystem"', 1, "kubelet.go:1400"),
        S("orphan_volumes", "ERROR", '"There were many similar errors. Turn up verbosity to see them." err="orphaned pod \\"${uuid}\\" found, but error not a directory occurred when trying to remove the volumes dir" numErrs=${int:2..40}', 2, "kubelet_volumes.go:263"),
        S("eviction_reclaim", "INFO", '"Eviction manager: attempting to reclaim" resourceName="${choice:ephemeral-storage|memory|nodefs.inodes|imagefs}"', 1, "eviction_manager.go:366"),
        S("pleg_event", "INFO", '"SyncLoop (PLEG): event for pod" pod="${ns}/${pod}" event={"ID":"${uuid}","Type":"${choice:ContainerStarted|ContainerDied}","Data":"${hex:64}"}', 3, "kubelet.go:2206"),
        S("kill_container", "INFO", '"Killing container with a grace period" pod="${ns}/${pod}" podUID="${uuid}" containerName="${ctr}" containerID="containerd://${hex:64}" gracePeriod=${choice:30|30|60|10}', 2, "kuberuntime_container.go:745"),
    )

    def begin_file(self, rng, start, index, style):
        self.pid = rng.randint(600, 9999)

    def line(self, rng, t, st, message, component, style):
        return f"{self.letter[st.level]}{t:%m%d %H:%M:%S}.{t.microsecond:06d} {self.pid:>7} {component}] {message}"


class Etcd(Layout):
    """etcd 3.5, zap JSON. The statement's text is the msg field; ``fields`` gives the others
    (key, template; a key starting with "#" is written as a bare number)."""

    name = "etcd"
    json_message = True
    statements = (
        S("apply_slow", "WARN", "apply request took too long", 10, "etcdserver/util.go:170"),
        S("slow_fdatasync", "WARN", "slow fdatasync", 4, "wal/wal.go:805"),
        S("heartbeat_late", "WARN", "leader failed to send out heartbeat on time; took too long, leader is overloaded likely from slow disk", 4, "etcdserver/raft.go:369"),
        S("rejected_conn", "WARN", "rejected connection", 3, "embed/config_logging.go:169"),
        S("prober_unhealthy", "WARN", "prober detected unhealthy status", 3, "rafthttp/probing_status.go:68"),
        S("lost_stream", "WARN", "lost TCP streaming connection with remote peer", 2, "rafthttp/stream.go:421"),
        S("readindex_slow", "WARN", "waiting for ReadIndex response took too long, retrying", 2, "etcdserver/v3_server.go:840"),
        S("publish_failed", "WARN", "failed to publish local member to cluster through raft", 1, "etcdserver/server.go:2083"),
        S("alarm_raised", "WARN", "alarm raised", 1, "etcdserver/server.go:2353"),
        S("apply_failed", "ERROR", "failed to apply request", 2, "etcdserver/apply.go:139"),
        S("stepped_down", "WARN", "${hex:16} stepped down to follower since quorum is not active", 1, "etcdserver/zap_raft.go:85"),
        S("new_election", "INFO", "${hex:16} is starting a new election at term ${int:2..400}", 2, "etcdserver/zap_raft.go:77"),
        S("vote_resp", "INFO", "${hex:16} received MsgVoteResp from ${hex:16} at term ${int:2..400}", 2, "etcdserver/zap_raft.go:77"),
        S("elected_leader", "INFO", "raft.node: ${hex:16} elected leader ${hex:16} at term ${int:2..400}", 1, "etcdserver/zap_raft.go:77"),
        S("compaction", "INFO", "finished scheduled compaction", 2, "mvcc/kvstore_compaction.go:57"),
    )
    fields = {
        "apply_slow": (("took", "${godur}"), ("expected-duration", "100ms"), ("prefix", "${choice:read-only range |}"),
                       ("request", 'key:"/registry/${choice:pods|leases|events|configmaps|services/endpoints}/${ns}/${pod}" ${choice:|limit:500 |serializable:true }'),
                       ("response", "${choice:range_response_count:1 size:${int:100..9000}|range_response_count:0 size:${int:5..9}|size:${int:5..40}}")),
        "slow_fdatasync": (("took", "${godur}"), ("expected-duration", "1s")),
        "heartbeat_late": (("to", "${hex:16}"), ("heartbeat-interval", "100ms"), ("expected-duration", "200ms"),
                           ("exceeded-duration", "${godur}")),
        "rejected_conn": (("remote-addr", "${ipport}"), ("server-name", ""),
                          ("error", "${choice:tls: first record does not look like a TLS handshake|EOF|remote error: tls: bad certificate|tls: failed to verify certificate: x509: certificate signed by unknown authority}")),
        "prober_unhealthy": (("round-tripper-name", "ROUND_TRIPPER_${choice:RAFT_MESSAGE|SNAPSHOT}"), ("remote-peer-id", "${hex:16}"),
                             ("rtt", "${godur}"), ("error", "dial tcp ${ip}:2380: ${choice:connect: connection refused|i/o timeout|connect: no route to host}")),
        "lost_stream": (("stream-reader-type", "stream ${choice:Message|MsgApp v2}"), ("local-member-id", "${hex:16}"),
                        ("remote-peer-id", "${hex:16}"), ("error", "${choice:unexpected EOF|read tcp ${ipport}->${ip}:2380: i/o timeout}")),
        "readindex_slow": (("#sent-request-id", "${int:1000000000000000000..9999999999999999999}"), ("retry-timeout", "500ms")),
        "publish_failed": (("local-member-id", "${hex:16}"), ("local-member-attributes", "{Name:etcd-${int:0..2} ClientURLs:[https://${ip}:2379]}"),
                           ("request-path", "/0/members/${hex:16}/attributes"), ("publish-timeout", "7s"), ("error", "etcdserver: request timed out")),
        "alarm_raised": (("alarm", "NOSPACE"), ("from", "${hex:16}")),
        "apply_failed": (("took", "${godur}"), ("request", "header:<ID:${int:1000000000000000000..9999999999999999999} username:\"kube-apiserver-etcd-client\" auth_revision:1 > txn:<compare:<target:MOD key:\"/registry/leases/kube-node-lease/${node}\" mod_revision:${int} > success:<request_put:<key:\"/registry/leases/kube-node-lease/${node}\" value_size:${int:400..700} >> failure:<>>"),
                         ("response", ""), ("error", "etcdserver: mvcc: database space exceeded")),
        "compaction": (("#compact-revision", "${int:1000000..99999999}"), ("took", "${godur}"), ("hash", "${int:100000000..4294967295}")),
    }

    def line(self, rng, t, st, message, component, style):
        out = {"level": st.level.lower(), "ts": f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}Z", "caller": component,
               "msg": message}
        for key, template in self.fields.get(st.id, ()):
            value = render(rng, template)
            if key.startswith("#"):
                out[key[1:]] = int(value)
            else:
                out[key] = value
        return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


class Elasticsearch(Layout):
    """Elasticsearch 7/8 plain log4j2: ``[stamp][LEVEL][logger padded to 25] [node] msg``."""

    name = "elasticsearch"
    statements = (
        S("high_watermark", "WARN", "high disk watermark [90%] exceeded on [${b64u:22}][${esnode}][/usr/share/elasticsearch/data] free: ${size}[${pct}%], shards will be relocated away from this node; currently relocating away shards totalling [${int:0..99999999999}] bytes; the node is expected to continue to exceed the high disk watermark when these relocations are complete", 6, "o.e.c.r.a.DiskThresholdMonitor"),
        S("flood_watermark", "WARN", "flood stage disk watermark [95%] exceeded on [${b64u:22}][${esnode}][/usr/share/elasticsearch/data] free: ${size}[${pct}%], all indices on this node will be marked read-only", 3, "o.e.c.r.a.DiskThresholdMonitor"),
        S("gc_overhead", "WARN", "[gc][${int:100..900000}] overhead, spent [${esdur}] collecting in the last [${esdur}]", 6, "o.e.m.j.JvmGcMonitorService"),
        S("gc_collection", "WARN", "[gc][${choice:young|old}][${int:100..900000}][${int:1..90000}] duration [${esdur}], collections [${int:1..40}]/[${esdur}], total [${esdur}]/[${esdur}], memory [${size}]->[${size}]/[${size}], all_pools {[young] [${size}]->[${size}]/[0b]}{[old] [${size}]->[${size}]/[${size}]}{[survivor] [${size}]->[${size}]/[0b]}", 2, "o.e.m.j.JvmGcMonitorService"),
        S("transport_exc", "WARN", "exception caught on transport layer [Netty4TcpChannel{localAddress=/${ip}:9300, remoteAddress=/${ip}:${port}, profile=default}], closing connection", 3, "o.e.t.TcpTransport"),
        S("http_exc", "WARN", "caught exception while handling client http traffic, closing connection Netty4HttpChannel{localAddress=/${ip}:9200, remoteAddress=/${ip}:${port}}", 3, "o.e.h.AbstractHttpServerTransport"),
        S("master_not_discovered", "WARN", "master not discovered or elected yet, an election requires at least ${int:2..3} nodes with ids from [${b64u:22}, ${b64u:22}, ${b64u:22}], have only discovered non-quorum [${esnodes}]; discovery will continue using [${seedhosts}] from hosts providers and [${esnodes}] from last-known cluster state; node term ${int:1..90}, last-accepted version ${int} in term ${int:1..90}", 3, "o.e.c.c.ClusterFormationFailureHelper"),
        S("failed_engine", "WARN", "[${esindex}][${int:0..9}] failed engine [${choice:merge failed|already closed by tragic event on the index writer|refresh failed source[schedule]}]", 2, "o.e.i.e.Engine"),
        S("shard_failed", "WARN", "[${esindex}][${int:0..9}] marking and sending shard failed due to [failed recovery]", 2, "o.e.i.c.IndicesClusterStateService"),
        S("apikey_failed", "WARN", "Authentication using apikey failed - unable to find apikey with id ${b64u:20}", 2, "o.e.x.s.a.ApiKeyService"),
        S("watch_failed", "ERROR", "failed to execute watch [${watch}]", 2, "o.e.x.w.e.ExecutionService"),
        S("fatal_thread", "ERROR", "fatal error in thread [${choice:elasticsearch[${esnode}][write][T#${int:1..16}]|elasticsearch[${esnode}][search][T#${int:1..24}]|main}], exiting", 1, "o.e.b.ElasticsearchUncaughtExceptionHandler"),
        S("bulk_types", "WARN", "[types removal] Specifying types in bulk requests is deprecated.", 1, "o.e.d.r.a.d.RestBulkAction"),
        S("create_index", "INFO", "[${esindex}] creating index, cause [${choice:auto(bulk api)|api|rollover_data_stream}], templates [${choice:logs|metrics|filebeat-8.11.1|}], shards [${int:1..5}]/[${int:0..2}]", 2, "o.e.c.m.MetadataCreateIndexService"),
        S("health_change", "INFO", "Cluster health status changed from [${choice:YELLOW|RED|GREEN}] to [${choice:GREEN|YELLOW}] (reason: [shards started [[${esindex}][${int:0..4}]]]).", 2, "o.e.c.r.a.AllocationService"),
    )
    def begin_file(self, rng, start, index, style):
        self.node = rng.choice(LISTS["esnode"])

    def line(self, rng, t, st, message, component, style):
        return f"[{t:%Y-%m-%dT%H:%M:%S},{_ms(t)}][{st.level:<5}][{component:<25}] [{self.node}] {message}"


class Kafka(Layout):
    """Kafka broker server.log, log4j ``[%d] %p %m (%c)%n``."""

    name = "kafka"
    statements = (
        S("fetch_error", "WARN", "[ReplicaFetcher replicaId=${b=broker}, leaderId=${broker}, fetcherId=${int:0..3}] Error in response for fetch request (type=FetchRequest, replicaId=${@b}, maxWait=500, minBytes=1, maxBytes=10485760, fetchData={${topic}-${int:0..23}=PartitionData(topicId=${b64u:22}, fetchOffset=${int}, logStartOffset=${int}, maxBytes=1048576, currentLeaderEpoch=Optional[${int:0..90}], lastFetchedEpoch=Optional[${int:0..90}])}, isolationLevel=READ_UNCOMMITTED, removed=, replaced=, metadata=(sessionId=${int:1..2147483647}, epoch=${choice:INITIAL|${int:1..9999}}), rackId=)", 5, "kafka.server.ReplicaFetcherThread"),
        S("unexpected_error_from", "WARN", "[SocketServer listenerType=${choice:ZK_BROKER|BROKER}, nodeId=${broker}] Unexpected error from /${c=ip} (channelId=${ip}:9092-${@c}:${port}-${int:0..900}); closing connection", 4, "org.apache.kafka.common.network.Selector"),
        S("conn_not_established", "WARN", "[${choice:Controller id=${broker}, targetBrokerId=${broker}|ReplicaFetcher replicaId=${broker}, leaderId=${broker}, fetcherId=0|AdminClient clientId=adminclient-${int:1..30}}] Connection to node ${broker} (${kafkahost}/${ip}:9092) could not be established. Broker may not be available.", 5, "org.apache.kafka.clients.NetworkClient"),
        S("append_error", "ERROR", "[ReplicaManager broker=${broker}] Error processing append operation on partition ${topic}-${int:0..23}", 3, "kafka.server.ReplicaManager"),
        S("corrupt_index", "WARN", "[LogLoader partition=${t=topic}-${p=int:0..23}, dir=/var/lib/kafka/data] Found a corrupted index file corresponding to log file /var/lib/kafka/data/${@t}-${@p}/${o=offset20}.log due to Corrupt time index found, time index file (/var/lib/kafka/data/${@t}-${@p}/${@o}.timeindex) has non-zero size but the last timestamp is 0 which is less than the first timestamp ${int:1764000000000..1764999999999}, recovering segment and rebuilding index files...", 2, "kafka.log.LogLoader"),
        S("leader_unavailable", "ERROR", "[Broker id=${broker}] Received LeaderAndIsrRequest with correlation id ${int} from controller ${broker} epoch ${int:1..90} for partition ${topic}-${int:0..23} (last update controller epoch ${int:1..90}) but cannot become follower since the new leader ${broker} is unavailable.", 2, "state.change.logger"),
        S("zk_session", "WARN", "Session 0x${hex:15} for server ${kafkahost}/${ip}:2181, Closing socket connection. Attempting reconnect except it is a SessionExpiredException.", 2, "org.apache.zookeeper.ClientCnxn"),
        S("no_open_conn", "WARN", "Attempting to send response via channel for which there is no open connection, connection id ${ip}:9092-${ip}:${port}-${int:0..900}", 2, "kafka.network.Processor"),
        S("scheduled_task", "ERROR", "Uncaught exception in scheduled task '${choice:flush-log|kafka-log-retention|kafka-delete-logs|highwatermark-checkpoint}'", 1, "kafka.utils.KafkaScheduler"),
        S("member_failed", "INFO", "[GroupCoordinator ${broker}]: Member ${consumer} in group ${cgroup} has failed, removing it from the group", 3, "kafka.coordinator.group.GroupCoordinator"),
        S("rebalance", "INFO", "[GroupCoordinator ${broker}]: Preparing to rebalance group ${cgroup} in state PreparingRebalance with old generation ${int:1..900} (__consumer_offsets-${int:0..49}) (reason: ${text:rebalance_reason})", 3, "kafka.coordinator.group.GroupCoordinator"),
        S("isr_shrink", "INFO", "[Partition ${topic}-${int:0..23} broker=${broker}] Shrinking ISR from ${isr} to ${isr}. Leader: (highWatermark: ${int}, endOffset: ${int}). Out of sync replicas: (brokerId: ${broker}, endOffset: ${int}).", 2, "kafka.cluster.Partition"),
        S("log_deleted", "INFO", "Deleted log for partition ${topic}-${int:0..23} in /var/lib/kafka/data/${topic}-${int:0..23}.${hex:32}-delete.", 1, "kafka.log.LogManager"),
    )

    def line(self, rng, t, st, message, component, style):
        return f"[{t:%Y-%m-%d %H:%M:%S},{_ms(t)}] {st.level} {message} ({component})"


class Redis(Layout):
    """Redis server log: ``pid:role dd Mon yyyy hh:mm:ss.mmm <sym> msg``; role M, S or C (the
    fork child, with its own pid); sym ``#`` warning, ``*`` notice."""

    name = "redis"
    symbol = {"WARNING": "#", "NOTICE": "*", "INFO": "-"}
    statements = (
        S("overcommit", "WARNING", "WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition. Being disabled, it can also cause failures without low memory condition, see https://github.com/jemalloc/jemalloc/issues/1328. To fix this issue add 'vm.overcommit_memory = 1' to /etc/sysctl.conf and then reboot or run the command 'sysctl vm.overcommit_memory=1' for this to take effect.", 1, "M"),
        S("bgsave_error", "WARNING", "Background saving error", 4, "M"),
        S("bgsave_fork", "WARNING", "Can't save in background: fork: Cannot allocate memory", 3, "M"),
        S("rdb_temp_open", "WARNING", "Failed opening the temp RDB file temp-${int:100..99999}.rdb (in server root dir ${choice:/data|/var/lib/redis}) for saving: ${choice:Read-only file system|Permission denied|No space left on device}", 3, "C"),
        S("rdb_move", "WARNING", "Error moving temp DB file temp-${int:100..99999}.rdb on the final destination dump.rdb (in server root dir ${choice:/data|/var/lib/redis}): ${choice:Operation not permitted|Device or resource busy}", 1, "C"),
        S("master_lost", "WARNING", "Connection with master lost.", 3, "S"),
        S("replica_lost", "WARNING", "Connection with replica ${ip}:${choice:6379|6380|7001} lost.", 3, "M"),
        S("sync_socket_error", "WARNING", "Error condition on socket for SYNC: ${choice:Connection refused|No route to host|Connection reset by peer|Operation now in progress}", 4, "S"),
        S("master_timeout", "WARNING", "MASTER timeout: no data nor PING received...", 2, "S"),
        S("output_buffer", "WARNING", "Client id=${int} addr=${ipport} laddr=${ip}:6379 fd=${int:8..2000} name=${choice:|sidekiq|celery-worker|} age=${int} idle=${int:0..30} flags=${choice:N|S|P|M} db=${int:0..15} sub=${int:0..4} psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=${int:100..90000} omem=${int:1000000..999999999} tot-mem=${int:1000000..999999999} events=r cmd=${choice:psync|subscribe|client|xread|monitor} user=default redir=-1 resp=2 lib-name= lib-ver= scheduled to be closed ASAP for overcoming of output buffer limits.", 2, "M"),
        S("security_attack", "WARNING", "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection from ${ipport} aborted.", 2, "M"),
        S("cluster_state", "WARNING", "Cluster state changed: ${choice:fail|ok}", 2, "M"),
        S("aof_fsync", "WARNING", "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.", 3, "M"),
        S("short_read", "WARNING", "Short read or OOM loading DB. Unrecoverable error, aborting now.", 1, "M"),
        S("marking_failing", "NOTICE", "Marking node ${hex:40} (${choice:redis-0|redis-1|redis-node-2|}) as failing (quorum reached).", 1, "M"),
        S("changes_saving", "NOTICE", "${int:1..100000} changes in ${choice:60|300|3600} seconds. Saving...", 3, "M"),
        S("bgsave_started", "NOTICE", "Background saving started by pid ${int:100..99999}", 3, "M"),
        S("db_saved", "NOTICE", "DB saved on disk", 2, "C"),
        S("cow", "NOTICE", "Fork CoW for RDB: current ${int:0..900} MB, peak ${int:0..900} MB, average ${int:0..900} MB", 2, "C"),
        S("bgsave_ok", "NOTICE", "Background saving terminated with success", 2, "M"),
        S("replica_sync", "NOTICE", "Replica ${ip}:6379 asks for synchronization", 1, "M"),
    )

    def begin_file(self, rng, start, index, style):
        self.pid = rng.randint(1, 3000)

    def line(self, rng, t, st, message, component, style):
        pid = rng.randint(3001, 99999) if component == "C" else self.pid
        return f"{pid}:{component} {t.day:02d} {t:%b %Y %H:%M:%S}.{_ms(t)} {self.symbol[st.level]} {message}"


class Journal(Layout):
    """The systemd journal as text: ``journalctl`` (short: ``Nov 27 02:00:01 host ident[pid]:``)
    or ``journalctl -o short-iso-precise`` (style "iso"). No level is shown. Component: the syslog identifier."""

    name = "journal"
    styles = ("short", "iso")
    statements = (
        S("restart_counter", "INFO", "${unit}: Scheduled restart job, restart counter is at ${int:1..500}.", 5, "systemd"),
        S("start_too_quickly", "ERROR", "${unit}: Start request repeated too quickly.", 4, "systemd"),
        S("stop_timeout", "WARNING", "${unit}: State 'stop-sigterm' timed out. Killing.", 3, "systemd"),
        S("killing_process", "NOTICE", "${unit}: Killing process ${int:100..999999} (${comm}) with signal SIGKILL.", 2, "systemd"),
        S("watchdog", "ERROR", "${unit}: Watchdog timeout (limit ${choice:3min|1min|30s})!", 1, "systemd"),
        S("oom_unit", "WARNING", "${unit}: A process of this unit has been killed by the OOM killer.", 3, "systemd"),
        S("dependency_failed", "WARNING", "Dependency failed for ${unitdesc}.", 3, "systemd"),
        S("device_timeout", "ERROR", "Timed out waiting for device /dev/disk/by-uuid/${uuid}.", 2, "systemd"),
        S("mount_exit", "ERROR", "${mountunit}: Mount process exited, code=exited, status=32/n/a", 2, "systemd"),
        S("failed_mount", "ERROR", "Failed to mount ${mountdesc}.", 2, "systemd"),
        S("coredump", "CRIT", "Process ${int:100..999999} (${comm}) of user ${int:0..2000} dumped core.", 2, "systemd-coredump"),
        S("sudo_incorrect", "ALERT", "${u=user} : ${int:1..3} incorrect password attempt${choice:|s} ; TTY=pts/${int:0..9} ; PWD=/home/${@u} ; USER=root ; COMMAND=${sudocmd}", 2, "sudo"),
        S("containerd_fifo", "ERROR", 'time="${isonano}" level=error msg="Failed to pipe ${choice:stdout|stderr} of container \\"${hex:64}\\"" error="reading from a closed fifo"', 2, "containerd"),
        S("nm_dhcp_timeout", "WARNING", "<warn>  [${epoch}] dhcp4 (${iface}): request timed out", 2, "NetworkManager"),
        S("nm_state", "INFO", "<info>  [${epoch}] device (${iface}): state change: ${nmstate} -> ${nmstate} (reason '${choice:none|carrier-changed|dependency-failed|ip-config-unavailable}', sys-iface-state: '${choice:managed|external}')", 2, "NetworkManager"),
        S("sudo_cmd", "NOTICE", "${u=user} : TTY=pts/${int:0..9} ; PWD=/home/${@u} ; USER=root ; COMMAND=${sudocmd}", 3, "sudo"),
        S("new_session", "INFO", "New session ${int:1..9999} of user ${user}.", 3, "systemd-logind"),
        S("resolved_degraded", "NOTICE", "Using degraded feature set UDP instead of UDP+EDNS0 for DNS server ${ip}.", 3, "systemd-resolved"),
        S("timesync_timeout", "INFO", "Timed out waiting for reply from ${ip}:123 (${choice:ntp.ubuntu.com|0.debian.pool.ntp.org|time.cloudflare.com}).", 2, "systemd-timesyncd"),
    )

    def begin_file(self, rng, start, index, style):
        self.host = rng.choice(("web-3", "db01", "k8s-node-07", "build-host", "ip-172-31-9-44"))
        self.pids = {}

    def line(self, rng, t, st, message, component, style):
        if component == "systemd":
            pid = 1
        elif component == "sudo":
            pid = rng.randint(2000, 999999)
        else:
            pid = self.pids.setdefault(component, rng.randint(300, 99999))
        stamp = (f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}+00:00" if style == "iso"
                 else _bsd_stamp(t))
        return f"{stamp} {self.host} {component}[{pid}]: {message}"


PARAMS["isonano"] = lambda rng, arg, env: f"{env['_t']:%Y-%m-%dT%H:%M:%S}.{env['_t'].microsecond:06d}{rng.randint(0, 999):03d}Z"


class HAProxy(Layout):
    """HAProxy over syslog: HTTP and TCP traffic lines (one log-format statement each) and
    health/state events."""

    name = "haproxy"
    statements = (
        S("http_traffic", "INFO", '${cip}:${port} [${hadate}] ${hafront} ${choice:${haback}/${haserver}|${haback}/${haserver}|${haback}/<NOSRV>} ${int:0..20}/${int:0..5}/${int:0..10}/${int:1..3000}/${int:1..3100} ${status} ${int:100..90000} - - ${choice:----|----|----|SC--|sH--|CD--|cD--|PR--} ${int:1..900}/${int:1..900}/${int:0..90}/${int:0..30}/0 0/0 "${method} ${upath} HTTP/${choice:1.1|1.1|2.0}"', 12),
        S("tcp_traffic", "INFO", "${cip}:${port} [${hadate}] ${choice:fe_pg|fe_redis|fe_mqtt} ${choice:be_pg/pg1|be_redis/redis-a|be_mqtt/<NOSRV>} 1/${int:0..5}/${int:1..900000} ${int:0..90000} ${choice:--|cD|sD|SC|CD} ${int:1..900}/${int:1..900}/${int:0..90}/${int:0..30}/0 0/0", 3),
        S("server_down", "ALERT", "Server ${haback}/${haserver} is DOWN, reason: ${text:ha_reason}, check duration: ${int:0..2000}ms. ${int:0..5} active and 0 backup servers left. ${int:0..40} sessions active, 0 requeued, 0 remaining in queue.", 5),
        S("health_check_failed", "WARNING", "Health check for server ${haback}/${haserver} failed, reason: ${text:ha_reason}, check duration: ${int:0..2000}ms, status: ${int:0..2}/${choice:2|3} ${choice:UP|DOWN}.", 5),
        S("server_maint", "WARNING", "Server ${haback}/${haserver} is going DOWN for maintenance. ${int:0..5} active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.", 1),
        S("no_server", "EMERG", "backend ${haback} has no server available!", 3),
        S("connect_failed", "ERROR", "Connect() failed for backend ${haback}: no free ports.", 1),
        S("server_up", "NOTICE", "Server ${haback}/${haserver} is UP, reason: Layer7 check passed, code: 200, check duration: ${int:0..50}ms. ${int:1..6} active and 0 backup servers online. 0 sessions requeued, 0 total in queue.", 2),
        S("proxy_started", "NOTICE", "Proxy ${hafront} started.", 1),
    )

    def begin_file(self, rng, start, index, style):
        self.host = rng.choice(("lb-1", "lb-2", "edge01"))
        self.pid = rng.randint(500, 60000)

    def line(self, rng, t, st, message, component, style):
        return f"{_bsd_stamp(t)} {self.host} haproxy[{self.pid}]: {message}"


class Tomcat(Layout):
    """Tomcat catalina.out (JULI OneLineFormatter): ``27-Nov-2026 02:00:01.123 SEVERE [thread]
    class.method msg``. Component: thread | class.method."""

    name = "tomcat"
    statements = (
        S("servlet_exception", "SEVERE", "Servlet.service() for servlet [${choice:dispatcherServlet|jsp|default|jersey-servlet|FacesServlet}] in context with path [${ctxpath}] threw exception [${text:javaexc}] with root cause", 8, "http-nio-8080-exec-${int:1..200}|org.apache.catalina.core.StandardWrapperValve.invoke"),
        S("thread_leak", "WARNING", "The web application [${webapp}] appears to have started a thread named [${text:jthread}] but has failed to stop it. This is very likely to create a memory leak. Stack trace of thread:", 5, "${choice:main|Catalina-utility-1|Catalina-utility-2}|org.apache.catalina.loader.WebappClassLoaderBase.clearReferencesThreads"),
        S("threadlocal_leak", "SEVERE", "The web application [${webapp}] created a ThreadLocal with key of type [${jcls}] (value [${jcls}@${hex:6..8}]) and a value of type [${jcls}] (value [${jcls}@${hex:6..8}]) but failed to remove it when the web application was stopped. Threads are going to be renewed over time to try and avoid a probable memory leak.", 2, "main|org.apache.catalina.loader.WebappClassLoaderBase.checkThreadLocalMapForLeaks"),
        S("jdbc_leak", "WARNING", "The web application [${webapp}] registered the JDBC driver [${choice:com.mysql.cj.jdbc.Driver|org.postgresql.Driver|oracle.jdbc.OracleDriver}] but failed to unregister it when the web application was stopped. To prevent a memory leak, the JDBC Driver has been forcibly unregistered.", 3, "main|org.apache.catalina.loader.WebappClassLoaderBase.clearReferencesJdbc"),
        S("listeners_failed", "SEVERE", "One or more listeners failed to start. Full details will be found in the appropriate container log file", 2, "main|org.apache.catalina.core.StandardContext.startInternal"),
        S("context_failed", "SEVERE", "Context [${ctxpath}] startup failed due to previous errors", 2, "main|org.apache.catalina.core.StandardContext.startInternal"),
        S("set_property", "WARNING", "Match [Server/Service/Engine/Host/Context] failed to set property [${choice:reloadable|antiJARLocking|antiResourceLocking|useHttpOnly}] to [${choice:true|false}]", 2, "main|org.apache.tomcat.util.digester.SetPropertiesRule.begin"),
        S("shutdown_socket", "SEVERE", "Failed to create server shutdown socket on address [localhost] and port [8005] (base port [8005] and offset [0])", 1, "main|org.apache.catalina.core.StandardServer.await"),
        S("securerandom", "WARNING", "Creation of SecureRandom instance for session ID generation using [SHA1PRNG] took [${int:1000..250000}] milliseconds.", 2, "Catalina-utility-${int:1..2}|org.apache.catalina.util.SessionIdGeneratorBase.createSecureRandom"),
        S("accept_failed", "SEVERE", "Socket accept failed", 2, "http-nio-8080-Acceptor|org.apache.tomcat.util.net.Acceptor.run"),
        S("header_parse", "INFO", "Error parsing HTTP request header", 3, "http-nio-8080-exec-${int:1..200}|org.apache.coyote.http11.Http11Processor.service"),
        S("invalid_chunk", "INFO", "Invalid chunk starting at byte [${int:0..4000}] and ending at byte [${int:0..4000}] with a value of [${choice:=|%%|utm_source=${hex:4}&&|null}] ignored", 1, "http-nio-8080-exec-${int:1..200}|org.apache.tomcat.util.http.Parameters.processParameters"),
        S("deploy_war", "INFO", "Deploying web application archive [/opt/tomcat/webapps/${webappname}.war]", 1, "main|org.apache.catalina.startup.HostConfig.deployWAR"),
        S("deploy_done", "INFO", "Deployment of web application archive [/opt/tomcat/webapps/${webappname}.war] has finished in [${int:200..90000}] ms", 1, "main|org.apache.catalina.startup.HostConfig.deployWAR"),
        S("startup", "INFO", "Server startup in [${int:1000..90000}] milliseconds", 1, "main|org.apache.catalina.startup.Catalina.start"),
    )

    def line(self, rng, t, st, message, component, style):
        thread, where = component.split("|")
        return f"{t.day:02d}-{t:%b-%Y %H:%M:%S}.{_ms(t)} {st.level} [{thread}] {where} {message}"


class Slurmctld(Layout):
    """Slurm slurmctld.log: ``[2026-11-27T02:00:01.123] error: msg`` (info lines have no prefix;
    ``Warning: Note very large processing time`` is an info() call that says Warning)."""

    name = "slurmctld"
    prefix = {"ERROR": "error: ", "FATAL": "fatal: ", "INFO": "", "WARNING": "warning: "}
    statements = (
        S("not_responding", "ERROR", "Nodes ${nodelist} not responding", 6),
        S("not_responding_down", "ERROR", "Nodes ${nodelist} not responding, setting DOWN", 3),
        S("zero_bytes", "ERROR", "slurm_receive_msg [${ip}:${port}]: Zero Bytes were transmitted or received", 5),
        S("invalid_node_name", "ERROR", "_slurm_rpc_node_registration node=${slurmnode}: Invalid node name specified", 3),
        S("low_memory", "ERROR", "Node ${slurmnode} has low real_memory size (${int:100000..500000} < ${int:500001..1000000})", 2),
        S("conf_hash", "ERROR", "Node ${slurmnode} appears to have a different slurm.conf than the slurmctld.  This could cause issues with communication and functionality.  Please review both files and make sure they are the same.  If this is expected ignore, and set DebugFlags=NO_CONF_HASH in your slurm.conf.", 3),
        S("rpc_submit", "ERROR", "_slurm_rpc_submit_batch_job: ${text:slurmerr}", 4),
        S("security_violation", "ERROR", "Security violation, ${choice:ping|REQUEST_SHUTDOWN|REQUEST_RECONFIGURE|update_node} RPC from uid=${int:1000..60000}", 2),
        S("orphan_step", "ERROR", "Orphan StepId=${jobid}.${choice:batch|extern|0|1} reported on node ${slurmnode}", 2),
        S("batch_missing", "ERROR", "Batch JobId=${jobid} missing from batch node ${slurmnode} (not found BatchStartTime after startup), Requeuing job", 1),
        S("dbd_conn", "ERROR", "slurmdbd: Sending PersistInit msg: Connection refused", 2),
        S("mem_underalloc", "ERROR", "select/cons_tres: _rm_job_from_res: node ${slurmnode} memory is under-allocated (${int:0..9000}-${int:9001..90000}) for JobId=${jobid}", 1),
        S("very_large", "WARNING", "Warning: Note very large processing time from ${choice:_slurm_rpc_dump_jobs|_slurmctld_background|load_part_uid_allow_list|_slurm_rpc_complete_batch_script|schedule}: usec=${int:1000000..30000000} began=${hhmmssms}", 4),
        S("allocate", "INFO", "sched: Allocate JobId=${jobid} NodeList=${nodelist} #CPUs=${int:1..256} Partition=${partition}", 4),
        S("job_complete", "INFO", "_job_complete: JobId=${jobid} WEXITSTATUS ${int:0..255}", 3),
        S("job_done", "INFO", "_job_complete: JobId=${jobid} done", 3),
        S("time_limit", "INFO", "Time limit exhausted for JobId=${jobid}", 2),
    )

    def line(self, rng, t, st, message, component, style):
        prefix = "" if message.startswith("Warning:") else self.prefix[st.level]
        return f"[{t:%Y-%m-%dT%H:%M:%S}.{_ms(t)}] {prefix}{message}"


class Dockerd(Layout):
    """Docker daemon (logrus text): ``time="..." level=error msg="..." k=v``. The statement's
    text is msg; its component the extra fields. The message is ``msg=... k=v`` as written."""

    name = "dockerd"
    statements = (
        S("handler_error", "ERROR", "Handler for ${method} /v1.${choice:41|43|44|45}/containers/${choice:${hex:12}|${cname}}/${choice:start|json|exec|attach|stop|kill} returned error: ${text:docker_err}", 8),
        S("blkio_weight", "WARNING", "Your kernel does not support cgroup blkio weight", 2),
        S("blkio_weight_device", "WARNING", "Your kernel does not support cgroup blkio weight_device", 2),
        S("stream_copy", "ERROR", "stream copy error: reading from a closed fifo", 3),
        S("health_check", "WARNING", "Health check for container ${hex:64} error: ${text:docker_health}", 4),
        S("pull_error", "ERROR", "Not continuing with pull after error: ${choice:manifest unknown: manifest unknown|unauthorized: authentication required|context canceled|toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit}", 3),
        S("attach_failed", "ERROR", "attach failed with error: error attaching ${choice:stdout|stderr} stream: write unix /var/run/docker.sock->@: write: broken pipe", 2),
        S("dns_query", "ERROR", "[resolver] failed to query external DNS server", 3,
          'client-addr="udp:172.${int:17..30}.0.${int:2..40}:${port}" dns-server="udp:${choice:127.0.0.53|8.8.8.8|10.0.0.2}:53" error="read udp 172.${int:17..30}.0.1:${port}->${choice:127.0.0.53|8.8.8.8|10.0.0.2}:53: i/o timeout" question=";${host}.\\tIN\\t ${choice:A|AAAA}"'),
        S("sandbox_missing", "WARNING", "error locating sandbox id ${s=hex:64}: sandbox ${@s} not found", 2),
        S("overlay_native_diff", "WARNING", "Not using native diff for overlay2, this may cause degraded performance for building images: kernel has CONFIG_OVERLAY_FS_REDIRECT_DIR enabled", 1, "storage-driver=overlay2"),
        S("ignoring_event", "INFO", "ignoring event", 4, 'container=${hex:64} module=libcontainerd namespace=moby topic=/tasks/delete type="*events.TaskDelete"'),
        S("force_kill", "INFO", "Container failed to exit within ${choice:10s|2s|30s} of signal 15 - using the force", 3, "container=${hex:64}"),
        S("layer_cleanup", "INFO", "Layer sha256:${hex:64} cleaned up", 2),
        S("signal_terminated", "INFO", "Processing signal 'terminated'", 1),
    )
    level_word = {"ERROR": "error", "WARNING": "warning", "INFO": "info", "FATAL": "fatal"}

    def line(self, rng, t, st, message, component, style):
        written = "msg=" + _logfmt_value(message) + (" " + component if component else "")
        stamp = f'{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}{rng.randint(0, 999):03d}Z'
        return f'time="{stamp}" level={self.level_word[st.level]} {written}', written


class Hclog(Layout):
    """HashiCorp hclog text: ``2026-11-27T02:00:01.123Z [WARN]  name: msg: k=v``."""

    def line(self, rng, t, st, message, component, style):
        level = {"ERROR": "ERROR", "WARNING": "WARN", "INFO": "INFO"}[st.level]
        return f"{t:%Y-%m-%dT%H:%M:%S}.{_ms(t)}Z [{level}]{' ' * (5 - len(level))} {component}: {message}"


class Consul(Hclog):
    name = "consul"
    statements = (
        S("check_critical", "WARNING", "Check is now critical: check=${consulcheck}", 8, "agent"),
        S("rpc_failed", "ERROR", 'RPC failed to server: method=${choice:Catalog.ListServices|Health.ServiceNodes|KVS.Get|Catalog.Register|ConnectCA.Sign} server=${ip}:8300 error="rpc error making call: ${choice:No cluster leader|EOF|i/o deadline reached|rpc error getting client: failed to get conn: dial tcp <nil>->${ip}:8300: connect: connection refused}"', 6, "agent.client"),
        S("anti_entropy", "ERROR", 'failed to sync remote state: error="${choice:No cluster leader|rpc error making call: Permission denied|ACL not found}"', 4, "agent.anti_entropy"),
        S("coordinate_error", "ERROR", 'Coordinate update error: error="${choice:No cluster leader|rpc error making call: EOF}"', 2, "agent"),
        S("heartbeat_timeout", "WARNING", "heartbeat timeout reached, starting election: last-leader-addr=${ip}:8300 last-leader-id=${uuid}", 2, "agent.server.raft"),
        S("vote_failed", "ERROR", 'failed to make requestVote RPC: target="{Voter ${uuid} ${v=ip}:8300}" error="dial tcp ${ip}:0->${@v}:8300: connect: connection refused" term=${int:2..900}', 3, "agent.server.raft"),
        S("refute_suspect", "WARNING", "memberlist: Refuting a suspect message (from: ${consulnode})", 2, "agent.server.memberlist.lan"),
        S("pushpull_failed", "ERROR", "memberlist: Push/Pull with ${consulnode} failed: dial tcp ${ip}:8301: i/o timeout", 3, "agent.server.memberlist.lan"),
        S("http_request_error", "ERROR", 'Request error: method=${choice:GET|PUT|DELETE} url=/v1/${choice:kv/config/${consulsvc}/database|catalog/service/${consulsvc}|health/service/${consulsvc}?passing=1&index=${int}} from=${ipport} error="${choice:Permission denied|rpc error making call: No cluster leader|ACL not found}"', 4, "agent.http"),
        S("grpc_transport", "WARNING", '[core]grpc: addrConn.createTransport failed to connect to {${dc}-${ip}:8300 ${consulnode}.${dc} <nil> 0 <nil>}. Err: connection error: desc = "transport: Error while dialing: dial tcp ${ip}:0->${ip}:8300: operation was canceled". Reconnecting...', 2, "agent"),
        S("candidate", "INFO", 'entering candidate state: node="Node at ${ip}:8300 [Candidate]" term=${int:2..900}', 2, "agent.server.raft"),
        S("member_failed", "INFO", "serf: EventMemberFailed: ${consulnode} ${ip}", 2, "agent.server.serf.lan"),
        S("synced_check", "INFO", "Synced check: check=${consulcheck}", 3, "agent"),
    )


class Nomad(Hclog):
    name = "nomad"
    statements = (
        S("driver_failed", "ERROR", 'running driver failed: alloc_id=${uuid} task=${t=nomadtask} error="${choice:failed to create container: Error response from daemon: Conflict. The container name \\"/${@t}-${uuid}\\" is already in use by container \\"${hex:64}\\". You have to remove (or rename) that container to be able to reuse that name.|Failed to pull `${image}`: API error (404): manifest for ${image} not found: manifest unknown: manifest unknown|failed to start task: OCI runtime create failed: runc create failed: unable to start container process: exec: \\"/entrypoint.sh\\": permission denied: unknown}"', 6, "client.alloc_runner.task_runner"),
        S("logmon_timeout", "WARNING", "timed out waiting for read-side of process output pipe to close: alloc_id=${uuid} task=${nomadtask}", 4, "client.alloc_runner.task_runner.task_hook.logmon"),
        S("pull_failed", "ERROR", 'failed pulling container: driver=docker image_ref=${image} error="API error (${choice:404|500|429}): ${choice:manifest unknown|toomanyrequests: You have reached your pull rate limit|unauthorized: authentication required}"', 3, "client.driver_mgr.docker"),
        S("node_ttl", "WARNING", "node TTL expired: node_id=${uuid}", 2, "nomad.heartbeat"),
        S("plan_failed", "ERROR", 'failed to submit plan for evaluation: eval_id=${uuid} error="rpc error: ${choice:eval broker disabled|No cluster leader|Permission denied}"', 2, "worker"),
        S("heartbeat_error", "ERROR", 'error heartbeating. retrying: error="failed to update status: rpc error: failed to get conn: rpc error: lead thread didn\'t get connection" period=${godur}', 3, "client"),
        S("client_rpc", "ERROR", 'error performing RPC to server: error="rpc error: failed to get conn: dial tcp ${ip}:4647: i/o timeout" rpc=${choice:Node.GetClientAllocs|Node.UpdateAlloc|Node.UpdateStatus} server=${ip}:4647', 4, "client.rpc"),
        S("client_rpc_noretry", "ERROR", 'error performing RPC to server which is not safe to automatically retry: error="rpc error: EOF" rpc=Node.UpdateAlloc server=${ip}:4647', 1, "client.rpc"),
        S("task_event", "INFO", 'Task event: alloc_id=${uuid} task=${t=nomadtask} type=${choice:Started|Terminated|"Restart Signaled"|Killing|"Not Restarting"|Received} msg=${choice:"Task started by client"|"Exit Code: 137, Exit Message: \\"OOM Killed\\""|"healthcheck: check \\"${@t}-http\\" unhealthy"|"Sent interrupt. Waiting 5s before force killing"} failed=${choice:false|true}', 6, "client.alloc_runner.task_runner"),
        S("gc_alloc", "INFO", "marking allocation for GC: alloc_id=${uuid}", 2, "client.gc"),
    )


class WindowsEvents(Layout):
    """Windows event log exported as text: Event Viewer "Save as Text" (tab separated:
    Level, Date and Time, Source, Event ID, Task Category, Message) or CSV (message quoted).
    Component: source | event id | task category."""

    name = "windows_events"
    styles = ("txt", "csv")
    level_word = {"ERROR": "Error", "WARNING": "Warning", "INFO": "Information", "CRITICAL": "Critical"}
    statements = (
        S("scm_7000", "ERROR", "The ${svcname} service failed to start due to the following error: ${text:winsvcerr}", 5, "Service Control Manager|7000|None"),
        S("scm_7031", "ERROR", "The ${svcname} service terminated unexpectedly.  It has done this ${int:1..9} time(s).  The following corrective action will be taken in ${choice:60000|120000|0} milliseconds: Restart the service.", 6, "Service Control Manager|7031|None"),
        S("scm_7034", "ERROR", "The ${svcname} service terminated unexpectedly.  It has done this ${int:1..9} time(s).", 4, "Service Control Manager|7034|None"),
        S("scm_7009", "ERROR", "A timeout was reached (30000 milliseconds) while waiting for the ${svcname} service to connect.", 4, "Service Control Manager|7009|None"),
        S("scm_7011", "ERROR", "A timeout (30000 milliseconds) was reached while waiting for a transaction response from the ${svcname} service.", 3, "Service Control Manager|7011|None"),
        S("kernel_power_41", "CRITICAL", "The system has rebooted without cleanly shutting down first. This error could be caused if the system stopped responding, crashed, or lost power unexpectedly.", 1, "Microsoft-Windows-Kernel-Power|41|(63)"),
        S("disk_7", "ERROR", "The device, \\Device\\Harddisk${int:0..4}\\DR${int:0..9}, has a bad block.", 2, "disk|7|None"),
        S("disk_153", "WARNING", "The IO operation at logical block address 0x${hex:6..9} for Disk ${int:0..4} (PDO name: \\Device\\${HEX:8}) was retried.", 3, "disk|153|None"),
        S("dcom_10016", "WARNING", "The application-specific permission settings do not grant Local Activation permission for the COM Server application with CLSID {${UUID}} and APPID {${UUID}} to the user ${choice:NT AUTHORITY\\SYSTEM SID (S-1-5-18)|NT AUTHORITY\\LOCAL SERVICE SID (S-1-5-19)|${windomain}\\${user} SID (S-1-5-21-${int:1000000000..4000000000}-${int:1000000000..4000000000}-${int:1000000000..4000000000}-${int:1000..9999})} from address LocalHost (Using LRPC) running in the application container Unavailable SID (Unavailable). This security permission can be modified using the Component Services administrative tool.", 5, "Microsoft-Windows-DistributedCOM|10016|None"),
        S("schannel_36887", "ERROR", "A fatal alert was received from the remote endpoint. The TLS protocol defined fatal alert code is ${choice:40|42|46|48|70|80}.", 5, "Schannel|36887|None"),
        S("schannel_36874", "ERROR", "An TLS ${choice:1.0|1.1|1.2} connection request was received from a remote client application, but none of the cipher suites supported by the client application are supported by the server. The TLS connection request has failed.", 2, "Schannel|36874|None"),
        S("time_129", "WARNING", "NtpClient was unable to set a domain peer to use as a time source because of discovery error. NtpClient will try again in ${choice:15|30|60} minutes and double the reattempt interval thereafter. The error was: The entry is not found. (0x800706E1)", 2, "Microsoft-Windows-Time-Service|129|None"),
        S("gp_1129", "ERROR", "The processing of Group Policy failed because of lack of network connectivity to a domain controller. This may be a transient condition. A success message would be generated once the machine gets connected to the domain controller and Group Policy has succesfully processed. If you do not see a success message for several hours, then contact your administrator.", 2, "Microsoft-Windows-GroupPolicy|1129|None"),
        S("netlogon_5719", "ERROR", "This computer was not able to set up a secure session with a domain controller in domain ${windomain} due to the following:  There are currently no logon servers available to service the logon request.   This may lead to authentication problems. Make sure that this computer is connected to the network. If the problem persists, please contact your domain administrator.", 2, "NETLOGON|5719|None"),
        S("app_error_1000", "ERROR", "Faulting application name: ${e=winexe}, version: ${winver}, time stamp: 0x${hex:8} Faulting module name: ${windll}, version: ${winver}, time stamp: 0x${hex:8} Exception code: 0x${choice:c0000005|c0000409|e0434352|c0000374} Fault offset: 0x${hex:16} Faulting process id: 0x${hex:4} Faulting application start time: 0x${hex:16} Faulting application path: ${winpath} Faulting module path: C:\\Windows\\System32\\${windll} Report Id: ${uuid} Faulting package full name:  Faulting package-relative application ID: ", 4, "Application Error|1000|(100)"),
        S("dotnet_1026", "ERROR", "Application: ${winexe} Framework Version: v4.0.30319 Description: The process was terminated due to an unhandled exception. Exception Info: System.${choice:NullReferenceException|IO.FileNotFoundException|Data.SqlClient.SqlException|OutOfMemoryException|UnauthorizedAccessException}", 2, ".NET Runtime|1026|None"),
        S("wu_20", "ERROR", "Installation Failure: Windows failed to install the following update with error 0x${choice:80070643|800f0922|8024200d|80073701}: ${text:kbtitle}.", 3, "Microsoft-Windows-WindowsUpdateClient|20|Windows Update Agent"),
        S("eventlog_6008", "ERROR", "The previous system shutdown at ${wintime} on ${windate} was unexpected.", 1, "EventLog|6008|None"),
        S("whea_17", "WARNING", "A corrected hardware error has occurred.  Component: PCI Express Root Port Error Source: Advanced Error Reporting (PCI Express)  Primary Bus:Device:Function: 0x0:0x1C:0x${hex:1} Secondary Bus:Device:Function: 0x0:0x0:0x0 Primary Device Name:PCI\\VEN_8086&DEV_${HEX:4}&SUBSYS_${HEX:8}&REV_F0 Secondary Device Name:", 2, "Microsoft-Windows-WHEA-Logger|17|None"),
        S("esent_455", "ERROR", "svchost (${int:1000..30000},R,98) TILEREPOSITORYS-1-5-18: Error -1023 (0xfffffc01) occurred while opening logfile C:\\WINDOWS\\system32\\config\\systemprofile\\AppData\\Local\\TileDataLayer\\Database\\EDB.log.", 1, "ESENT|455|Logging/Recovery"),
        S("temp_profile", "WARNING", "Windows cannot find the local profile and is logging you on with a temporary profile. Changes you make to this profile will be lost when you log off.", 1, "Microsoft-Windows-User Profiles Service|1511|None"),
        S("scm_7036", "INFO", "The ${svcname} service entered the ${choice:running|stopped} state.", 5, "Service Control Manager|7036|None"),
        S("scm_7040", "INFO", "The start type of the ${svcname} service was changed from ${choice:auto start|demand start|disabled} to ${choice:demand start|auto start|disabled}.", 2, "Service Control Manager|7040|None"),
    )

    def line(self, rng, t, st, message, component, style):
        source, event_id, category = component.split("|")
        hour = t.hour % 12 or 12
        stamp = f"{t.month}/{t.day}/{t.year} {hour}:{t:%M:%S} {'AM' if t.hour < 12 else 'PM'}"
        level = self.level_word[st.level]
        if style == "csv":
            written = message.replace('"', '""')
            return f'{level},{stamp},{source},{event_id},{category},"{written}"', written
        return "\t".join((level, stamp, source, event_id, category, message))


class Jenkins(Layout):
    """Jenkins controller log (2.267+): ``2026-11-27 02:00:01.123+0000 [id=42]\\tWARNING\\t
    logger#method: msg``."""

    name = "jenkins"
    statements = (
        S("invalid_crumb", "WARNING", "Found invalid crumb ${hex:64}. If you are calling this URL with a script, please use the API Token instead. More information: https://www.jenkins.io/redirect/crumb-cannot-be-used-for-script", 5, "hudson.security.csrf.CrumbFilter#doFilter"),
        S("no_crumb", "WARNING", "No valid crumb was included in request for /${jenkinsurl} by ${user}. Returning 403.", 4, "hudson.security.csrf.CrumbFilter#doFilter"),
        S("ping_failed", "WARNING", "Ping failed. Terminating the channel ${agent}.", 4, "hudson.slaves.ChannelPinger$1#onDead"),
        S("channel_terminated", "WARNING", "Computer.threadPoolForRemoting [#${int:1..900}] for ${agent} terminated: java.nio.channels.ClosedChannelException", 3, "j.s.DefaultJnlpSlaveReceiver#channelClosed"),
        S("executor_exception", "SEVERE", "Executor threw an exception", 2, "hudson.model.Executor#finish1"),
        S("scm_polling", "SEVERE", "Failed to record SCM polling for hudson.model.FreeStyleProject@${hex:6..8}[${job}]", 2, "hudson.triggers.SCMTrigger$Runner#run"),
        S("plugin_failed", "SEVERE", "Failed Loading plugin ${plugintitle} v${pluginver} (${plugin})", 2, "jenkins.InitReactorRunner$1#onTaskFailed"),
        S("update_site", "WARNING", "Upgrading Jenkins. Failed to update the default Update Site 'default'. Plugin upgrades may fail.", 1, "hudson.model.UpdateCenter#updateDefaultSite"),
        S("k8s_provisioning", "WARNING", "Error in provisioning; agent=KubernetesSlave name: ${choice:jenkins-agent|maven|nodejs}-${k5}-${k5}, template=PodTemplate{id='${hex:64}', name='${choice:jenkins-agent|maven|nodejs}', namespace='jenkins', label='${choice:jenkins-jenkins-agent|maven|nodejs}'}", 3, "o.c.j.p.k.KubernetesLauncher#launch"),
        S("build_completed", "INFO", "${job} #${int:1..9000} completed: ${choice:SUCCESS|FAILURE|ABORTED|UNSTABLE}", 5, "o.j.p.workflow.job.WorkflowRun#finish"),
        S("login_failed", "INFO", "Login attempt failed", 2, "h.s.AuthenticationProcessingFilter2#unsuccessfulAuthentication"),
        S("periodic_started", "INFO", "Started ${periodicwork}", 3, "hudson.model.AsyncPeriodicWork#lambda$doRun$1"),
        S("periodic_finished", "INFO", "Finished ${periodicwork}. ${jenkinsms} ms", 3, "hudson.model.AsyncPeriodicWork#lambda$doRun$1"),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%Y-%m-%d %H:%M:%S}.{_ms(t)}+0000 [id={rng.randint(20, 99999)}]\t{st.level}\t{component}: {message}"


class Airflow(Layout):
    """Airflow 2 logs (python logging): a task log ``[2026-11-27, 02:00:01 UTC] {file.py:N}
    ERROR - msg`` or the scheduler's ``[2026-11-27T02:00:01.123+0000] {file.py:N} ERROR - msg``."""

    name = "airflow"
    styles = ("task", "scheduler")
    statements = (
        S("task_failed", "ERROR", "Task failed with exception", 8, "taskinstance.py:2698"),
        S("job_failed", "ERROR", "Failed to execute job ${int:1..999999} for task ${task} (${text:airflow_reason}; ${int:100..99999})", 4, "standard_task_runner.py:104"),
        S("executor_reports", "ERROR", "Executor reports task instance <TaskInstance: ${dag}.${task} ${runid} [queued]> finished (failed) although the task says it's queued. (Info: None) Was the task killed externally?", 3, "scheduler_job_runner.py:835"),
        S("externally_set", "WARNING", "State of this instance has been externally set to ${choice:failed|success|None}. Terminating instance.", 3, "local_task_job_runner.py:292"),
        S("sigterm", "ERROR", "Received SIGTERM. Terminating subprocesses.", 3, "taskinstance.py:1632"),
        S("timeout", "ERROR", "Process timed out, PID: ${int:100..99999}", 2, "timeout.py:68"),
        S("import_failed", "ERROR", "Failed to import: /opt/airflow/dags/${dag}.py", 2, "dagbag.py:346"),
        S("zombie", "ERROR", "Detected zombie job: {'full_filepath': '/opt/airflow/dags/${d=dag}.py', 'processor_subdir': '/opt/airflow/dags', 'msg': \"{'DAG Id': '${@d}', 'Task Id': '${task}', 'Run Id': '${runid}', 'Hostname': '${airflowworker}', 'External Executor Id': '${uuid}'}\", 'simple_task_instance': <airflow.models.taskinstance.SimpleTaskInstance object at 0x7f${hex:10}>, 'is_failure_callback': True}", 2, "scheduler_job_runner.py:1742"),
        S("deprecation", "WARNING", "${airflowpath}:${int:10..900} ${choice:DeprecationWarning|RemovedInAirflow3Warning|AirflowProviderDeprecationWarning}: ${text:airflow_deprec}", 3, "logging_mixin.py:188"),
        S("celery_failed", "ERROR", "Celery command failed on host: ${airflowworker} with celery_task_id ${uuid}", 1, "celery_executor_utils.py:157"),
        S("marking_failed", "INFO", "Marking task as FAILED. dag_id=${dag}, task_id=${task}, execution_date=${airts}, start_date=${airts}, end_date=${airts}", 4, "taskinstance.py:1138"),
        S("marking_retry", "INFO", "Marking task as UP_FOR_RETRY. dag_id=${dag}, task_id=${task}, execution_date=${airts}, start_date=${airts}, end_date=${airts}", 3, "taskinstance.py:1138"),
        S("deps_not_met", "INFO", "Dependencies not met for <TaskInstance: ${dag}.${task} ${runid} [${choice:running|queued|success}]>, dependency '${choice:Task Instance State|Task Instance Not Running}' FAILED: ${choice:Task is in the 'running' state.|Task is in the running state}", 2, "taskinstance.py:1161"),
        S("dagrun_finished", "INFO", "DagRun Finished: dag_id=${dag}, execution_date=${airiso}, run_id=${runid}, run_start_date=${airiso}, run_end_date=${airiso}, run_duration=${float:0..9000/6}, state=${choice:failed|success}, external_trigger=False, run_type=scheduled, data_interval_start=${airiso}, data_interval_end=${airiso}, dag_hash=${hex:32}", 2, "dagrun.py:822"),
        S("using_connection", "INFO", "Using connection ID '${connid}' for task execution.", 3, "base.py:83"),
    )

    def line(self, rng, t, st, message, component, style):
        if style == "scheduler":
            stamp = f"[{t:%Y-%m-%dT%H:%M:%S}.{_ms(t)}+0000]"
        else:
            stamp = f"[{t:%Y-%m-%d}, {t:%H:%M:%S} UTC]"
        return f"{stamp} {{{component}}} {st.level} - {message}"


class NginxDocker(Layout):
    """The official nginx image's stdout/stderr as ``docker logs`` shows it: access lines (the
    ``main`` log_format, one statement) interleaved with error-log lines
    (``2026/11/27 02:00:01 [error] 29#29: *123 msg``). Component "access", "conn" (error with a
    connection number), "proc" (error without one) or "entrypoint"."""

    name = "nginx_docker"
    level_word = {"ERROR": "error", "WARNING": "warn", "CRIT": "crit", "ALERT": "alert", "EMERG": "emerg",
                  "NOTICE": "notice", "INFO": "info"}
    statements = (
        S("access", "INFO", '${cip} - ${choice:-|-|-|${user}} [${clf}] "${method} ${upath} HTTP/${choice:1.1|1.1|2.0|1.0}" ${status} ${int:0..99999} "${referer}" "${ua}" "${choice:-|-|${ip}|${ip}, ${ip}}"', 14, "access"),
        S("open_failed", "ERROR", 'open() "/usr/share/nginx/html${s=staticpath}" failed (2: No such file or directory), client: ${cip}, server: ${choice:localhost|_|${server}}, request: "GET ${@s} HTTP/1.1", host: "${choice:${ip}|${server}}"', 6, "conn"),
        S("premature", "ERROR", 'upstream prematurely closed connection while reading response header from upstream, client: ${cip}, server: ${h=server}, request: "${method} ${p=upath} HTTP/1.1", upstream: "http://${ip}:${port}${@p}", host: "${@h}"', 4, "conn"),
        S("buffered_upstream", "WARNING", 'an upstream response is buffered to a temporary file ${proxytemp} while reading upstream, client: ${cip}, server: ${h=server}, request: "GET ${p=upath} HTTP/1.1", upstream: "http://${ip}:${port}${@p}", host: "${@h}"', 4, "conn"),
        S("buffered_body", "WARNING", 'a client request body is buffered to a temporary file /var/cache/nginx/client_temp/${int10}, client: ${cip}, server: ${h=server}, request: "${choice:POST|PUT} ${upath} HTTP/1.1", host: "${@h}"', 3, "conn"),
        S("too_large", "ERROR", 'client intended to send too large body: ${int:1048577..99999999} bytes, client: ${cip}, server: ${h=server}, request: "POST ${choice:/upload|/api/v1/files|/wp-admin/async-upload.php|/graphql} HTTP/1.1", host: "${@h}"', 3, "conn"),
        S("ssl_handshake", "CRIT", "SSL_do_handshake() failed (SSL: error:${HEX:8}:SSL routines::${choice:unsupported protocol|no shared cipher|wrong version number|bad key share}) while SSL handshaking, client: ${cip}, server: 0.0.0.0:443", 3, "conn"),
        S("limiting_requests", "ERROR", 'limiting requests, excess: ${excess} by zone "${zone}", client: ${cip}, server: ${h=server}, request: "${method} ${upath} HTTP/1.1", host: "${@h}"', 4, "conn"),
        S("delaying_request", "WARNING", 'delaying request, excess: ${excess} by zone "${zone}", client: ${cip}, server: ${h=server}, request: "${method} ${upath} HTTP/1.1", host: "${@h}"', 2, "conn"),
        S("no_live_upstreams", "ERROR", 'no live upstreams while connecting to upstream, client: ${cip}, server: ${h=server}, request: "${method} ${p=upath} HTTP/1.1", upstream: "http://${choice:backend|app_servers|api}${@p}", host: "${@h}"', 2, "conn"),
        S("bind_failed", "EMERG", "bind() to ${choice:0.0.0.0:80|0.0.0.0:443|[::]:80} failed (98: Address already in use)", 1, "proc"),
        S("worker_connections", "ALERT", "${choice:768|1024|4096} worker_connections are not enough", 1, "proc"),
        S("worker_exited", "NOTICE", "worker process ${int:20..99} exited with code 0", 1, "proc"),
        S("entrypoint_ready", "INFO", "/docker-entrypoint.sh: Configuration complete; ready for start up", 1, "entrypoint"),
    )

    def begin_file(self, rng, start, index, style):
        self.workers = [rng.randint(20, 60) for _ in range(4)]
        self.connection = rng.randint(1, 5000)

    def line(self, rng, t, st, message, component, style):
        if component in ("access", "entrypoint"):
            return message
        pid = 1 if st.level == "EMERG" else rng.choice(self.workers)
        self.connection += rng.randint(1, 40)
        conn = f"*{self.connection} " if component == "conn" else ""
        return f"{t:%Y/%m/%d %H:%M:%S} [{self.level_word[st.level]}] {pid}#{pid}: {conn}{message}"


class SshdIso(Layout):
    """sshd through rsyslog with high-precision stamps (``2026-11-27T02:00:01.123456+00:00 host
    sshd[pid]: msg``); error() and fatal() lines carry ``error: `` / ``fatal: ``."""

    name = "sshd_iso"
    prefix = {"ERROR": "error: ", "FATAL": "fatal: ", "INFO": ""}
    statements = (
        S("banner_invalid", "ERROR", "kex_exchange_identification: banner line contains invalid characters", 3),
        S("invalid_identifier", "ERROR", 'kex_exchange_identification: client sent invalid protocol identifier "${choice:GET / HTTP/1.1|MGLNDD_${ip}_22|\\x16\\x03\\x01\\x02|SSH-2.0-Go}"', 3),
        S("kex_protocol", "ERROR", "kex_protocol_error: type 20 seq 2 [preauth]", 1),
        S("pubkey_algo", "ERROR", "userauth_pubkey: key type ssh-rsa not in PubkeyAcceptedAlgorithms [preauth]", 2),
        S("authorized_keys_cmd", "ERROR", "AuthorizedKeysCommand /usr/bin/sss_ssh_authorizedkeys ${user} failed, status ${int:1..2}", 2),
        S("host_key", "ERROR", "Could not load host key: /etc/ssh/ssh_host_${choice:dsa|ecdsa|ed25519|rsa}_key", 1),
        S("protocol_major", "ERROR", "Protocol major versions differ: 2 vs. 1", 1),
        S("timeout_auth", "FATAL", "Timeout before authentication for ${ip} port ${port}", 3),
        S("closed_auth_user", "INFO", "Connection closed by authenticating user ${sshuser} ${ip} port ${port} [preauth]", 8),
        S("disconnected_invalid", "INFO", "Disconnected from invalid user ${sshuser} ${ip} port ${port} [preauth]", 6),
        S("received_disconnect", "INFO", "Received disconnect from ${ip} port ${port}:11: ${choice:Bye Bye|Normal Shutdown, Thank you for playing|disconnected by user|Client disconnecting normally} [preauth]", 5),
        S("banner_exchange", "INFO", "banner exchange: Connection from ${ip} port ${port}: ${choice:invalid format|Broken pipe|could not read protocol version}", 4),
        S("invalid_user_port", "INFO", "Invalid user ${sshuser} from ${ip} port ${port}", 5),
        S("accepted_pubkey", "INFO", "Accepted publickey for ${user} from ${ip} port ${port} ssh2: ${choice:RSA|ED25519|ECDSA} SHA256:${b64:43}", 4),
        S("session_opened", "INFO", "pam_unix(sshd:session): session opened for user ${user}(uid=${int:0..2000}) by ${choice:(uid=0)|${user}(uid=0)}", 2),
        S("bad_ownership", "INFO", "Authentication refused: bad ownership or modes for directory /home/${user}${choice:|/.ssh}", 1),
        S("pam_more_failures", "INFO", "PAM ${int:2..5} more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${sshuser}", 2),
        S("drop_connection", "INFO", "drop connection #${int:0..9} from [${ip}]:${port} on [${ip}]:22 past MaxStartups", 2),
    )

    def begin_file(self, rng, start, index, style):
        self.host = rng.choice(("bastion-2", "git", "ip-172-31-40-7", "vps"))

    def line(self, rng, t, st, message, component, style):
        return (f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}+00:00 {self.host} sshd[{rng.randint(1000, 999999)}]: "
                f"{self.prefix[st.level]}{message}")


class Dmesg(Layout):
    """The kernel ring buffer: ``dmesg`` (``[ 1234.567890] msg``, no level) or ``dmesg -T -x``
    (``kern  :err   : [Fri Nov 27 02:00:01 2026] msg``)."""

    name = "dmesg"
    styles = ("plain", "decoded")
    level_word = {"ERROR": "err", "WARNING": "warn", "INFO": "info", "CRIT": "crit", "NOTICE": "notice"}
    statements = (
        S("buffer_io_read", "ERROR", "Buffer I/O error on dev ${part}, logical block ${int:0..999999999}, async page read", 4),
        S("buffer_io_write", "ERROR", "Buffer I/O error on dev ${part}, logical block ${int:0..999999999}, lost async page write", 3),
        S("nvme_timeout_abort", "WARNING", "nvme nvme${int:0..3}: I/O ${int:0..1023} QID ${int:1..16} timeout, aborting", 3),
        S("nvme_timeout_reset", "WARNING", "nvme nvme${int:0..3}: I/O ${int:0..1023} QID ${int:1..16} timeout, reset controller", 2),
        S("nvme_down", "WARNING", "nvme nvme${int:0..3}: controller is down; will reset: CSTS=0x${choice:3|1|ffffffff}, PCI_STATUS=0x${choice:10|ffff|2010}", 1),
        S("syn_flood", "WARNING", "TCP: request_sock_TCP: Possible SYN flooding on port ${choice:[::]:443|0.0.0.0:80|${ip}:8080|80|443}. Sending cookies.  Check SNMP counters.", 3),
        S("conntrack_full", "WARNING", "nf_conntrack: nf_conntrack: table full, dropping packet", 3),
        S("ufw_block", "WARNING", "[UFW BLOCK] ${text:ufw}", 4),
        S("oom_invoked", "WARNING", "${comm} invoked oom-killer: gfp_mask=0x${hex:4..6}(${choice:GFP_KERNEL|GFP_HIGHUSER_MOVABLE|GFP_KERNEL_ACCOUNT}), order=0, oom_score_adj=${choice:0|0|-997|1000|999}", 3),
        S("hung_task", "ERROR", "INFO: task ${comm}:${int:100..999999} blocked for more than ${choice:120|241|362|483} seconds.", 3),
        S("ata_failed_cmd", "ERROR", "ata${int:1..8}.00: failed command: ${choice:READ FPDMA QUEUED|WRITE FPDMA QUEUED|FLUSH CACHE EXT|READ DMA EXT}", 3),
        S("ata_serror", "ERROR", "ata${int:1..8}: SError: { ${serror} }", 2),
        S("xfs_corruption", "ERROR", "XFS (${part}): Metadata corruption detected at xfs_${choice:dir3_leaf_read_verify|inode_buf_verify|agf_read_verify|bmbt_read_verify}+0x${hex:2..3}/0x${hex:3} [xfs], xfs_${choice:dir3_leafn|inode|agf|bmbt} block 0x${hex:4..9}", 2),
        S("edac_ce", "WARNING", "EDAC MC${int:0..1}: ${int:1..9} CE memory read error on CPU_SrcID#${int:0..1}_Ha#0_Chan#${int:0..3}_DIMM#${int:0..1} (channel:${int:0..3} slot:${int:0..1} page:0x${hex:5..6} offset:0x0 grain:32 syndrome:0x0 - area:DRAM err_code:0000:009f socket:${int:0..1} ha:0 channel_mask:${choice:1|2|4|8} rank:${int:0..3})", 2),
        S("ext4_htree", "WARNING", "EXT4-fs warning (device ${part}): ext4_dx_add_entry:${choice:2516|2590}: Directory (ino: ${int}) index full, reach max htree level :2", 1),
        S("ext4_remount_ro", "CRIT", "EXT4-fs (${part}): Remounting filesystem read-only", 1),
        S("segfault", "INFO", "${comm}[${int:100..999999}]: segfault at ${hex:1..12} ip ${choice:00007f|000055|000056}${hex:10} sp 00007ff${hex:9} error ${choice:4|6|14|15} in ${lib}[7f${hex:10}+${hex:5..6}] likely on CPU ${int:0..63} (core ${int:0..31}, socket ${int:0..1})", 4),
        S("perf_interrupt", "INFO", "perf: interrupt took too long (${int:2500..9999} > ${int:2500..9999}), lowering kernel.perf_event_max_sample_rate to ${int:1000..99999}", 2),
        S("apparmor_denied", "NOTICE", 'audit: type=1400 audit(${epoch}:${int:10..99999}): apparmor="DENIED" operation="${choice:open|mknod|capable|exec|file_mmap}" class="file" profile="${aaprofile}" name="${aapath}" pid=${int:100..999999} comm="${comm}" requested_mask="${choice:r|w|rw|wc}" denied_mask="${choice:r|w|rw|wc}" fsuid=${int:0..2000} ouid=${int:0..2000}', 3),
        S("bridge_state", "INFO", "${choice:docker0|br-${hex:12}|cni0}: port ${int:1..30}(veth${hex:7}) entered ${choice:blocking|disabled|forwarding} state", 4),
        S("link_up", "INFO", "e1000e 0000:00:1f.6 ${iface}: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: ${choice:None|Rx/Tx}", 1),
    )

    def begin_file(self, rng, start, index, style):
        self.boot = start - timedelta(seconds=rng.uniform(5, 3_000_000))

    def line(self, rng, t, st, message, component, style):
        up = t - self.boot
        if style == "decoded":
            return f"kern  :{self.level_word[st.level]:<6}: [{t:%a %b} {t.day:2d} {t:%H:%M:%S %Y}] {message}"
        return f"[{up.days * 86400 + up.seconds:5d}.{up.microseconds:06d}] {message}"


LAYOUTS: tuple[Layout, ...] = (
    Postgres(), MySQL(), Kubelet(), Etcd(), Elasticsearch(), Kafka(), Redis(), Journal(), HAProxy(),
    Tomcat(), Slurmctld(), Dockerd(), Consul(), Nomad(), WindowsEvents(), Jenkins(), Airflow(),
    NginxDocker(), SshdIso(), Dmesg(),
)

# Statements that differ only in constant text: each pair must get two templates (kind "text").
CONSTANT_TEXT_PAIRS = (
    ("postgres/relation_missing", "postgres/column_missing", "text"),
    ("postgres/cancel_timeout", "postgres/cancel_user", "text"),
    ("dockerd/blkio_weight", "dockerd/blkio_weight_device", "text"),
    ("dmesg/buffer_io_read", "dmesg/buffer_io_write", "text"),
    ("dmesg/nvme_timeout_abort", "dmesg/nvme_timeout_reset", "text"),
    ("nginx_docker/limiting_requests", "nginx_docker/delaying_request", "text"),
    ("slurmctld/not_responding", "slurmctld/not_responding_down", "text"),
    ("elasticsearch/high_watermark", "elasticsearch/flood_watermark", "text"),
)


def _layout_seed(seed: int, name: str) -> int:
    return seed * 1_000_033 + zlib.crc32(name.encode())


def datasets() -> list[tuple[str, Layout, str]]:
    """(name, layout, style) of every data set: one per layout style (the first style keeps the
    layout's name: ``postgres``, ``postgres_user_db``)."""
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
