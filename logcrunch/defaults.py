"""Constants and defaults, in one place."""

# Exit codes (the contract cron relies on).
EXIT_OK = 0
EXIT_INCOMPLETE = 1  # the run could not finish (no worker came, head stopped, ...)
EXIT_USAGE = 2
EXIT_FILES_FAILED = 3  # finished, but some files failed (listed in files.csv)
EXIT_NO_FILES = 4  # the roots hold no file at all (not mounted? --include typo?); nothing written
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the state lock

# Walking.
MAX_WALK_DEPTH = 1000  # directories deeper than this below their root are reported, not entered

# Scanning.
# Bytes read per step: bounds worker memory (the buffer is MAX_LINE_BYTES + CHUNK_SIZE); fewer,
# larger blocks pay less per-block work (results built in C, merged in Python): 2 MiB was 5%
# faster than 1 MiB (2026-12-02), 4 MiB 3% faster than 2 MiB, 8 MiB no faster than 4 (2026-12-03,
# interleaved A/B of scan_file on the benchmark's 16 files).
CHUNK_SIZE = 4 * 1024 * 1024
# A compressed file at least this big is inflated by a thread one chunk ahead of the scan
# (readers.ReadAhead); below it the thread costs more than it saves.
READ_AHEAD_MIN_BYTES = 256 * 1024
MAX_LINE_BYTES = 1024 * 1024  # longer lines are counted as over-long and not held in memory
BINARY_SNIFF_BYTES = 64 * 1024  # a NUL in these first bytes marks a file as binary
SPLIT_MIN_BYTES = 256 * 1024 * 1024  # plain files larger than this are split into byte ranges

# Which metric samples are kept (summary.parse_number): a finite decimal of at most
# MAX_SIGNIFICANT_DIGITS significant digits (a double has 17; real metrics have fewer than 20)
# that is 0 or of magnitude between 10**MIN_SAMPLE_EXPONENT and the largest double. Every kept
# value, its square and their sums then stay small exact numbers (sum_sq of 10**12 samples has
# under 1,400 digits) that store, merge and print quickly. Others count in samples_out_of_range.
MAX_SIGNIFICANT_DIGITS = 40
MIN_SAMPLE_EXPONENT = -320  # |x| >= 1e-320: the subnormal doubles, where a double still holds x
# Distinct metric names kept per file: beyond that, the alphabetically first MAX_METRICS are
# kept (the same names however the file is split); the rest count in samples_over_metric_cap.
MAX_METRICS = 100  # real layouts have under 40 numeric keys; bounds a file's metrics.csv rows
MAX_METRIC_NAME_CHARS = 200  # a longer key (JSON keys can be 1 MB) is no metric name
# Percentiles (logcrunch.sketch): buckets kept per metric; beyond, the lowest are folded into the
# MAX_SKETCH_BUCKETS-th largest (64 buckets per octave: 2048 span 32 octaves, 1 us to 70 minutes).
MAX_SKETCH_BUCKETS = 2048
PERCENTILES = (("p50", "0.5"), ("p95", "0.95"), ("p99", "0.99"))  # metrics.csv columns
PERCENTILE_DIGITS = 6  # significant digits written for a percentile estimate
PENDING_METRIC_NAMES = 1000  # names held before being folded in (and capped), per scanner
# Keys that name things rather than measure them: not metrics unless --metric-include names them
# (fnmatch globs, matched against the whole key).
IDENTIFIER_METRICS = (
    "pid", "ppid", "tid", "uid", "gid", "euid", "egid", "ruid", "rgid", "suid", "sgid", "fsuid",
    "port", "sport", "dport", "lport", "rport", "id", "errno", "code",
    "*_id", "*_pid", "*_tid", "*_uid", "*_gid", "*_port", "*_errno", "*_code", "*Id", "*ID",
)  # fmt: skip
# Templates and timeline (per file; beyond, the exact counts stay in "(other templates)" and in
# the timeline's empty-hour row).
MAX_TEMPLATES = 1000  # distinct (level, template) kept per file: the alphabetically first
MAX_TIMELINE_HOURS = 50_000  # distinct hours kept per file (5.7 years): the earliest
TOP_TEMPLATES = 50  # templates.csv rows per (group, level) before "(other templates)"
# Compressed files: decompressing more than MAX_EXPANSION times the compressed size (beyond the
# first EXPANSION_FLOOR_BYTES, always allowed) fails the file as a compression bomb.
MAX_EXPANSION = 1000  # real logs compress 5-50x (bz2/xz up to ~300x); deflate tops out at ~1030x
EXPANSION_FLOOR_BYTES = 64 * 1024 * 1024

