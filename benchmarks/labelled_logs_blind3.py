# ruff: noqa: E501  (the statement tables below are long string literals)
"""A THIRD BLIND labelled log test set for template mining: every line says which statement wrote it.

Same interface as benchmarks/labelled_logs_blind2.py (``Statement``, ``LabelledLine``,
``LogFile``, ``datasets()``, ``generate(seed, lines_per_layout)``, ``lines_of``,
``statement_ids``, ``CONSTANT_TEXT_PAIRS``, ``--out DIR``). Written blind on 2026-12-02: its
author read only the other labelled sets' interfaces and layout lists, not logcrunch's template,
format or stamp rules (templates.py, formats.py, stamps.py, _fastscan.c or their tests), and
ran neither logcrunch nor Drain3 on it before it was committed (the commit date is the proof).
Its lines are written from what the programs below really log, header and wording, as
faithfully as they could be recalled. Its layouts are none of the tuned, held-out or blind2
sets' layouts.

Layouts: WildFly / JBoss EAP server.log (with Java stack traces after error lines), Gunicorn,
uWSGI (no levels), Celery worker, Sidekiq (text and JSON, a data set each), Nextcloud
(nextcloud.log JSON, numeric levels), Traefik v3 (zerolog console: ``ERR``/``WRN``), CoreDNS
(``kubectl logs``, no time stamp), OpenVPN server (no levels; peer prefixes), strongSwan charon
over syslog (no levels; thread and subsystem tags), SSSD (hex debug levels), chronyd over RFC
5424 syslog (severity only in the PRI number), NetworkManager over syslog (``<warn>`` and an
epoch stamp inside the message), Linux auditd (``audit.log``, enriched, no levels), PBS Pro
server_logs (semicolon fields, hex event classes), IBM Storage Scale / GPFS mmfs.log
(``[E]``/``[W]``/``[N]``/``[X]``), Fluent Bit (``[ warn]``), Fluentd (backtrace lines with
headers), Bacula (``JobId N: Fatal error:``), PgBouncer, lighttpd error log (no levels, source
file and line as the header), Grafana (logfmt with ``logger=`` and context before ``t=``).

What is in it on purpose, since real logs have it:

* variable words without digits: user names, queue, task and worker class names, router and
  service names, file system names, connection names, IKE connection names, data source names
  (some of several words), free-text reasons;
* variable-length parameters: PBS exec_vnode lists, AVC permission sets, Sidekiq job JSON,
  Traefik domain lists, stack frames;
* digits inside constant text (``WFLYCTL0013``, ``UDPv4``, ``AES-256-GCM``, ``dhcp4``,
  ``HTTP/1.1``, ``(gw_backend.c.314)``, ``#3``), numbers as levels (Nextcloud 0-4, SSSD
  ``0x0020``, PBS ``0001``, the syslog PRI), levels absent from the line and implied by the
  text (uWSGI, OpenVPN, strongSwan, auditd, lighttpd), levels that disagree with the text
  (GPFS's ``[N] ... lease renewal is overdue``);
* continuation lines: WildFly's ``at ...`` / ``Caused by: ...`` / ``... N more`` lines follow
  some error lines. They are statements of their own (the JVM's stack printer wrote them), of
  class error, since they are part of an error record;
* statements that differ only in constant text, listed in CONSTANT_TEXT_PAIRS.

A statement whose level is implied (the line shows none) carries its class word as its level
(ERROR / WARN / INFO), as blind2 does for Exim. Deterministic (seeded ``random.Random``);
placeholders ``${kind}``, ``${kind:arg}``, ``${name=kind:arg}`` and ``${@name}`` as in the
held-out set.

Usage::

    python benchmarks/labelled_logs_blind3.py --out DIR [--seed N] [--lines-per-layout N]
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

DEFAULT_SEED = 31207
DEFAULT_LINES_PER_LAYOUT = 200

ERROR = "error"
WARN = "warn"
INFO = "info"

LEVEL_CLASS = {
    "PANIC": ERROR, "FATAL": ERROR, "EMERG": ERROR, "ALERT": ERROR, "CRIT": ERROR, "CRITICAL": ERROR,
    "ERROR": ERROR,
    "WARNING": WARN, "WARN": WARN,
    "NOTICE": INFO, "INFO": INFO, "LOG": INFO, "DEBUG": INFO,
}

# ---------------------------------------------------------------------------------------------
# Parameter vocabulary.

LISTS = {
    "user": ("alice", "bob", "mgarcia", "jsmith", "wchen", "deploy", "backup", "svc_ldap", "nagios",
             "olga", "priya", "tkowalski", "admin", "helpdesk", "root", "lucia.fernandez", "k.weber"),
    "domain": ("example.com", "shop.example.com", "api.example.org", "grafana.acme.io", "corp.example.net",
               "status.example.com", "auth.acme.io", "files.example.org"),
    "war": ("shop.war", "admin-console.war", "api-gateway.war", "reports.ear", "billing-service.war",
            "legacy-crm.ear", "keycloak-theme.jar"),
    "jcat_req": ("io.undertow.request", "org.jboss.resteasy.resteasy_jaxrs.i18n",
                 "org.jboss.as.ejb3.invocation", "org.hibernate.engine.jdbc.spi.SqlExceptionHelper"),
    "ejb": ("OrderServiceBean", "CustomerRepository", "InvoiceFacade", "PaymentGatewayBean",
            "InventorySync", "ReportScheduler"),
    "jmethod": ("placeOrder", "findByEmail", "createInvoice", "charge", "synchronise", "runNightly"),
    "jtype": ("void", "java.util.List", "com.example.shop.model.Order", "boolean", "java.lang.String"),
    "datasource": ("java:jboss/datasources/ShopDS", "java:jboss/datasources/ExampleDS",
                   "java:jboss/datasources/ReportingDS", "java:/jdbc/LegacyOracle"),
    "ctask": ("app.tasks.send_email", "orders.tasks.sync_inventory", "billing.tasks.charge_card",
              "reports.tasks.render_pdf", "search.tasks.reindex_products", "notifications.tasks.push",
              "etl.tasks.load_warehouse"),
    "cworker": ("celery@orders-worker", "celery@default-worker", "celery@reports", "celery@ip-10-0-3-17",
                "celery@worker-7d9f8b6c4-x2v9q"),
    "swclass": ("ActionMailer::MailDeliveryJob", "SyncInventoryJob", "WebhookDeliveryWorker",
                "ImportCsvWorker", "ReportExportJob", "Searchkick::ReindexV2Job", "StripeChargeWorker"),
    "squeue": ("default", "mailers", "critical", "low", "webhooks", "imports"),
    "ncapp": ("files", "dav", "files_sharing", "user_ldap", "calendar", "richdocuments", "files_versions"),
    "ncpath": ("Documents/report.xlsx", "Photos/IMG_2041.JPG", "Notes/todo.md", "Shared/Budget 2026.ods",
               "Talk/recording.webm", "Projects/offer final (2).docx", "InstantUpload/Camera/VID_0012.mp4"),
    "router": ("whoami", "api", "grafana", "dashboard", "shop-frontend", "keycloak", "registry", "n8n"),
    "entry": ("web", "websecure", "metrics", "traefik"),
    "qname": ("api.example.com.", "kubernetes.default.svc.cluster.local.", "grafana.monitoring.svc.cluster.local.",
              "www.google.com.", "registry-1.docker.io.", "s3.eu-west-1.amazonaws.com.",
              "api.example.com.default.svc.cluster.local.", "metadata.google.internal.",
              "redis-master.data.svc.cluster.local."),
    "qtype": ("A", "A", "AAAA", "AAAA", "SRV", "PTR", "TXT", "HINFO"),
    "rcode": ("NOERROR", "NOERROR", "NOERROR", "NXDOMAIN", "NXDOMAIN", "SERVFAIL", "REFUSED"),
    "cn": ("alice", "jsmith", "mgarcia", "branch-office", "build-agent", "phone-priya", "laptop-bob",
           "kiosk-lobby"),
    "ikeconn": ("site-to-site", "roadwarrior", "azure-vnet", "office-berlin", "aws-tunnel", "partner-vpn"),
    "ike_alg": ("AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
                "AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384", "AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024",
                "3DES_CBC/HMAC_MD5_96/PRF_HMAC_MD5/MODP_1024", "AES_GCM_16_128/PRF_HMAC_SHA2_256/CURVE_25519"),
    "sssdom": ("corp.example.com", "ad.example.org", "ipa.example.net", "LDAP"),
    "ldapsrv": ("dc.corp.example.com", "ldap.example.org", "ipa.example.net", "ad-east.corp.example.com"),
    "ptask": ("Subdomains Refresh", "Enumeration Refresh", "Check if online (ptask)",
              "AD machine account password renewal", "Refresh Records", "SUDO Smart Refresh"),
    "ntpsrc": ("2.debian.pool.ntp.org", "time.cloudflare.com", "ntp.ubuntu.com", "time.google.com",
               "0.rhel.pool.ntp.org", "ntp.corp.example.com", "ptbtime1.ptb.de"),
    "iface": ("eth0", "enp0s31f6", "eno1", "ens192", "enp3s0"),
    "wlan": ("wlp2s0", "wlan0", "wlp0s20f3"),
    "conname": ("Wired connection 1", "eduroam", "Office WiFi", "HomeNet 5G", "VPN Berlin",
                "FRITZ!Box 7590 XY", "Hotel Guest", "corp-8021x"),
    "nmstate": ("unavailable", "disconnected", "prepare", "config", "need-auth", "ip-config",
                "ip-check", "secondaries", "activated", "deactivating", "failed"),
    "nmreason": ("none", "supplicant-disconnect", "ip-config-unavailable", "carrier-changed",
                 "user-requested", "dependency-failed", "no-secrets", "supplicant-timeout", "connection-removed"),
    "comm": ("httpd", "nginx", "postgres", "php-fpm", "java", "sshd", "containerd-shim", "python3",
             "smbd", "named"),
    "sedom": ("httpd_t", "nginx_t", "postgresql_t", "container_t", "sshd_t", "init_t", "smbd_t",
              "unconfined_service_t"),
    "setgt": ("user_home_t", "var_t", "default_t", "unlabeled_t", "httpd_sys_content_t", "tmp_t",
              "admin_home_t", "shadow_t"),
    "fname": ("index.html", "config.php", "authorized_keys", "pg_hba.conf", "data", "uploads",
              "app.sock", "id_rsa", ".bash_history"),
    "exe": ("/usr/sbin/httpd", "/usr/bin/python3.11", "/usr/lib/jvm/java-17-openjdk/bin/java",
            "/usr/sbin/nginx", "/usr/local/bin/node", "/usr/bin/containerd-shim-runc-v2"),
    "unit": ("nginx", "postgresql", "docker", "chronyd", "sssd", "kubelet", "httpd", "mariadb"),
    "pbsq": ("workq", "gpu", "long", "debug", "express", "bigmem"),
    "jname": ("run_vasp", "train.sh", "STDIN", "md_sim", "blast_search", "cfd-mesh", "wrf_forecast"),
    "gpfsfs": ("gpfs01", "scratch", "home", "projects", "archive"),
    "gnode": ("cn042", "cn117", "nsd-server-2", "ess-io1", "login01", "gpu-a100-07", "protocol-ces3"),
    "fbin": ("tail.0", "systemd.0", "tail.1", "forward.0", "cpu.0", "kmsg.0"),
    "fbout": ("es.0", "forward.0", "loki.0", "kafka.0", "http.1", "s3.0"),
    "ftag": ("kubernetes.var.log.containers.web-6f7c9d_default_web-0a1b2c.log", "app.access", "nginx.error",
             "system.auth", "docker.app", "k8s.audit"),
    "fplugin": ("out_es", "out_forward", "object:3fdc", "out_s3", "es_output"),
    "bclient": ("webserver-fd", "mailhost-fd", "fileserver-fd", "db-primary-fd", "laptop-olga-fd"),
    "bjob": ("BackupWebserver", "BackupCatalog", "NightlyFiles", "MailArchive", "RestoreFiles"),
    "bdev": ("FileStorage", "FileChgr1-Dev1", "LTO8-Drive0", "CloudDevice"),
    "pgdb": ("shop", "billing", "auth", "analytics", "pgbouncer", "metabase"),
    "pguser": ("app", "readonly", "etl", "grafana", "metabase", "pgbouncer", "django"),
    "dsname": ("Prometheus", "Loki", "PostgreSQL Prod", "Elasticsearch logs", "Tempo", "InfluxDB (Flux)"),
    "gruser": ("admin", "alice", "viewer", "sre-oncall", "api-key"),
    "gpath": ("/api/ds/query", "/api/dashboards/uid/${hex:9}", "/api/datasources/proxy/uid/${hex:9}/api/v1/query_range",
              "/api/search", "/api/live/ws", "/api/user/auth-tokens/rotate", "/api/annotations"),
    "method": ("GET", "GET", "GET", "POST", "PUT", "DELETE"),
    "status": ("200", "200", "200", "304", "404", "500", "502", "503"),
    "upath": ("/", "/api/orders", "/api/orders/${int}", "/login", "/static/app.${hex:8}.js", "/healthz",
              "/admin/reports?page=${int:1..40}", "/api/v2/users/${int}/avatar", "/cart/checkout",
              "/favicon.ico"),
}

TEXTS = {
    "pyexc": ("ConnectionError('Error 111 connecting to redis:6379. Connection refused.')",
              "OperationalError('server closed the connection unexpectedly\\n\\tThis probably means the server terminated abnormally\\n\\tbefore or while processing the request.\\n')",
              "KeyError('customer_id')", "TimeoutError()",
              "SMTPServerDisconnected('Connection unexpectedly closed')",
              "HTTPError('502 Server Error: Bad Gateway for url: https://api.example.com/v1/charges')",
              "IntegrityError('duplicate key value violates unique constraint \"orders_pkey\"\\nDETAIL:  Key (id)=(${int}) already exists.\\n')",
              "SoftTimeLimitExceeded()"),
    "celres": ("None", "None", "True", "{'status': 'ok'}", "${int}", "{'sent': ${int:1..400}, 'failed': ${int:0..9}}", "'done'"),
    "rbexc": ("ActiveRecord::ConnectionTimeoutError: could not obtain a connection from the pool within 5.000 seconds (waited 5.00${int:1..9} seconds); all pooled connections were in use",
              "Net::ReadTimeout: Net::ReadTimeout with #<TCPSocket:(closed)>",
              "NoMethodError: undefined method `email' for nil:NilClass",
              "Redis::CannotConnectError: Error connecting to Redis on redis:6379 (Errno::ECONNREFUSED)",
              "ActiveRecord::RecordNotFound: Couldn't find User with 'id'=${int}",
              "Faraday::TimeoutError: execution expired", "Stripe::CardError: Your card was declined."),
    "rbframe": ("/app/app/workers/${choice:sync_inventory_job|webhook_delivery_worker|import_csv_worker}.rb:${int:5..200}:in `perform'",
                "/usr/local/bundle/gems/activerecord-7.1.2/lib/active_record/connection_adapters/abstract/connection_pool/queue.rb:128:in `block in wait_poll'",
                "/usr/local/bundle/gems/net-protocol-0.2.2/lib/net/protocol.rb:229:in `rbuf_fill'",
                "/usr/local/bundle/gems/redis-client-0.19.1/lib/redis_client/ruby_connection.rb:${int:40..140}:in `connect'"),
    "nodeerr": ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
                "Error response from daemon: client version 1.24 is too old. Minimum supported API version is 1.40, please upgrade your client to a newer version",
                "context deadline exceeded", "dial tcp ${ip}:2376: connect: connection refused"),
    "acmeerr": ("acme: error: 403 :: urn:ietf:params:acme:error:unauthorized :: Invalid response from http://${@d}/.well-known/acme-challenge/${b64u}: 404",
                "acme: error: 429 :: POST :: https://acme-v02.api.letsencrypt.org/acme/new-order :: urn:ietf:params:acme:error:rateLimited :: Error creating new order :: too many certificates (5) already issued for this exact set of domains in the last 168 hours",
                "acme: error: 400 :: urn:ietf:params:acme:error:dns :: DNS problem: NXDOMAIN looking up A for ${@d} - check that a DNS record exists for this domain"),
    "dnserr": ("read udp ${ip}:${port}->${ip}:53: i/o timeout", "dial tcp ${ip}:53: connect: connection refused",
               "read udp ${ip}:${port}->${ip}:53: read: connection refused", "no healthy upstream"),
    "sdap_err": ("[111][Connection refused]", "[110][Connection timed out]", "[113][No route to host]",
                 "[104][Connection reset by peer]"),
    "krb5err": ("[-1765328360][Preauthentication failed]", "[-1765328378][Client '${user}@${sssdom}' not found in Kerberos database]",
                "[-1765328228][Cannot contact any KDC for realm 'CORP.EXAMPLE.COM']",
                "[-1765328361][Password has expired]"),
    "tlserr": ("error:0A000416:SSL routines::sslv3 alert certificate unknown",
               "error:0A00010B:SSL routines::wrong version number", "error:0A000126:SSL routines::unexpected eof while reading",
               "error:0A000102:SSL routines::unsupported protocol"),
    "phperr": ("PHP Warning:  Undefined variable $${choice:user|total|cart} in /var/www/html/${choice:index|cart|admin/report}.php on line ${int:3..900}",
               "PHP Fatal error:  Uncaught Error: Call to a member function fetch() on bool in /var/www/html/lib/db.php:${int:10..400}",
               "PHP Deprecated:  Creation of dynamic property Cart::$items is deprecated in /var/www/html/lib/cart.php on line ${int:10..400}"),
    "lokierr": ("entry for stream '{job=\"fluent-bit\", namespace=\"${choice:default|prod|kube-system}\"}' has timestamp too old: 2026-11-${int:10..20}T${int:10..23}:${int:10..59}:${int:10..59}Z, oldest acceptable timestamp is: 2026-11-${int:17..23}T${int:10..23}:${int:10..59}:${int:10..59}Z",
                "Ingestion rate limit exceeded for user fake (limit: 4194304 bytes/sec) while attempting to ingest '${int}' lines totaling '${int}' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased"),
    "tfrule": ("HostRegexp(`^.+\\.example\\.com$`)", "PathPrefix(`/api`)", "PathPrefix(`/v2`) && Method(`POST`)",
               "HostRegexp(`^[a-z]+\\.acme\\.io$`) || PathPrefix(`/healthz`)"),
    "grerr": ("Post \\\"http://prometheus:9090/api/v1/query_range\\\": dial tcp ${ip}:9090: connect: connection refused",
              "context deadline exceeded", "invalid character '<' looking for beginning of value",
              "failed to execute query: pq: canceling statement due to statement timeout",
              "rpc error: code = Unavailable desc = connection error: desc = \\\"transport: Error while dialing: dial tcp ${ip}:3100: i/o timeout\\\""),
    "fderr": ("Connection refused - connect(2) for \\\"${choice:elasticsearch|fluentd-aggregator|10.0.4.7}\\\" port ${choice:9200|24224}",
              "getaddrinfo: Name or service not known", "Timeout flush: ${ftag}:${hex:8}",
              "[400] {\\\"error\\\":{\\\"type\\\":\\\"mapper_parsing_exception\\\",\\\"reason\\\":\\\"failed to parse field [level] of type [long]\\\"}}",
              "could not push logs to Elasticsearch cluster ({:host=>\\\"elasticsearch\\\", :port=>9200, :scheme=>\\\"http\\\"}): read timeout reached"),
    "fderrcls": ("Errno::ECONNREFUSED", "SocketError", "Fluent::Plugin::ElasticsearchOutput::RecoverableRequestFailure",
                 "Fluent::Plugin::Buffer::BufferOverflowError", "Net::ReadTimeout"),
    "wf_cause": ("org.postgresql.util.PSQLException: ERROR: duplicate key value violates unique constraint \"orders_pkey\"",
                 "java.net.SocketTimeoutException: Read timed out",
                 "java.sql.SQLException: IJ031041: Connection handle has been closed and is unusable",
                 "jakarta.persistence.OptimisticLockException: Row was updated or deleted by another transaction",
                 "java.lang.IllegalStateException: WFLYEE0046: An exception occurred while creating a pooled instance"),
    "wf_exc": ("java.lang.NullPointerException: Cannot invoke \"String.length()\" because \"name\" is null",
               "jakarta.ejb.EJBTransactionRolledbackException: Transaction rolled back",
               "org.hibernate.exception.ConstraintViolationException: could not execute statement",
               "java.lang.OutOfMemoryError: Java heap space",
               "jakarta.ws.rs.ProcessingException: RESTEASY004655: Unable to invoke request"),
    "wf_frame": ("com.example.shop.orders.OrderResource.create(OrderResource.java:${int:20..400})",
                 "com.example.shop.orders.OrderService.place(OrderService.java:${int:20..400})",
                 "org.jboss.resteasy.core.MethodInjectorImpl.invoke(MethodInjectorImpl.java:170)",
                 "io.undertow.servlet.handlers.ServletHandler.handleRequest(ServletHandler.java:74)",
                 "org.hibernate.engine.jdbc.spi.SqlExceptionHelper.convert(SqlExceptionHelper.java:113)",
                 "java.base/java.lang.Thread.run(Thread.java:840)",
                 "org.jboss.threads.EnhancedQueueExecutor$ThreadBody.run(EnhancedQueueExecutor.java:1512)",
                 "org.jboss.as.ejb3.tx.CMTTxInterceptor.invokeInOurTx(CMTTxInterceptor.java:279)",
                 "jdk.internal.reflect.GeneratedMethodAccessor${int:100..999}.invoke(Unknown Source)",
                 "org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2713)",
                 "java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)"),
}


def _ip(rng, arg="", env=None):
    r = rng.random()
    if r < 0.4:
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if r < 0.55:
        return f"192.168.{rng.randint(0, 30)}.{rng.randint(1, 254)}"
    return f"{rng.choice((31, 45, 62, 77, 85, 91, 103, 141, 178, 185, 203, 212))}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _uuid(rng, arg, env):
    h = _hexdigits(rng, "32")
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _epoch(rng, arg, env):
    t = env["_t"] - timedelta(seconds=rng.randint(0, 600))
    return str(int((t - datetime(1970, 1, 1)).total_seconds()))


def _b64u(rng, arg, env):
    return _hexdigits(rng, arg or "43", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _godur(rng, arg, env):
    kind = rng.random()
    if kind < 0.4:
        return f"{rng.uniform(100, 999):.{rng.randint(3, 6)}f}ms"
    if kind < 0.9:
        return f"{rng.uniform(1, 30):.{rng.randint(3, 9)}f}s"
    return f"{rng.randint(1, 9)}m{rng.uniform(0, 59):.3f}s"


def _hms(rng, arg, env):
    s = rng.randint(0, 48 * 3600)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def _pbsjob(rng, arg, env):
    job = rng.randint(1000, 999999)
    return f"{job}[{rng.randint(1, 200)}].pbs01" if rng.random() < 0.15 else f"{job}.pbs01"


def _execvnode(rng, arg, env):
    chunks = rng.randint(1, 4)
    ncpus = rng.choice((1, 4, 8, 16, 32, 64))
    nodes = sorted({rng.randint(1, 256) for _ in range(chunks)})
    extra = rng.choice(("", ":mem=32gb", ":ngpus=1", ":mem=190gb:ngpus=4"))
    return "+".join(f"(cn{n:04d}:ncpus={ncpus}{extra})" for n in nodes)


def _avcperms(rng, arg, env):
    return " ".join(rng.sample(("read", "write", "open", "getattr", "execute", "create", "unlink",
                                "name_connect", "connectto", "search", "add_name", "map"), rng.randint(1, 3)))


def _audit(rng, arg, env):
    t = env["_t"]
    return f"{int((t - datetime(1970, 1, 1)).total_seconds())}.{t.microsecond // 1000:03d}:{rng.randint(100, 999999)}"


def _sid(rng, arg, env):
    return f"{rng.randint(1000, 999999)}"


def _chunkname(rng, arg, env):
    return f"{rng.randint(1, 9)}-{_epoch(rng, '', env)}.{rng.randint(0, 999999999):09d}.flb"


def _fbts(rng, arg, env):
    t = env["_t"] + timedelta(seconds=rng.randint(1, 600))
    return f"{t:%Y-%m-%d %H:%M:%S} +0000"


def _jenaddr(rng, arg, env):
    return f"0x{rng.choice(('55d1', '5603', '7f3a'))}{_hexdigits(rng, '8')}"


def _bvol(rng, arg, env):
    return f"{rng.choice(('Vol', 'Full', 'Inc', 'Diff'))}-{rng.randint(1, 9999):04d}"


def _bytes_commas(rng, arg, env):
    return f"{rng.randint(10**6, 10**12):,}"


def _container_log(rng, arg, env):
    app = rng.choice(("web", "api", "worker", "nginx-ingress-controller", "coredns"))
    return (f"/var/log/containers/{app}-{_hexdigits(rng, '10', 'bcdfghjklmnpqrstvwxz2456789')}-{_hexdigits(rng, '5', 'bcdfghjklmnpqrstvwxz2456789')}"
            f"_{rng.choice(('default', 'prod', 'kube-system', 'ingress-nginx'))}_{app}-{_hexdigits(rng, '64')}.log")


def _nginxline(rng, arg, env):
    return (f'{_ip(rng)} - - [{env["_t"]:%d/%b/%Y:%H:%M:%S} +0000] \\"{rng.choice(LISTS["method"])} '
            f'/api/orders/{rng.randint(1, 99999)} HTTP/1.1\\" {rng.choice(LISTS["status"])} {rng.randint(0, 99999)}')


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
    "epoch": _epoch,
    "b64u": _b64u,
    "godur": _godur,
    "hms": _hms,
    "pbsjob": _pbsjob,
    "execvnode": _execvnode,
    "avcperms": _avcperms,
    "audit": _audit,
    "sid": _sid,
    "chunk": _chunkname,
    "fbts": _fbts,
    "pgaddr": _jenaddr,
    "bvol": _bvol,
    "commas": _bytes_commas,
    "clog": _container_log,
    "nginxline": _nginxline,
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


def _epoch_of(t: datetime) -> float:
    return (t - datetime(1970, 1, 1)).total_seconds()


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

    def follow(self, rng: random.Random, st: Statement, env: dict) -> list[tuple[str, str]]:
        """Continuation lines written right after a line of ``st``: (statement id, text), the
        text rendered and written as it is (no header)."""
        return []


class WildFly(Layout):
    """WildFly / JBoss EAP server.log: ``yyyy-mm-dd hh:mm:ss,mmm LEVEL [category] (thread) msg``
    (``%-5p``). Component: category|thread. Some error lines are followed by a stack trace."""

    name = "wildfly"
    statements = (
        S("op_failed", "ERROR", 'WFLYCTL0013: Operation ("${choice:deploy|add|full-replace-deployment}") failed - address: ([("deployment" => "${w=war}")]) - failure description: {"WFLYCTL0080: Failed services" => {"jboss.deployment.unit.\\"${@w}\\".${p=choice:POST_MODULE|PARSE|INSTALL|DEPENDENCIES}" => "WFLYSRV0153: Failed to process phase ${@p} of deployment \\"${@w}\\""}}', 3, "org.jboss.as.controller.management-operation|Controller Boot Thread"),
        S("msc_start_failed", "ERROR", 'MSC000001: Failed to start service jboss.deployment.unit."${w=war}".${p=choice:POST_MODULE|PARSE|INSTALL}: org.jboss.msc.service.StartException in service jboss.deployment.unit."${@w}".${@p}: WFLYSRV0153: Failed to process phase ${@p} of deployment "${@w}"', 3, "org.jboss.msc.service.fail|MSC service thread 1-${int:1..8}"),
        S("request_failed", "ERROR", "UT005023: Exception handling request to ${upath}: ${text:wf_exc}", 6, "io.undertow.request|default task-${int:1..128}"),
        S("ejb_failed", "ERROR", "WFLYEJB0034: Jakarta Enterprise Beans Invocation failed on component ${e=ejb} for method public ${jtype} com.example.shop.${choice:orders|billing|crm}.${@e}.${jmethod}(${choice:|java.lang.String|long,java.lang.String|com.example.shop.model.Cart}): ${text:wf_exc}", 4, "org.jboss.as.ejb3.invocation|default task-${int:1..128}"),
        S("sql_error_code", "WARN", "SQL Error: ${choice:0|1205|1062|17002}, SQLState: ${choice:23505|40001|23000|08006|40P01}", 5, "org.hibernate.engine.jdbc.spi.SqlExceptionHelper|default task-${int:1..128}"),
        S("sql_error_text", "ERROR", '${choice:ERROR: duplicate key value violates unique constraint "${choice:orders_pkey|uk_customer_email|invoice_number_key}"|Deadlock found when trying to get lock; try restarting transaction|ERROR: canceling statement due to statement timeout|IO Error: The Network Adapter could not establish the connection}', 5, "org.hibernate.engine.jdbc.spi.SqlExceptionHelper|default task-${int:1..128}"),
        S("no_connection", "WARN", "IJ000604: Throwable while attempting to get a new connection: null", 3, "org.jboss.jca.core.connectionmanager.pool.strategy.OnePool|default task-${int:1..128}"),
        S("tx_timeout", "WARN", "ARJUNA012117: TransactionReaper::check timeout for TX 0:ffff${hex:8}:${hex:7}:${hex:8}:${hex:3} in state  RUN", 4, "com.arjuna.ats.arjuna|Transaction Reaper"),
        S("tx_cancelled", "WARN", "ARJUNA012121: TransactionReaper::doCancellations worker Thread[Transaction Reaper Worker ${int:0..9},5,main] successfully canceled TX 0:ffff${hex:8}:${hex:7}:${hex:8}:${hex:3}", 3, "com.arjuna.ats.arjuna|Transaction Reaper Worker ${int:0..9}"),
        S("jndi_missing", "ERROR", 'WFLYCTL0412: Required services that are not installed: ["jboss.naming.context.java.${choice:jboss.datasources.ShopDS|module.shop.shop.env.jdbc.LegacyDS|jboss.resources.mail.SmtpSession}"]', 2, "org.jboss.as.controller.management-operation|Controller Boot Thread"),
        S("deployed", "INFO", 'WFLYSRV0010: Deployed "${w=war}" (runtime-name : "${@w}")', 3, "org.jboss.as.server|ServerService Thread Pool -- ${int:40..90}"),
        S("datasource_bound", "INFO", "WFLYJCA0001: Bound data source [${datasource}]", 2, "org.jboss.as.connector.subsystems.datasources|MSC service thread 1-${int:1..8}"),
        S("started", "INFO", "WFLYSRV0025: WildFly Full 30.0.1.Final (WildFly Core 22.0.2.Final) started in ${int:3000..40000}ms - Started ${int:400..900} of ${int:900..1200} services (${int:100..600} services are lazy, passive or on-demand) - Server configuration file in use: standalone${choice:|-full|-ha}.xml", 1, "org.jboss.as|Controller Boot Thread"),
        S("trace_at", "ERROR", "\tat ${text:wf_frame}", 0, ""),
        S("trace_caused_by", "ERROR", "Caused by: ${text:wf_cause}", 0, ""),
        S("trace_more", "ERROR", "\t... ${int:3..120} more", 0, ""),
    )
    traced = {"request_failed", "ejb_failed", "msc_start_failed"}

    def line(self, rng, t, st, message, component, style):
        category, _, thread = component.partition("|")
        if not category:
            return message
        return f"{t:%Y-%m-%d %H:%M:%S},{_milli(t)} {st.level:<5} [{category}] ({thread}) {message}"

    def follow(self, rng, st, env):
        if st.id not in self.traced or rng.random() < 0.35:
            return []
        out = [("trace_at", "\tat ${text:wf_frame}") for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.5:
            out.append(("trace_caused_by", "Caused by: ${text:wf_cause}"))
            out += [("trace_at", "\tat ${text:wf_frame}") for _ in range(rng.randint(1, 3))]
            out.append(("trace_more", "\t... ${int:3..120} more"))
        return out


class Gunicorn(Layout):
    """Gunicorn's error log: ``[yyyy-mm-dd hh:mm:ss +0000] [pid] [LEVEL] msg``."""

    name = "gunicorn"
    statements = (
        S("worker_timeout", "CRITICAL", "WORKER TIMEOUT (pid:${int:1000..99999})", 6, "m"),
        S("sigkill", "ERROR", "Worker (pid:${int:1000..99999}) was sent SIGKILL! Perhaps out of memory?", 5, "m"),
        S("exited_code", "ERROR", "Worker (pid:${int:1000..99999}) exited with code ${choice:1|3|4}", 3, "m"),
        S("boot_failed", "ERROR", "Reason: Worker failed to boot.", 2, "m"),
        S("app_failed", "ERROR", "Reason: App failed to load.", 1, "m"),
        S("conn_in_use", "ERROR", "Connection in use: ('${choice:0.0.0.0|127.0.0.1|::}', ${choice:8000|8080|5000})", 2, "m"),
        S("exception_worker", "ERROR", "Exception in worker process", 3, "w"),
        S("error_request", "ERROR", "Error handling request ${upath}", 4, "w"),
        S("terminated_signal", "WARNING", "Worker with pid ${int:1000..99999} was terminated due to signal ${choice:9|15|6|11}", 5, "m"),
        S("no_such_worker", "WARNING", "Unhandled signal: ${choice:cld|usr2|ttou}", 1, "m"),
        S("bad_request", "WARNING", "Invalid request from ip=${ip}: ${choice:Invalid HTTP request line: ''|Invalid HTTP Version: 'RTSP/1.0'|Invalid HTTP method: 'PRI'|Unsupported transfer coding: 'chunked, gzip'}", 2, "w"),
        S("booting", "INFO", "Booting worker with pid: ${int:1000..99999}", 4, "w"),
        S("handling_signal", "INFO", "Handling signal: ${choice:term|hup|winch|int|ttin|ttou}", 2, "m"),
        S("worker_exiting", "INFO", "Worker exiting (pid: ${int:1000..99999})", 2, "w"),
        S("listening", "INFO", "Listening at: http://${choice:0.0.0.0|127.0.0.1}:${choice:8000|8080} (${int:100..9999})", 1, "m"),
    )

    def begin_file(self, rng, start, index, style):
        self.master = rng.randint(1, 9000)

    def line(self, rng, t, st, message, component, style):
        pid = self.master if component == "m" else rng.randint(self.master + 1, self.master + 40)
        return f"[{t:%Y-%m-%d %H:%M:%S} +0000] [{pid}] [{st.level}] {message}"