# Network / broker.
DEFAULT_PORT = 50070
LEASE_SECONDS = 30.0  # a lease's lifetime; heartbeats extend it
HEARTBEAT_SECONDS = 5.0
MAX_ATTEMPTS = 3
FILE_TIMEOUT = 1800.0  # one file (or split range) taking longer than this is presumed hung
LEASE_TARGET_BYTES = 64 * 1024 * 1024  # how many bytes one lease should hold, roughly
LEASE_MAX_FILES = 256
# When few tasks are left, a lease holds at most a fair share of them (half the queue over the
# active workers), but tiny tasks (the largest queued at most TINY_TASK_BYTES) at least
# TINY_TASKS_PER_LEASE: a thousand workers on tiny files would otherwise lease a few files each,
# and each lease costs the head a call, heartbeats and a commit whatever it holds.
TINY_TASK_BYTES = 16 * 1024
TINY_TASKS_PER_LEASE = LEASE_MAX_FILES
RESULT_BATCH_FILES = 64  # results are sent back in batches of this many ...
RESULT_BATCH_SECONDS = 1.0  # ... or after this long, whichever comes first ...
RESULT_BATCH_BYTES = 2 * 1024 * 1024  # ... or once they may encode to this much (templates)
WORKER_TIMEOUT = 300.0  # head gives up when no worker has been seen for this long
CONNECT_RETRY_SECONDS = 120.0  # a worker waits this long for an absent head
AUTHKEY_MIN_BYTES = 32
AUTHKEY_ENV = "LOGCRUNCH_AUTHKEY_FILE"
AUTHKEY_DEFAULT_PATH = "~/.config/logcrunch/authkey"

PROGRESS_LOG_SECONDS = 30.0  # without a terminal, a progress line this often

# report.html (html_report): what the page shows of the CSVs (which hold everything).
# A group (host) "stands out" when its error rate is at least OUTLIER_RATE_FACTOR times the
# overall rate and it has at least OUTLIER_MIN_ERROR_LINES error lines (a handful of errors in a
# quiet file is no pattern); never with fewer than two groups or an overall rate of 0.
OUTLIER_RATE_FACTOR = 2.0
OUTLIER_MIN_ERROR_LINES = 10
HTML_TOP_TEMPLATES = 15  # templates per level in the page (templates.csv has --top)
HTML_MAX_LIST_ROWS = 50  # failed files, new templates, spikes listed before "N more in ..."
HTML_MAX_GROUP_CHARTS = 12  # per-group timeline charts (the groups with most error lines)
HTML_MAX_CHART_HOURS = 24 * 31  # the overall chart's latest hours; timeline.csv has all

# changes.csv (changes.ChangeOptions): --baseline, --change-ratio, --change-min-lines
CHANGE_BASELINE_RUNS = 7
CHANGE_RATIO = 2.0
CHANGE_MIN_LINES = 10

# The state database (logcrunch.state): --state, else $LOGCRUNCH_STATE, else this path.
DEFAULT_STATE_PATH = "~/.local/state/logcrunch/state.db"
STATE_ENV = "LOGCRUNCH_STATE"

# Who scans a submitted job (logcrunch.job): `logcrunch work` nodes, or a Dask cluster.
ENGINE_BASEMANAGER = "basemanager"
ENGINE_DASK = "dask"
ENGINES = (ENGINE_BASEMANAGER, ENGINE_DASK)

# A run's report reads its stored summaries in a few passes. When they take at most this much
# stored text in all (about 3x as much as Python objects) they are read once and held; past it
# they are read again on each pass, one file at a time, so the head's memory at report time
# stays bounded however many files the run had.
REPORT_HELD_BYTES = 32 * 1024 * 1024