class UWSGI(Layout):
    """uWSGI with ``log-date``: ``Tue Nov 24 10:12:13 2026 - msg``; no levels anywhere (the class
    is implied by the text)."""

    name = "uwsgi"
    statements = (
        S("listen_queue_full", "ERROR", '*** uWSGI listen queue of socket "${choice:127.0.0.1:3031|:8000|/run/uwsgi/app.sock|0.0.0.0:8080}" (fd: ${int:3..9}) full !!! (${int:101..129}/${choice:100|128}) ***', 5, ""),
        S("sigpipe", "WARN", "SIGPIPE: writing to a closed pipe/socket/fd (probably the client disconnected) on request ${upath} (ip ${ip}) !!!", 5, ""),
        S("writev_broken", "ERROR", "uwsgi_response_writev_headers_and_body_do(): Broken pipe [core/writer.c line 306] during ${method} ${upath} (${ip})", 5, ""),
        S("write_body_broken", "ERROR", "uwsgi_response_write_body_do(): Broken pipe [core/writer.c line 341] during ${method} ${upath} (${ip})", 4, ""),
        S("oserror", "ERROR", "OSError: write error", 4, ""),
        S("harakiri", "ERROR", "*** HARAKIRI ON WORKER ${int:1..16} (pid: ${int:1000..99999}, try: 1) ***", 3, ""),
        S("worker_died_signal", "ERROR", "DAMN ! worker ${int:1..16} (pid: ${int:1000..99999}) died, killed by signal ${choice:9|11|6} :( trying respawn ...", 3, ""),
        S("worker_died", "WARN", "DAMN ! worker ${int:1..16} (pid: ${int:1000..99999}) died :( trying respawn ...", 2, ""),
        S("no_app", "ERROR", "--- no python application found, check your startup logs for errors ---", 1, ""),
        S("unavailable_modifier", "ERROR", "-- unavailable modifier requested: ${int:0..9} --", 1, ""),
        S("respawned", "INFO", "Respawned uWSGI worker ${int:1..16} (new pid: ${int:1000..99999})", 3, ""),
        S("request", "INFO", "[pid: ${int:1000..99999}|app: 0|req: ${int:1..999}/${int:1000..99999}] ${ip} () {${int:30..60} vars in ${int:400..2000} bytes} [${@date}] ${method} ${upath} => generated ${int} bytes in ${int:1..30000} msecs (HTTP/1.1 ${status}) ${int:2..9} headers in ${int:60..400} bytes (1 switches on core ${int:0..3})", 8, ""),
        S("max_requests", "INFO", "...The work of process ${int:1000..99999} is done. Seeya!", 1, ""),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%a %b %d %H:%M:%S %Y} - {message}"


class Celery(Layout):
    """Celery worker: ``[yyyy-mm-dd hh:mm:ss,mmm: LEVEL/Process] msg``. Component: process."""

    name = "celery"
    statements = (
        S("task_raised", "ERROR", "Task ${ctask}[${uuid}] raised unexpected: ${text:pyexc}", 7, "ForkPoolWorker-${int:1..16}"),
        S("broker_lost", "WARNING", "consumer: Connection to broker lost. Trying to re-establish the connection...", 3, "MainProcess"),
        S("cannot_connect", "ERROR", "consumer: Cannot connect to ${choice:redis://redis:6379/0|amqp://guest:**@rabbitmq:5672//|redis://:**@redis-master.data.svc:6379/1}: ${choice:Error 111 connecting to redis:6379. Connection refused.|[Errno 111] Connection refused|Timeout connecting to server}.", 4, "MainProcess"),
        S("hard_timeout", "ERROR", "Hard time limit (${int:60..3600}s) exceeded for ${ctask}[${uuid}]", 3, "MainProcess"),
        S("soft_timeout", "WARNING", "Soft time limit (${int:60..3600}s) exceeded for ${ctask}[${uuid}]", 3, "MainProcess"),
        S("worker_lost", "ERROR", "Process 'ForkPoolWorker-${int:1..16}' pid:${int:100..99999} exited with '${choice:signal 9 (SIGKILL)|signal 15 (SIGTERM)|exitcode 70}'", 3, "MainProcess"),
        S("handler_error", "ERROR", "Task handler raised error: WorkerLostError('Worker exited prematurely: signal 9 (SIGKILL) Job: ${int:0..99999}.')", 2, "MainProcess"),
        S("drift", "WARNING", "Substantial drift from ${cworker} may mean clocks are out of sync.  Current drift is ${int:30..900} seconds.  [orig: ${choice:2026-11-24 ${int:10..23}:${int:10..59}:${int:10..59}.${int:100000..999999}} recv: 2026-11-24 ${int:10..23}:${int:10..59}:${int:10..59}.${int:100000..999999}]", 2, "MainProcess"),
        S("deprecation", "WARNING", "/usr/local/lib/python3.11/site-packages/celery/worker/consumer/consumer.py:${choice:507|508}: CPendingDeprecationWarning: The broker_connection_retry configuration setting will no longer determine", 1, "MainProcess"),
        S("retry", "INFO", "Task ${ctask}[${uuid}] retry: Retry in ${int:5..600}s: ${text:pyexc}", 3, "ForkPoolWorker-${int:1..16}"),
        S("received", "INFO", "Task ${ctask}[${uuid}] received", 5, "MainProcess"),
        S("succeeded", "INFO", "Task ${ctask}[${uuid}] succeeded in ${float:0..90/16}s: ${text:celres}", 5, "ForkPoolWorker-${int:1..16}"),
        S("missed_heartbeat", "INFO", "missed heartbeat from ${cworker}", 1, "MainProcess"),
    )

    def line(self, rng, t, st, message, component, style):
        return f"[{t:%Y-%m-%d %H:%M:%S},{_milli(t)}: {st.level}/{component}] {message}"


SIDEKIQ_STATEMENTS = (
    S("job_raised", "WARN", '{"context":"Job raised exception","job":{"retry":${choice:true|5|25},"queue":"${squeue}","class":"${c=swclass}","args":[${choice:${int}|"${uuid}"|${int},"${user}"|"${user}@${domain}"}]},"jid":"${jid=hex:24}","created_at":${epoch}.${int:100..999},"enqueued_at":${epoch}.${int:100..999},"error_message":"${choice:execution expired|Your card was declined.|undefined method `email\' for nil:NilClass}","error_class":"${choice:Faraday::TimeoutError|Stripe::CardError|NoMethodError}","failed_at":${epoch}.${int:100..999},"retry_count":${int:0..24}}}', 5, "ctx"),
    S("error_message", "WARN", "${text:rbexc}", 5, "ctx"),
    S("backtrace", "WARN", "${text:rbframe}", 4, "ctx"),
    S("fetch_error", "ERROR", "Error fetching job: Error connecting to Redis on ${choice:redis:6379|10.0.3.4:6379|redis-master.data.svc:6379} (${choice:Errno::ECONNREFUSED|Redis::TimeoutError|Errno::EHOSTUNREACH})", 3, ""),
    S("heartbeat", "ERROR", "heartbeat: ${choice:Connection refused - connect(2) for 10.0.3.4:6379|READONLY You can't write against a read only replica.|Timed out connecting to Redis}", 2, ""),
    S("terminating_busy", "WARN", "Terminating ${int:1..25} busy threads", 2, ""),
    S("work_in_progress", "WARN", 'Work still in progress [#<struct Sidekiq::BasicFetch::UnitOfWork queue="queue:${squeue}", job="{\\"retry\\":true,\\"queue\\":\\"${squeue}\\",\\"class\\":\\"${swclass}\\",\\"jid\\":\\"${hex:24}\\"}">]', 1, ""),
    S("start", "INFO", "start", 6, "ctx"),
    S("done", "INFO", "done", 6, "ctx"),
    S("fail", "INFO", "fail", 3, "ctx"),
    S("booted", "INFO", "Booted Rails 7.1.2 application in production environment", 1, ""),
    S("pausing", "INFO", "Pausing to allow jobs to finish...", 1, ""),
)


class Sidekiq(Layout):
    """Sidekiq 7 text: ``iso pid=N tid=xxxx [class=C jid=J [elapsed=S]] LEVEL: msg``."""

    name = "sidekiq"
    statements = SIDEKIQ_STATEMENTS

    def _ctx(self, rng, st, component):
        if component != "ctx":
            return {}
        ctx = {"class": rng.choice(LISTS["swclass"]), "jid": _hexdigits(rng, "24")}
        if st.id in ("done", "fail"):
            ctx["elapsed"] = f"{rng.uniform(0.001, 90):.3f}"
        return ctx

    def line(self, rng, t, st, message, component, style):
        ctx = "".join(f" {k}={v}" for k, v in self._ctx(rng, st, component).items())
        tid = _hexdigits(rng, "4", "0123456789abcdefghijklmnopqrstuvwxyz")
        return f"{t:%Y-%m-%dT%H:%M:%S}.{_milli(t)}Z pid={self.pid} tid={tid}{ctx} {st.level}: {message}"


class SidekiqJson(Sidekiq):
    """Sidekiq 7 JSON formatter: ``{"ts":...,"pid":N,"tid":"x","lvl":"WARN","msg":"...","ctx":{...}}``."""

    name = "sidekiq_json"
    json_message = True

    def line(self, rng, t, st, message, component, style):
        record = {"ts": f"{t:%Y-%m-%dT%H:%M:%S}.{_milli(t)}Z", "pid": self.pid,
                  "tid": _hexdigits(rng, "4", "0123456789abcdefghijklmnopqrstuvwxyz"), "lvl": st.level,
                  "msg": message}
        ctx = self._ctx(rng, st, component)
        if ctx:
            record["ctx"] = ctx
        return json.dumps(record, separators=(",", ":"))


class Nextcloud(Layout):
    """nextcloud.log: one JSON object a line, ``"level"`` a number (0 debug ... 3 error, 4 fatal),
    slashes escaped as PHP's json_encode does. Component: app."""

    name = "nextcloud"
    json_message = True
    numbers = {"DEBUG": 0, "INFO": 1, "WARN": 2, "ERROR": 3, "FATAL": 4}
    statements = (
        S("login_failed", "WARN", "Login failed: ${user} (Remote IP: ${ip})", 6, "core"),
        S("trusted_domain", "WARN", 'Trusted domain error. "${ip}" tried to access using "${choice:${ip}|nextcloud.local|cloud.example.org:8443}" as host.', 3, "core"),
        S("file_locked", "ERROR", '"files/${hex:12}/${ncpath}" is locked, existing lock on file: ${choice:exclusive|shared|${int:2..9} shared locks}', 5, "webdav"),
        S("db_error", "ERROR", "An exception occurred while executing a query: SQLSTATE[${choice:HY000]: General error: 2006 MySQL server has gone away|40001]: Serialization failure: 1213 Deadlock found when trying to get lock; try restarting transaction|23000]: Integrity constraint violation: 1062 Duplicate entry '${int}-${hex:32}' for key 'fs_storage_path_hash'}", 4, "index"),
        S("ldap_bind", "ERROR", "Bind failed: ${choice:49: Invalid credentials|-1: Can't contact LDAP server|53: Server is unwilling to perform}", 3, "user_ldap"),
        S("ldap_config", "WARN", "Configuration Error (prefix ${choice:s01|s02|}): login filter does not contain %uid place holder.", 1, "user_ldap"),
        S("php_memory", "FATAL", "Allowed memory size of ${choice:536870912|1073741824|2147483648} bytes exhausted (tried to allocate ${int:4096..99999999} bytes) at /var/www/html/lib/private/${choice:Files/Storage/Local|DB/Connection|Preview/Generator}.php#${int:10..900}", 2, "PHP"),
        S("php_undefined", "ERROR", 'Undefined array key "${choice:uid|displayname|quota|mimetype}" at /var/www/html/apps/${ncapp}/lib/${choice:Controller/PageController|Service/SyncService|Db/Mapper}.php#${int:10..900}', 3, "PHP"),
        S("preview_failed", "WARN", "Failed to generate preview for ${ncpath}: ${choice:File is corrupted|Unable to open image|Imagick was unable to open the file}", 2, "core"),
        S("bruteforce", "INFO", 'Bruteforce attempt from "${ip}" detected for action "${choice:login|webdav|ocsapi}".', 2, "core"),
        S("login_ok", "INFO", 'Login successful: "${user}"', 3, "admin_audit"),
        S("file_accessed", "INFO", 'File accessed: "/${user}/files/${ncpath}"', 3, "admin_audit"),
    )

    def line(self, rng, t, st, message, component, style):
        record = {"reqId": _hexdigits(rng, "20", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
                  "level": self.numbers[st.level], "time": f"{t:%Y-%m-%dT%H:%M:%S}+00:00",
                  "remoteAddr": _ip(rng), "user": rng.choice(LISTS["user"] + ("--",)), "app": component,
                  "method": rng.choice(("GET", "PROPFIND", "PUT", "POST", "MOVE")),
                  "url": rng.choice(("/remote.php/dav/files/alice/Documents", "/index.php/login",
                                     "/ocs/v2.php/apps/notifications/api/v2/notifications", "/cron.php",
                                     "/index.php/apps/files/")),
                  "message": message,
                  "userAgent": rng.choice(("Mozilla/5.0 (Linux) mirall/3.10.1", "--",
                                           "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")),
                  "version": "28.0.1.1", "data": {"app": component}}
        return json.dumps(record, separators=(",", ":")).replace("/", "\\/")


class Traefik(Layout):
    """Traefik v3 (zerolog console, no colour): ``iso LVL caller > msg key=value ...``; some
    statements have no message, only fields."""

    name = "traefik"
    abbrev = {"ERROR": "ERR", "WARN": "WRN", "INFO": "INF", "FATAL": "FTL", "DEBUG": "DBG"}
    statements = (
        S("provider_retry", "ERROR", 'Provider error, retrying in ${godur} error="${text:nodeerr}" providerName=${choice:docker|swarm}', 5, "github.com/traefik/traefik/v3/pkg/provider/docker/pdocker.go:${choice:215|233}"),
        S("acme_failed", "ERROR", 'Unable to obtain ACME certificate for domains error="unable to generate a certificate for the domains [${d=domain}]: error: one or more domains had a problem:\\n[${@d}] ${text:acmeerr}\\n" ACME CA=https://acme-v02.api.letsencrypt.org/directory acmeCA=https://acme-v02.api.letsencrypt.org/directory domains=["${@d}"] providerName=${choice:letsencrypt|le}.acme routerName=${router}@docker rule=Host(`${@d}`)', 4, "github.com/traefik/traefik/v3/pkg/provider/acme/provider.go:${choice:457|469}"),
        S("service_missing", "ERROR", 'error="service \\"${router}@docker\\" does not exist" entryPointName=${entry} routerName=${router}@docker', 5, "github.com/traefik/traefik/v3/pkg/server/router/router.go:142"),
        S("middleware_missing", "ERROR", 'error="middleware \\"${router}@docker\\" does not exist" entryPointName=${entry} routerName=${router}@docker', 4, "github.com/traefik/traefik/v3/pkg/server/router/router.go:142"),
        S("no_endpoints", "ERROR", "Skipping service: no endpoints found ingress=${router} namespace=${choice:default|prod|monitoring} providerName=kubernetes serviceName=${router} servicePort=&ServiceBackendPort{Name:,Number:${choice:80|8080|3000},}", 3, "github.com/traefik/traefik/v3/pkg/provider/kubernetes/ingress/kubernetes.go:${choice:342|349}"),
        S("no_domain", "WARN", "No domain found in rule ${text:tfrule}, the TLS options applied for this router will depend on the SNI of each request entryPointName=${entry} routerName=${router}@docker", 4, "github.com/traefik/traefik/v3/pkg/server/router/tcp/manager.go:228"),
        S("plugins_disabled", "ERROR", 'Plugins are disabled because an error has occurred. error="failed to download plugin github.com/${choice:traefik/plugin-rewritebody|PseudoResonance/geoblock}: ${choice:context deadline exceeded|failed to call service: Get \\"https://plugins.traefik.io/public/download/...\\": dial tcp: lookup plugins.traefik.io: no such host}"', 1, "github.com/traefik/traefik/v3/cmd/traefik/plugins.go:58"),
        S("cert_expiring", "WARN", 'Certificate for domains [${domain}] expires in ${int:1..29} days, renewing ACME CA=https://acme-v02.api.letsencrypt.org/directory providerName=letsencrypt.acme', 2, "github.com/traefik/traefik/v3/pkg/provider/acme/provider.go:${choice:893|901}"),
        S("starting_provider", "INFO", "Starting provider *${choice:docker.Provider|file.Provider|acme.ChallengeTLSALPN|traefik.Provider}", 2, "github.com/traefik/traefik/v3/pkg/provider/aggregator/aggregator.go:${choice:202|219}"),
        S("config_loaded", "INFO", "Configuration loaded from ${choice:flags|file: /etc/traefik/traefik.yml}.", 1, "github.com/traefik/traefik/v3/cmd/traefik/traefik.go:${choice:105|110}"),
        S("version", "INFO", "Traefik version 3.${v=choice:0.4|1.2|2.1} built on 2026-${choice:10|11}-${int:10..28}T${int:10..23}:${int:10..59}:${int:10..59}Z version=3.${@v}", 1, "github.com/traefik/traefik/v3/cmd/traefik/traefik.go:${choice:101|104}"),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%Y-%m-%dT%H:%M:%S}Z {self.abbrev[st.level]} {component} > {message}"


class CoreDNS(Layout):
    """CoreDNS as ``kubectl logs`` shows it: ``[LEVEL] msg``, no time stamp; the query log is
    ``[INFO]``."""

    name = "coredns"
    statements = (
        S("forward_error", "ERROR", "plugin/errors: 2 ${qname} ${qtype}: ${text:dnserr}", 10, ""),
        S("api_failure", "WARNING", 'plugin/kubernetes: Kubernetes API connection failure: Get "https://10.96.0.1:443/version": dial tcp 10.96.0.1:443: ${choice:i/o timeout|connect: connection refused|connect: no route to host}', 3, ""),
        S("no_import_files", "WARNING", "No files matching import glob pattern: ${choice:custom/*.override|custom/*.server|/etc/coredns/custom/*.server}", 2, ""),
        S("health_slow", "WARNING", 'plugin/health: Local health request to "http://:8080/health" took more than 1s: ${float:1..9/9}s', 3, ""),
        S("reflector_failed", "ERROR", 'plugin/kubernetes: pkg/mod/k8s.io/client-go@v0.29.3/tools/cache/reflector.go:229: Failed to watch *v1.${choice:EndpointSlice|Service|Namespace}: failed to list *v1.${choice:EndpointSlice|Service|Namespace}: Get "https://10.96.0.1:443/api/v1/${choice:services|namespaces}?limit=500&resourceVersion=0": dial tcp 10.96.0.1:443: i/o timeout', 3, ""),
        S("loop_detected", "FATAL", 'plugin/loop: Loop (127.0.0.1:${port} -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO ${int:1000000000000000000..9999999999999999999}.${int:1000000000000000000..9999999999999999999}."', 1, ""),
        S("still_waiting", "INFO", 'plugin/ready: Still waiting on: "kubernetes"', 2, ""),
        S("query", "INFO", '${ip}:${port} - ${int:1..65535} "${qtype} IN ${qname} ${choice:udp|tcp} ${int:17..80} ${choice:false|true} ${choice:512|1232|65535}" ${rcode} qr,${choice:rd,ra|aa,rd|rd} ${int:40..600} ${float:0..2/9}s', 10, ""),
        S("reload_sha", "INFO", "plugin/reload: Running configuration SHA512 = ${hex:128}", 1, ""),
    )

    def line(self, rng, t, st, message, component, style):
        return f"[{st.level}] {message}"


class OpenVPN(Layout):
    """OpenVPN 2.6 server log: ``yyyy-mm-dd hh:mm:ss [cn/ip:port |ip:port ]msg``; no level
    words in the header (``TLS Error:``, ``WARNING:`` are the message's). Component: which
    prefix the multi-client context adds (``cn``, ``peer`` or none)."""

    name = "openvpn"
    statements = (
        S("tls_negotiation", "ERROR", "TLS Error: TLS key negotiation failed to occur within 60 seconds (check your network connectivity)", 6, "peer"),
        S("tls_handshake", "ERROR", "TLS Error: TLS handshake failed", 6, "peer"),
        S("verify_error", "ERROR", "VERIFY ERROR: depth=0, error=${choice:certificate has expired|certificate revoked|unable to get local issuer certificate|certificate is not yet valid}: CN=${cn}, serial=${int}", 3, "peer"),
        S("auth_failed", "WARN", "TLS Auth Error: Auth Username/Password verification failed for peer", 4, "peer"),
        S("hmac_failed", "WARN", "Authenticate/Decrypt packet error: packet HMAC authentication failed", 4, "cn:${cn}"),
        S("replay", "WARN", "AEAD Decrypt error: bad packet ID (may be a replay): [ #${int} ] -- see the man page entry for --no-replay and --replay-window for more info or silence this warning with --mute-replay-warnings", 3, "cn:${cn}"),
        S("cipher_mismatch", "WARN", "WARNING: 'cipher' is used inconsistently, local='cipher AES-256-GCM', remote='cipher ${choice:BF-CBC|AES-128-CBC|AES-256-CBC}'", 2, "peer"),
        S("conn_reset", "WARN", "Connection reset, restarting [${choice:0|-1}]", 4, "cn:${cn}"),
        S("udp_unreachable", "ERROR", "write UDPv4 []: Network is unreachable (fd=${int:3..9},code=101)", 2, ""),
        S("inactivity", "INFO", "[${c=cn}] Inactivity timeout (--ping-restart), restarting", 3, "cn:${@c}"),
        S("peer_connected", "INFO", "[${cn}] Peer Connection Initiated with [AF_INET]${ipport}", 4, "peer"),
        S("pool_ip", "INFO", "MULTI_sva: pool returned IPv4=10.8.0.${int:2..254}, IPv6=(Not enabled)", 3, "cn:${cn}"),
        S("push_reply", "INFO", "SENT CONTROL [${c=cn}]: 'PUSH_REPLY,route 10.${int:0..255}.0.0 255.255.0.0,route-gateway 10.8.0.1,topology subnet,ping 10,ping-restart 120,ifconfig 10.8.0.${int:2..254} 255.255.255.0,peer-id ${int:0..64},cipher AES-256-GCM' (status=1)", 3, "cn:${@c}"),
    )

    def line(self, rng, t, st, message, component, style):
        prefix = ""
        if component == "peer":
            prefix = f"{_ip(rng)}:{rng.randint(1024, 65535)} "
        elif component.startswith("cn:"):
            prefix = f"{component[3:]}/{_ip(rng)}:{rng.randint(1024, 65535)} "
        return f"{t:%Y-%m-%d %H:%M:%S} {prefix}{message}"


class StrongSwan(Layout):
    """strongSwan charon over syslog: ``Mon dd hh:mm:ss host charon-systemd[pid]: NN[SUB] <conn|n>
    msg``; no levels. Component: "subsystem[|IKE_SA name]"."""

    name = "strongswan"
    statements = (
        S("auth_failed_notify", "ERROR", "received AUTHENTICATION_FAILED notify error", 5, "IKE|${ikeconn}"),
        S("no_ike_config", "WARN", "no IKE config found for ${ip}...${ip}, sending NO_PROPOSAL_CHOSEN", 4, "CFG"),
        S("no_proposal", "ERROR", "received proposals unacceptable", 3, "IKE|${ikeconn}"),
        S("retransmit", "WARN", "retransmit ${int:1..5} of request with message ID ${int:0..9}", 6, "IKE|${ikeconn}"),
        S("giving_up", "ERROR", "giving up after ${int:5..7} retransmits", 3, "IKE|${ikeconn}"),
        S("mac_mismatch", "ERROR", "tried ${int:1..3} shared key for '${ip}' - '${ip}', but MAC mismatched", 3, "IKE|${ikeconn}"),
        S("no_trusted_key", "ERROR", "no trusted RSA public key found for '${choice:CN=${ikeconn}.vpn.example.com|${domain}|${ip}}'", 2, "CFG"),
        S("dh_group", "WARN", "peer didn't accept DH group ${choice:MODP_2048|ECP_256|CURVE_25519}, it requested ${choice:MODP_1024|ECP_384|MODP_3072}", 2, "IKE|${ikeconn}"),
        S("netlink_error", "WARN", "received netlink error: ${choice:File exists (17)|No such process (3)|Invalid argument (22)}", 2, "KNL"),
        S("policy_install", "ERROR", "unable to install IPsec policies (SPD) in kernel", 1, "KNL"),
        S("received_proposals", "INFO", "received proposals: IKE:${ike_alg}", 3, "CFG"),
        S("configured_proposals", "INFO", "configured proposals: IKE:${ike_alg}", 3, "CFG"),
        S("ike_established", "INFO", "IKE_SA ${c=ikeconn}[${int:1..999}] established between ${ip}[${ip}]...${ip}[${choice:${ip}|CN=${cn}}]", 3, "IKE|${@c}"),
        S("child_established", "INFO", "CHILD_SA ${c=ikeconn}{${int:1..999}} established with SPIs c${hex:7}_i c${hex:7}_o and TS 10.${int:0..255}.0.0/16 === 10.${int:0..255}.${int:0..255}.0/24", 3, "IKE|${@c}"),
        S("dpd", "INFO", "sending DPD request", 3, "IKE|${ikeconn}"),
    )

    def begin_file(self, rng, start, index, style):
        self.pid = rng.randint(300, 9000)
        self.host = rng.choice(("vpn-gw", "fw-edge", "ipsec01"))

    def line(self, rng, t, st, message, component, style):
        subsystem, _, conn = component.partition("|")
        sa = f"<{conn}|{rng.randint(1, 999)}> " if conn else ""
        return f"{_bsd(t)} {self.host} charon-systemd[{self.pid}]: {rng.randint(1, 16):02d}[{subsystem}] {sa}{message}"


class SSSD(Layout):
    """SSSD 2.x debug log: ``(yyyy-mm-dd hh:mm:ss:uuuuuu): [component] [function] (0xLEVEL): msg``;
    levels as hex masks (0x0010 fatal ... 0x0040 serious, 0x0080 minor, 0x0100 config, 0x0400
    trace). Component: "component|function|mask"."""

    name = "sssd"
    statements = (
        S("connect_failed", "ERROR", "connect failed ${text:sdap_err}.", 5, "be|sdap_async_sys_connect_done|0x0020"),
        S("going_offline", "ERROR", "Failed to connect, going offline (5 [Input/output error])", 4, "be|sdap_id_op_connect_done|0x0020"),
        S("resolve_failed", "ERROR", "Failed to resolve server '${ldapsrv}': ${choice:Domain name not found|Timeout while contacting DNS servers|Could not contact DNS servers}", 3, "be|fo_resolve_service_done|0x0020"),
        S("ptask_failed", "ERROR", "Task [${ptask}]: failed with [${choice:1432158212|5|110}]: ${choice:SSSD is offline|Input/output error|Connection timed out}", 4, "be|be_ptask_done|0x0040"),
        S("sasl_bind", "ERROR", "ldap_sasl_interactive_bind_s failed (${choice:-2|-1|49})[${choice:Local error|Can't contact LDAP server|Invalid credentials}]", 3, "be|sasl_bind_send|0x0020"),
        S("tgt_failed", "ERROR", "${int:1000..4000}: ${text:krb5err}", 3, "krb5_child|get_and_save_tgt|0x0020"),
        S("watchdog", "FATAL", "Child [${int:1000..99999}] ('${choice:nss|pam|corp.example.com}':'${choice:%BE_corp.example.com|nss|pam}') was terminated by own WATCHDOG. Consult corresponding logs to figure out the reason.", 2, "sssd|mt_svc_exit_handler|0x0010"),
        S("validator", "ERROR", "[rule/allowed_domain_options]: Attribute '${choice:ldap_id_mapping|ad_gpo_access_control|use_fully_qualified_name}' is not allowed in section 'domain/${sssdom}'. Check for typos.", 1, "sssd|sss_ini_call_validators|0x0020"),
        S("shutdown", "FATAL", "SIGTERM: killing children", 1, "sssd|orderly_shutdown|0x0010"),
        S("port_not_working", "WARN", "Marking port ${choice:389|636|88|3268} of server '${ldapsrv}' as 'not working'", 4, "be|fo_set_port_status|0x0080"),
        S("access_denied", "WARN", "Access denied for user ${user}: ${choice:6 [Permission denied]|GPO-based access control failed.}", 3, "be|ad_gpo_access_check|0x0080"),
        S("got_request", "INFO", "Got request for [0x${choice:1|3}][BE_REQ_${choice:USER|GROUP|INITGROUPS}][name=${user}@${sssdom}]", 6, "be|dp_get_account_info_handler|0x0200"),
        S("going_online", "INFO", "Backend is online", 2, "be|be_reset_offline|0x0400"),
    )

    def begin_file(self, rng, start, index, style):
        self.domain = rng.choice(LISTS["sssdom"])

    def line(self, rng, t, st, message, component, style):
        comp, function, mask = component.split("|")
        if comp == "be":
            comp = f"be[{self.domain}]"
        elif comp == "krb5_child":
            comp = f"krb5_child[{rng.randint(1000, 99999)}]"
        rid = f"[RID#{rng.randint(1, 99999)}] " if comp.startswith("be") and rng.random() < 0.6 else ""
        return f"({t:%Y-%m-%d %H:%M:%S}:{t.microsecond:06d}): [{comp}] [{function}] ({mask}): {rid}{message}"


class Chronyd(Layout):
    """chronyd forwarded as RFC 5424: ``<PRI>1 iso-stamp host chronyd pid - - msg``; the severity is
    only in PRI (daemon facility: 27 err, 28 warning, 29 notice, 30 info)."""

    name = "chronyd"
    pri = {"ERROR": 27, "WARN": 28, "NOTICE": 29, "INFO": 30}
    statements = (
        S("no_selectable", "WARN", "Can't synchronise: no selectable sources", 6, ""),
        S("no_majority", "WARN", "Can't synchronise: no majority", 3, ""),
        S("clock_wrong", "WARN", "System clock wrong by ${float:-300..300/6} seconds", 4, ""),
        S("forward_jump", "WARN", "Forward time jump detected!", 2, ""),
        S("backward_jump", "WARN", "Backward time jump detected!", 2, ""),
        S("kod_rate", "WARN", "Received KoD RATE from ${ip}", 2, ""),
        S("nts_handshake", "ERROR", "TLS handshake with ${ip}:4460 (${ntpsrc}) failed : ${choice:The TLS connection was non-properly terminated.|Error in the push function.|The certificate is NOT trusted. The certificate chain uses expired certificate.}", 3, ""),
        S("rtc_open", "ERROR", "Could not open RTC device /dev/rtc : No such file or directory", 1, ""),
        S("adjtimex", "ERROR", "adjtimex(0x${hex:4}) failed : Operation not permitted", 2, ""),
        S("selected", "INFO", "Selected source ${ip} (${ntpsrc})", 6, ""),
        S("replaced", "INFO", "Source ${ip} replaced with ${ip} (${ntpsrc})", 3, ""),
        S("offline", "INFO", "Source ${ip} offline", 2, ""),
        S("online", "INFO", "Source ${ip} online", 2, ""),
        S("frequency", "INFO", "Frequency ${float:-90..90/3} +/- ${float:0..5/3} ppm read from /var/lib/chrony/drift", 1, ""),
        S("adjustment", "NOTICE", "System clock was stepped by ${float:-300..300/6} seconds", 2, ""),
    )

    def begin_file(self, rng, start, index, style):
        self.pid = rng.randint(300, 9000)
        self.host = rng.choice(("ntp1.corp.example.com", "db-primary", "k8s-node-04", "gw"))

    def line(self, rng, t, st, message, component, style):
        return f"<{self.pri[st.level]}>1 {t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}+00:00 {self.host} chronyd {self.pid} - - {message}"


class NetworkManager(Layout):
    """NetworkManager over syslog: ``Mon dd hh:mm:ss host NetworkManager[pid]: <warn>  [epoch.mmmm]
    msg`` (``<info>``/``<warn>`` padded to ``<error>``'s width)."""

    name = "networkmanager"
    words = {"ERROR": "<error>", "WARN": "<warn> ", "INFO": "<info> "}
    statements = (
        S("dhcp4_timeout", "WARN", "dhcp4 (${iface}): request timed out", 4, ""),
        S("dhcp6_timeout", "WARN", "dhcp6 (${iface}): request timed out", 3, ""),
        S("activation_failed", "WARN", "device (${choice:${iface}|${wlan}}): Activation: failed for connection '${conname}'", 5, ""),
        S("assoc_too_long", "WARN", "device (${wlan}): Activation: (wifi) association took too long", 3, ""),
        S("link_timed_out", "WARN", "device (${wlan}): link timed out.", 3, ""),
        S("dispatcher_failed", "WARN", "dispatcher: (${int:1..400}) /etc/NetworkManager/dispatcher.d/${s=choice:99-vpn-routes|10-ifup-hook|50-update-dns} failed (failed): Script '/etc/NetworkManager/dispatcher.d/${@s}' exited with status ${int:1..127}.", 2, ""),
        S("vpn_secrets", "ERROR", 'vpn[0x${hex:12},${uuid},"${conname}"]: Failed to request VPN secrets #3: No agents were available for this request.', 3, ""),
        S("route_failure", "ERROR", "platform-linux: do-add-ip4-route[${int:2..9}: 10.${int:0..255}.0.0/${choice:8|16|24} ${int:0..600}]: failure ${choice:17 (File exists)|101 (Network is unreachable)|22 (Invalid argument)}", 3, ""),
        S("state_change", "INFO", "device (${choice:${iface}|${wlan}}): state change: ${nmstate} -> ${nmstate} (reason '${nmreason}', sys-iface-state: '${choice:managed|external|assume}')", 8, ""),
        S("manager_state", "INFO", "manager: NetworkManager state is now ${choice:CONNECTED_GLOBAL|CONNECTING|DISCONNECTED|CONNECTED_SITE|CONNECTED_LOCAL}", 3, ""),
        S("policy_default", "INFO", "policy: set '${conname}' (${choice:${iface}|${wlan}}) as default for IPv4 routing and DNS", 2, ""),
    )

    def begin_file(self, rng, start, index, style):
        self.pid = rng.randint(500, 3000)
        self.host = rng.choice(("laptop-olga", "ws-finance", "thinkpad", "edge-router"))

    def line(self, rng, t, st, message, component, style):
        stamp = f"{_epoch_of(t):.4f}"
        return f"{_bsd(t)} {self.host} NetworkManager[{self.pid}]: {self.words[st.level]} [{stamp}] {message}"


class Auditd(Layout):
    """Linux audit.log (``log_format = ENRICHED``): ``type=T msg=audit(epoch.mmm:serial): ...``
    with an interpreted tail after a GS byte (0x1d); no levels (failures and denials are
    warnings, a crash an error)."""

    name = "auditd"
    statements = (
        S("avc_denied", "WARN", 'avc:  denied  { ${avcperms} } for  pid=${int:100..99999} comm="${comm}" name="${fname}" dev="${choice:dm-0|sda1|nvme0n1p3|tmpfs}" ino=${int:100..9999999} scontext=system_u:system_r:${sedom}:s0 tcontext=${choice:system_u|unconfined_u}:object_r:${setgt}:s0 tclass=${choice:file|dir|sock_file|tcp_socket|lnk_file} permissive=0', 6, "AVC"),
        S("syscall_failed", "WARN", 'arch=c000003e syscall=${choice:2|4|42|257|59} success=no exit=${choice:-13|-2|-1} a0=${hex:12} a1=${hex:6} a2=${hex:3} a3=0 items=${int:0..2} ppid=${int:1..9999} pid=${int:100..99999} auid=${choice:4294967295|1000|0} uid=${int:0..1001} gid=${int:0..1001} euid=${int:0..1001} suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=${choice:4294967295|${int:1..40}} comm="${comm}" exe="${exe}" subj=system_u:system_r:${sedom}:s0 key=${choice:(null)|"access"|"perm_mod"}\x1dARCH=x86_64 SYSCALL=${choice:open|stat|connect|openat|execve} AUID="${choice:unset|${user}}" UID="${user}" GID="${user}" EUID="${user}" SUID="root" FSUID="root" EGID="root" SGID="root" FSGID="root"', 4, "SYSCALL"),
        S("user_auth_failed", "WARN", "pid=${int:100..99999} uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=PAM:authentication grantors=? acct=\"${user}\" exe=\"/usr/sbin/sshd\" hostname=${i=ip} addr=${@i} terminal=ssh res=failed'\x1dUID=\"root\" AUID=\"unset\"", 6, "USER_AUTH"),
        S("user_login_failed", "WARN", "pid=${int:100..99999} uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=login acct=\"${user}\" exe=\"/usr/sbin/sshd\" hostname=? addr=${ip} terminal=sshd res=failed'\x1dUID=\"root\" AUID=\"unset\"", 4, "USER_LOGIN"),
        S("bad_ident", "WARN", "pid=${int:100..99999} uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=PAM:bad_ident grantors=? acct=\"?\" exe=\"/usr/sbin/sshd\" hostname=${i=ip} addr=${@i} terminal=ssh res=failed'\x1dUID=\"root\" AUID=\"unset\"", 2, "USER_ERR"),
        S("anom_abend", "ERROR", 'auid=${choice:4294967295|1000} uid=${int:0..1001} gid=${int:0..1001} ses=${choice:4294967295|${int:1..40}} subj=system_u:system_r:${sedom}:s0 pid=${int:100..99999} comm="${comm}" exe="${exe}" sig=${choice:11|6|7} res=1\x1dAUID="${choice:unset|${user}}" UID="${user}" GID="${user}"', 3, "ANOM_ABEND"),
        S("service_failed", "ERROR", "pid=1 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:init_t:s0 msg='unit=${unit} comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" hostname=? addr=? terminal=? res=failed'\x1dUID=\"root\" AUID=\"unset\"", 3, "SERVICE_START"),
        S("service_ok", "INFO", "pid=1 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:init_t:s0 msg='unit=${unit} comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" hostname=? addr=? terminal=? res=success'\x1dUID=\"root\" AUID=\"unset\"", 3, "SERVICE_START"),
        S("cred_disp", "INFO", "pid=${int:100..99999} uid=0 auid=${int:1000..1010} ses=${int:1..40} subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 msg='op=PAM:setcred grantors=pam_env,pam_unix acct=\"root\" exe=\"/usr/bin/sudo\" hostname=? addr=? terminal=/dev/pts/${int:0..9} res=success'\x1dUID=\"root\" AUID=\"${user}\"", 4, "CRED_DISP"),
        S("proctitle", "INFO", "proctitle=${hex:20..80}", 4, "PROCTITLE"),
    )

    def line(self, rng, t, st, message, component, style):
        stamp = f"{int(_epoch_of(t))}.{_milli(t)}:{rng.randint(100, 999999)}"
        return f"type={component} msg=audit({stamp}): {message}"


class PBS(Layout):
    """PBS Professional server_logs: ``mm/dd/yyyy hh:mm:ss;EVENT;Server@host;Class;Object;msg``,
    EVENT a hex class (0001 error, 0002 system, 0008 job, 0010 job usage, 0080 debug, 0100
    debug 2), not a severity. Component: "event|class|object kind"."""

    name = "pbs"
    statements = (
        S("node_down", "WARN", "node down: communication closed", 5, "0002|Node|node"),
        S("im_eof", "WARN", "im_eof, End of File from addr ${ip}:15003", 4, "0002|Node|node"),
        S("req_reject", "WARN", "Reject reply code=${choice:15001|15023|15045|15004|15086}, aux=0, type=${int:1..80}, from ${user}@${choice:login1|login2|jupyter-hub|pbs01}", 6, "0080|Req|req_reject"),
        S("unauthorized", "ERROR", "Unauthorized Request, request type: ${int:1..80}, Object: Job, Name: ${pbsjob}, request from: ${user}@${choice:login1|login2}", 3, "0001|Svr|server"),
        S("send_failed", "ERROR", "send of job to ${choice:cn0042|cn0117|gpu-a100-07} failed error = ${choice:15010|15031|15084}", 3, "0001|Job|job"),
        S("job_rerun", "WARN", "Job Rerun at request of ${choice:root@pbs01|Scheduler@pbs01}", 2, "0008|Job|job"),
        S("walltime", "WARN", "Job exceeded resource walltime", 3, "0008|Job|job"),
        S("job_queued", "INFO", "Job Queued at request of ${u=user}@${h=choice:login1|login2|jupyter-hub}, owner = ${@u}@${@h}, job name = ${jname}, queue = ${pbsq}", 5, "0008|Job|job"),
        S("job_run", "INFO", "Job Run at request of Scheduler@pbs01 on exec_vnode ${execvnode}", 5, "0008|Job|job"),
        S("job_usage", "INFO", "Exit_status=${choice:0|0|0|1|271|-11} resources_used.cpupercent=${int:0..6400} resources_used.cput=${hms} resources_used.mem=${int:1000..99999999}kb resources_used.ncpus=${choice:1|4|16|64} resources_used.vmem=${int:1000..99999999}kb resources_used.walltime=${hms}", 4, "0010|Job|job"),
        S("obit", "INFO", "Obit received momhop:1 serverhop:1 state:${choice:4|5} substate:${choice:42|51|50}", 3, "0080|Job|job"),
        S("request_received", "INFO", "Type ${choice:0|21|49|71} request received from ${user}@${choice:login1|login2|pbs01}, sock=${int:10..99}", 4, "0100|Req|empty"),
    )

    def line(self, rng, t, st, message, component, style):
        event, klass, kind = component.split("|")
        obj = {"node": rng.choice(("cn0042", "cn0117", "gpu-a100-07", "bigmem02", f"cn{rng.randint(1, 256):04d}")),
               "job": _pbsjob(rng, "", None), "req_reject": "req_reject", "server": "Server@pbs01",
               "empty": ""}[kind]
        return f"{t:%m/%d/%Y %H:%M:%S};{event};Server@pbs01;{klass};{obj};{message}"


class GPFS(Layout):
    """IBM Storage Scale (GPFS) mmfs.log: ``yyyy-mm-dd_hh:mm:ss.mmm+0100: [X] msg`` with [I]nfo,
    [N]otice, [W]arning, [E]rror, [X] critical."""

    name = "gpfs"
    letters = {"INFO": "I", "NOTICE": "N", "WARN": "W", "ERROR": "E", "CRITICAL": "X"}
    statements = (
        S("expelled", "ERROR", "Node ${ip} (${gnode}) is being expelled because of an expired lease. Pings sent: ${int:1..60}. Replies received: 0.", 4, ""),
        S("close_conn", "ERROR", "Close connection to ${ip} ${gnode} <c0n${int:0..64}> (${choice:Connection reset by peer|Connection timed out|No route to host}). Attempting reconnect.", 5, ""),
        S("local_access", "ERROR", "Local access to ${choice:nsd_data_${int:1..64}|gpfs${int:1..64}nsd|ess_io1_data_${int:1..9}} failed with EIO, switching to access the disk remotely.", 3, ""),
        S("quorum_loss", "ERROR", "Quorum loss. Probing cluster ${choice:hpc.example.com|ess.cluster|storage01.corp}", 2, ""),
        S("lease_expired", "WARN", "Disk lease period expired ${float:0..30/1} seconds ago in cluster ${choice:hpc.example.com|ess.cluster}. Attempting to reacquire the lease.", 3, ""),
        S("unmounted", "NOTICE", "File system ${gpfsfs} unmounted by the system with return code ${choice:5|217|641} reason code ${choice:0|1|6}", 2, ""),
        S("lease_overdue", "NOTICE", "Node ${ip} (${gnode}) lease renewal is overdue. Pinging to check if it is alive", 4, ""),
        S("shutdown_abnormal", "CRITICAL", "The mmfs daemon is shutting down abnormally.", 1, ""),
        S("log_recovery", "WARN", "Log recovery for log group ${int:1..512} in ${gpfsfs} failed, rc = ${choice:5|28|110}", 2, ""),
        S("mount_cmd", "INFO", "Command: mount ${gpfsfs} ${int:100..99999}", 3, ""),
        S("mount_ok", "INFO", "Command: successful mount ${gpfsfs}", 3, ""),
        S("connected", "INFO", "Connected to ${ip} ${gnode} <c0n${int:0..64}>", 4, ""),
        S("accepted", "INFO", "Accepted and connected to ${ip} ${gnode} <c0n${int:0..64}>", 3, ""),
        S("recovered", "INFO", "Recovered ${int:1..40} nodes for file system ${gpfsfs}.", 2, ""),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%Y-%m-%d_%H:%M:%S}.{_milli(t)}+0100: [{self.letters[st.level]}] {message}"


class FluentBit(Layout):
    """Fluent Bit: ``[yyyy/mm/dd hh:mm:ss] [ warn] [component] msg`` (levels padded to 5 inside
    the brackets). Component: the plugin or subsystem tag."""

    name = "fluentbit"
    words = {"ERROR": "error", "WARN": " warn", "INFO": " info"}
    statements = (
        S("es_http", "ERROR", "HTTP status=${choice:400|403|413|429|503} URI=/_bulk, response:", 5, "output:es:es.${int:0..2}"),
        S("flush_retry", "WARN", "failed to flush chunk '${chunk}', retry in ${int:1..60} seconds: task_id=${int:0..99}, input=${fbin} > output=${fbout} (out_id=${int:0..3})", 7, "engine"),
        S("cannot_retry", "WARN", "chunk '${chunk}' cannot be retried: task_id=${int:0..99}, input=${fbin} > output=${fbout}", 3, "engine"),
        S("tcp_failed", "ERROR", "TCP connection failed: ${choice:elasticsearch|fluentd-aggregator|10.0.4.7|loki-gateway.monitoring.svc}:${choice:9200|24224|3100|443} (${choice:Connection refused|Connection timed out|No route to host})", 4, "net"),
        S("no_upstream", "ERROR", "no upstream connections available", 4, "output:forward:forward.0"),
        S("no_meta", "WARN", "could not get meta for POD ${choice:web|api|worker|coredns}-${hex:5}", 2, "filter:kubernetes:kubernetes.0"),
        S("paused", "WARN", "${fbin} paused (mem buf overlimit)", 3, "input"),
        S("resume", "INFO", "${fbin} resume (mem buf overlimit)", 3, "input"),
        S("buffer", "WARN", "cannot increase buffer: current=${int:512..65536} requested=${int:65536..200000} max=${choice:512000|65536|32768}", 2, "http_client"),
        S("tls_error", "ERROR", "error: ${choice:unexpected EOF|certificate verify failed|wrong version number}", 2, "tls"),
        S("loki_error", "ERROR", "loki-gateway.monitoring.svc:3100, HTTP status=${choice:400|429|500} ${text:lokierr}", 2, "output:loki:loki.0"),
        S("retry_ok", "INFO", "flush chunk '${chunk}' succeeded at retry ${int:1..9}: task_id=${int:0..99}, input=${fbin} > output=${fbout} (out_id=${int:0..3})", 4, "engine"),
        S("inotify_add", "INFO", "inotify_fs_add(): inode=${int:1000..99999999} watch_fd=${int:1..400} name=${clog}", 4, "input:tail:tail.0"),
    )

    def line(self, rng, t, st, message, component, style):
        return f"[{t:%Y/%m/%d %H:%M:%S}] [{self.words[st.level]}] [{component}] {message}"


class Fluentd(Layout):
    """Fluentd: ``yyyy-mm-dd hh:mm:ss +0000 [warn]: #0 [plugin_id] msg``; backtraces come as
    lines of their own, each with the full header."""

    name = "fluentd"
    statements = (
        S("flush_failed", "WARN", 'failed to flush the buffer. retry_times=${int:0..17} next_retry_time=${fbts} chunk="${hex:32}" error_class=${text:fderrcls} error="${text:fderr}"', 6, "p"),
        S("retry_succeeded", "WARN", 'retry succeeded. chunk_id="${hex:32}"', 3, "p"),
        S("emit_failed", "WARN", 'emit transaction failed: error_class=Fluent::Plugin::Buffer::BufferOverflowError error="buffer space has too many data" location="/usr/lib/ruby/gems/3.2.0/gems/fluentd-1.16.${int:2..5}/lib/fluent/plugin/buffer.rb:${int:290..330}:in `write\'" tag="${ftag}"', 3, ""),
        S("pattern_not_matched", "WARN", 'pattern not matched: "${nginxline}"', 4, ""),
        S("unreadable", "WARN", "${clog} unreadable. It is excluded and would be examined next time.", 2, ""),
        S("es_reset", "WARN", "Could not communicate to Elasticsearch, resetting connection and trying again. ${choice:Connection refused - connect(2) for 10.0.4.7:9200 (Errno::ECONNREFUSED)|read timeout reached|Failed to open TCP connection to elasticsearch:9200 (getaddrinfo: Name or service not known)}", 3, "p"),
        S("remaining_retry", "WARN", "Remaining retry: ${int:1..14}. Retry to communicate after ${choice:2|4|8|16|32|64} second(s).", 3, "p"),
        S("no_patterns", "WARN", 'no patterns matched tag="${ftag}"', 2, ""),
        S("backtrace", "WARN", "/usr/lib/ruby/gems/3.2.0/gems/${choice:fluentd-1.16.3/lib/fluent/plugin/out_forward.rb|fluent-plugin-elasticsearch-5.4.3/lib/fluent/plugin/out_elasticsearch.rb|excon-0.109.0/lib/excon/socket.rb}:${int:50..1300}:in `${choice:write|send_bulk|block in connect|rescue in request}'", 6, "p"),
        S("suppressed", "WARN", "suppressed same stacktrace", 3, "p"),
        S("config_error", "ERROR", "config error file=\"/fluentd/etc/fluent.conf\" error_class=Fluent::ConfigError error=\"${choice:Unknown output plugin 'elasticsearch'. Run 'gem search -rd fluent-plugin' to find plugins|Invalid Kubernetes API v1 endpoint https://10.96.0.1:443/api: SSL_connect returned=1 errno=0|'path' parameter is required}\"", 1, ""),
        S("unexpected_error", "ERROR", 'unexpected error error_class=${text:fderrcls} error="${text:fderr}"', 3, "p"),
        S("following", "INFO", "following tail of ${clog}", 4, ""),
        S("chain", "INFO", "disable filter chain optimization because [Fluent::Plugin::RecordTransformerFilter] uses `#filter_stream` method.", 1, ""),
    )

    def line(self, rng, t, st, message, component, style):
        plugin = f" [{rng.choice(LISTS['fplugin'])}]" if component == "p" and rng.random() < 0.7 else ""
        worker = f"#{rng.randint(0, 3)}" if rng.random() < 0.9 else "#0"
        return f"{t:%Y-%m-%d %H:%M:%S} +0000 [{st.level.lower()}]: {worker}{plugin} {message}"


class Bacula(Layout):
    """Bacula messages (``/var/log/bacula/bacula.log``): ``dd-Mon hh:mm daemon JobId N: [Fatal
    error: |Error: |Warning: ]msg``. Component: the daemon (``dir``, ``sd`` or ``fd``)."""

    name = "bacula"
    prefix = {"FATAL": "Fatal error: ", "ERROR": "Error: ", "WARNING": "Warning: ", "INFO": ""}
    statements = (
        S("fd_connect", "FATAL", "bsockcore.c:${choice:208|209} Unable to connect to Client: ${bclient} on ${choice:webserver.corp.example.com|10.0.2.15|mailhost}:9102. ERR=${choice:Connection refused|Interrupted system call|No route to host}", 5, "dir"),
        S("no_fd_status", "FATAL", "No Job status returned from FD.", 3, "dir"),
        S("max_run_time", "FATAL", "Max run time exceeded. Job canceled.", 2, "dir"),
        S("watchdog", "ERROR", "Watchdog sending kill after ${int:518400..604800} secs to thread stalled reading File daemon.", 2, "dir"),
        S("job_report", "ERROR", "Bacula bacula-dir 13.0.4 (12Feb24):", 3, "dir"),
        S("open_failed", "WARNING", 'mount.c:${choice:216|1234} Open of file device "${bdev}" (/srv/bacula/${choice:storage|archive}) Volume "${v=bvol}" failed: ERR=file_dev.c:${choice:190|88} Could not open(/srv/bacula/storage/${@v},OPEN_READ_WRITE,0640): ERR=No such file or directory', 4, "sd"),
        S("sd_connect", "WARNING", "bsockcore.c:${choice:258|259} Could not connect to Storage daemon on ${choice:backup.corp.example.com|10.0.2.20}:9103. ERR=${choice:Connection refused|Connection timed out}", 4, "dir"),
        S("could_not_stat", "ERROR", '     Could not stat "${choice:/home/${user}/.cache|/var/lib/mysql/ibtmp1|/srv/share/Projects/offer final.docx|/etc/ssl/private}": ERR=${choice:No such file or directory|Permission denied}', 5, "fd"),
        S("file_changed", "WARNING", '     ${choice:/var/log/syslog|/var/lib/postgresql/16/main/pg_wal/0000000100000A2B000000${HEX:2}|/home/${user}/mail/inbox} is a ${choice:file|sparse file} that changed while being read', 3, "fd"),
        S("start_backup", "INFO", "Start Backup JobId ${int:1000..99999}, Job=${bjob}.2026-11-${int:24..25}_${int:10..23}.${int:10..59}.${int:10..59}_${int:3..99}", 4, "dir"),
        S("using_device", "INFO", 'Using Device "${bdev}" to write.', 3, "sd"),
        S("end_medium", "INFO", 'End of medium on Volume "${bvol}" Bytes=${commas} Blocks=${commas} at 24-Nov-2026 ${int:10..23}:${int:10..59}.', 2, "sd"),
        S("moving_eod", "INFO", 'Volume "${bvol}" previously written, moving to end of data.', 3, "sd"),
    )

    def line(self, rng, t, st, message, component, style):
        daemon = {"dir": "bacula-dir", "sd": "bacula-sd", "fd": rng.choice(LISTS["bclient"])}[component]
        job = f" JobId {rng.randint(1000, 99999)}:" if rng.random() < 0.9 else ":"
        return f"{t:%d-%b %H:%M} {daemon}{job} {self.prefix[st.level]}{message}"


class PgBouncer(Layout):
    """PgBouncer 1.2x: ``yyyy-mm-dd hh:mm:ss.mmm UTC [pid] LEVEL C-0x...: db/user@ip:port msg``
    (``S-0x...`` for server connections; stats lines have no connection part). Component: C, S
    or empty."""

    name = "pgbouncer"
    statements = (
        S("no_such_db", "WARNING", "pooler error: no such database: ${pgdb}", 4, "C"),
        S("password_failed", "WARNING", 'pooler error: password authentication failed for user "${pguser}"', 5, "C"),
        S("max_client", "WARNING", "pooler error: no more connections allowed (max_client_conn)", 3, "C"),
        S("query_wait", "WARNING", "pooler error: query_wait_timeout", 3, "C"),
        S("login_failing", "WARNING", "pooler error: server login has been failing, try again later (server_login_retry)", 2, "C"),
        S("server_login_failed", "ERROR", 'login failed: FATAL: ${choice:password authentication failed for user "${pguser}"|database "${pgdb}" does not exist|sorry, too many clients already|the database system is starting up}', 4, "S"),
        S("accept_failed", "ERROR", "accept() failed: Too many open files", 1, ""),
        S("dns_failed", "WARNING", "DNS lookup failed: ${choice:db-primary|pg-replica.internal|postgres.data.svc.cluster.local}: result=${choice:0|-2|-3}", 2, ""),
        S("login_attempt", "LOG", "login attempt: db=${pgdb} user=${pguser} tls=${choice:no|TLSv1.3/TLS_AES_256_GCM_SHA384/ECDH=X25519}", 6, "C"),
        S("client_close", "LOG", "closing because: client close request (age=${int:0..90000}s)", 5, "C"),
        S("client_eof", "LOG", "closing because: client unexpected eof (age=${int:0..9000}s)", 2, "C"),
        S("server_idle", "LOG", "closing because: server idle timeout (age=${int:600..9000}s)", 2, "S"),
        S("server_lifetime", "LOG", "closing because: server lifetime over (age=${int:3600..9000}s)", 2, "S"),
        S("stats", "LOG", "stats: ${int:0..900} xacts/s, ${int:0..9000} queries/s, ${int:0..90} client parses/s, ${int:0..90} server parses/s, ${int:0..90} binds/s, in ${int} B/s, out ${int} B/s, xact ${int} us, query ${int} us, wait ${int} us", 2, ""),
    )

    def line(self, rng, t, st, message, component, style):
        conn = ""
        if component:
            port = 5432 if component == "S" else rng.randint(1024, 65535)
            conn = f"{component}-{_jenaddr(rng, '', None)}: {rng.choice(LISTS['pgdb'])}/{rng.choice(LISTS['pguser'])}@{_ip(rng)}:{port} "
        return f"{t:%Y-%m-%d %H:%M:%S}.{_milli(t)} UTC [{self.pid}] {st.level} {conn}{message}"


class Lighttpd(Layout):
    """lighttpd 1.4 error log: ``yyyy-mm-dd hh:mm:ss: (source.c.line) msg``; no levels (the
    source location is fixed per statement)."""

    name = "lighttpd"
    statements = (
        S("ssl_error", "WARN", "SSL: 1 ${text:tlserr} (${ip})", 6, "mod_openssl.c.3313"),
        S("connect_failed", "ERROR", "establishing connection failed: ${choice:Connection refused|Resource temporarily unavailable|No such file or directory} socket: unix:/run/lighttpd/${choice:php.socket-0|php-fpm.sock|php.socket-${int:0..3}}", 5, "gw_backend.c.314"),
        S("overloaded", "ERROR", "backend is overloaded; we'll disable it for 1 seconds and send the request to another backend instead: load: ${int:1..400}", 3, "gw_backend.c.1166"),
        S("all_down", "ERROR", "all handlers for ${choice:/index.php|/wp-login.php|/api/v1/orders.php}?${choice:|page=${int:1..30}|action=login} on .php are down.", 3, "gw_backend.c.1051"),
        S("no_response", "ERROR", "response not received, request sent: ${int:100..4000} on socket: unix:/run/lighttpd/php.socket-${int:0..3} for ${choice:/index.php|/wp-login.php|/cart.php}?, closing connection", 3, "gw_backend.c.2184"),
        S("fastcgi_stderr", "WARN", "FastCGI-stderr: ${text:phperr}", 5, "mod_fastcgi.c.487"),
        S("sockets_disabled", "WARN", "[note] sockets disabled, connection limit reached", 2, "server.c.1734"),
        S("sockets_enabled", "INFO", "[note] sockets enabled again", 2, "server.c.1765"),
        S("file_not_found", "INFO", "file not found ... or so: No such file or directory ${p=upath} -> /var/www/html${@p}", 4, "response.c.694"),
        S("started", "INFO", "server started (lighttpd/1.4.${int:59..76})", 1, "server.c.1981"),
        S("graceful", "INFO", "[note] graceful shutdown started", 1, "server.c.2112"),
    )

    def line(self, rng, t, st, message, component, style):
        return f"{t:%Y-%m-%d %H:%M:%S}: ({component}) {message}"


class Grafana(Layout):
    """Grafana server log (logfmt): ``logger=NAME [context fields] t=iso level=error msg=... fields``.
    Component: "logger|context" (context fields rendered before ``t=``)."""

    name = "grafana"
    statements = (
        S("request_failed", "ERROR", 'msg="Request Completed" method=${method} path=${gpath} status=${choice:500|502|504} remote_addr=${ip} time_ms=${int:1..60000} duration=${godur} size=${int:0..9999} referer=${choice:|https://grafana.acme.io/d/${hex:9}/${choice:node-exporter-full|kubernetes-cluster|api-latency}} handler=${choice:/api/ds/query|/api/datasources/proxy/uid/:uid/*|/api/dashboards/uid/:uid} status_source=${choice:server|downstream}', 6, "context|userId=${int:1..40} orgId=${int:1..3} uname=${gruser}"),
        S("query_failed", "ERROR", 'msg="Failed to query data" error="${text:grerr}"', 4, "tsdb.${pl=choice:prometheus|loki|grafana-postgresql-datasource}|endpoint=queryData pluginId=${@pl} dsName=\"${dsname}\" dsUID=${hex:14} uname=${gruser} fromAlert=${choice:true|false}"),
        S("rule_eval", "ERROR", 'msg="Failed to evaluate rule" error="${text:grerr}" duration=${godur}', 4, "ngalert.scheduler|rule_uid=${hex:14} org_id=1 version=${int:1..90} attempt=${int:0..3} now=2026-11-24T${int:10..23}:${int:10..59}:${int:10..59}Z"),
        S("notify_failed", "ERROR", 'msg="Notify for alerts failed" num_alerts=${int:1..40} err="${r=choice:slack|email|webhook}/${@r}[0]: notify retry canceled due to unrecoverable error after 1 attempts: ${choice:channel_not_found|dial tcp ${ip}:587: i/o timeout|unexpected status code 410}"', 3, "ngalert.notifier.alertmanager|org=1 component=dispatcher"),
        S("auth_failed", "WARN", 'msg="Failed to authenticate request" client=${choice:auth.client.session|auth.client.api-key|auth.client.basic} error="${choice:user token not found|invalid API key|[password-auth.failed] failed to authenticate identity: [identity.not-found] no user found}"', 5, "authn.service|"),
        S("db_locked", "INFO", 'msg="Database locked, sleeping then retrying" error="database is locked" retry=${int:0..5} code="database is locked"', 3, "sqlstore.transactions|"),
        S("plugin_signature", "WARN", 'msg="Skipping loading plugin due to problem with signature" pluginID=${choice:grafana-worldmap-panel|custom-acme-panel|marcusolsson-json-datasource} status=${choice:unsigned|modified|invalid}', 2, "plugin.loader|"),
        S("slow_request", "WARN", 'msg="Slow request" method=${method} path=${gpath} duration=${godur}', 2, "context|userId=${int:1..40} orgId=${int:1..3} uname=${gruser}"),
        S("request_ok", "INFO", 'msg="Request Completed" method=${method} path=${gpath} status=${choice:200|304|302} remote_addr=${ip} time_ms=${int:1..900} duration=${godur} size=${int:0..99999}', 2, "context|userId=${int:1..40} orgId=${int:1..3} uname=${gruser}"),
        S("cleanup", "INFO", 'msg="Completed cleanup jobs" duration=${godur}', 2, "cleanup|"),
        S("usage_stats", "INFO", 'msg="Update check succeeded" duration=${godur}', 1, "grafana.update.checker|"),
    )

    def line(self, rng, t, st, message, component, style):
        logger, _, context = component.partition("|")
        context = f" {context}" if context else ""
        return f"logger={logger}{context} t={t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}{rng.randint(100, 999)}Z level={st.level.lower()} {message}"


LAYOUTS: tuple[Layout, ...] = (
    WildFly(), Gunicorn(), UWSGI(), Celery(), Sidekiq(), SidekiqJson(), Nextcloud(), Traefik(), CoreDNS(),
    OpenVPN(), StrongSwan(), SSSD(), Chronyd(), NetworkManager(), Auditd(), PBS(), GPFS(), FluentBit(),
    Fluentd(), Bacula(), PgBouncer(), Lighttpd(), Grafana(),
)

# Statements that differ only in constant text: each pair must get two templates (kind "text").
CONSTANT_TEXT_PAIRS = (
    ("uwsgi/writev_broken", "uwsgi/write_body_broken", "text"),
    ("celery/hard_timeout", "celery/soft_timeout", "text"),
    ("traefik/service_missing", "traefik/middleware_missing", "text"),
    ("strongswan/received_proposals", "strongswan/configured_proposals", "text"),
    ("chronyd/no_selectable", "chronyd/no_majority", "text"),
    ("chronyd/forward_jump", "chronyd/backward_jump", "text"),
    ("networkmanager/dhcp4_timeout", "networkmanager/dhcp6_timeout", "text"),
    ("gpfs/connected", "gpfs/accepted", "text"),
    ("fluentbit/paused", "fluentbit/resume", "text"),
    ("pgbouncer/server_idle", "pgbouncer/server_lifetime", "text"),
    ("lighttpd/sockets_disabled", "lighttpd/sockets_enabled", "text"),
    ("gunicorn/boot_failed", "gunicorn/app_failed", "text"),
    ("openvpn/tls_negotiation", "openvpn/tls_handshake", "text"),
)


def datasets() -> list[tuple[str, Layout, str]]:
    """(data set name, layout, style): one data set per layout style (the first style takes the
    layout's name)."""
    out = []
    for layout in LAYOUTS:
        for index, style in enumerate(layout.styles):
            suffix = "" if index == 0 else "_" + re.sub(r"\W", "", style)
            out.append((layout.name + suffix, layout, style))
    return out


def _labelled(name: str, layout: Layout, st: Statement, content: str, written: str) -> LabelledLine:
    assert "\n" not in content, (name, st.id)
    message_bytes = written.encode() if layout.json_message else written.strip().encode()
    if not layout.json_message:
        assert message_bytes in content.encode(), (name, st.id)
    return LabelledLine(content.encode(), f"{name}/{st.id}", LEVEL_CLASS[st.level], message_bytes)


def generate_dataset(name: str, layout: Layout, style: str, seed: int = DEFAULT_SEED,
                     lines: int = DEFAULT_LINES_PER_LAYOUT, files: int = 2) -> list[LogFile]:
    """The files of one data set: ``lines`` lines in all, split over ``files`` files. A line's
    continuation lines (``Layout.follow``) come right after it and count towards ``lines``;
    continuation statements have weight 0 (drawn only when they are all there is)."""
    rng = random.Random(_layout_seed(seed, name))
    weights = [st.weight for st in layout.statements]
    if not any(weights):
        weights = [1.0] * len(weights)
    by_id = {st.id: st for st in layout.statements}
    out = []
    for index in range(files):
        moment = datetime(2026, 11, 24 + index, rng.randint(0, 5), rng.randint(0, 59), rng.randint(0, 59),
                          rng.randint(0, 999999))
        layout.begin_file(rng, moment, index, style)
        share = lines // files + (1 if index < lines % files else 0)
        rows: list[LabelledLine] = []
        while len(rows) < share:
            moment += timedelta(microseconds=rng.randint(1000, 9_000_000))
            st = rng.choices(layout.statements, weights)[0]
            env = {"_t": moment, "date": f"{moment:%a %b %d %H:%M:%S %Y}"}
            message = render(rng, st.text, env)
            component = render(rng, st.component, env)
            made = layout.line(rng, moment, st, message, component, style)
            content, written = made if isinstance(made, tuple) else (made, message)
            rows.append(_labelled(name, layout, st, content, written))
            for ident, text in layout.follow(rng, st, env):
                if len(rows) == share or ident not in by_id:  # lines_of: one statement only
                    break
                more = render(rng, text, env)
                rows.append(_labelled(name, layout, by_id[ident], more, more))
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
