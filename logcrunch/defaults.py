"""Constants and defaults, in one place."""

# Exit codes (the contract cron relies on).
EXIT_OK = 0
EXIT_INCOMPLETE = 1  # the run could not finish (no worker came, head stopped, ...)
EXIT_USAGE = 2
EXIT_FILES_FAILED = 3  # finished, but some files failed (listed in files.csv)
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the state lock

# Scanning.
CHUNK_SIZE = 1024 * 1024  # bytes read per step: bounds worker memory; fits in L2, faster than 4 MiB
MAX_LINE_BYTES = 1024 * 1024  # longer lines are counted as over-long and not held in memory
BINARY_SNIFF_BYTES = 64 * 1024  # a NUL in these first bytes marks a file as binary
SPLIT_MIN_BYTES = 256 * 1024 * 1024  # plain files larger than this are split into byte ranges

# Network / broker.
DEFAULT_PORT = 50070
LEASE_SECONDS = 30.0  # a lease's lifetime; heartbeats extend it
HEARTBEAT_SECONDS = 5.0
MAX_ATTEMPTS = 3
FILE_TIMEOUT = 1800.0  # one file (or split range) taking longer than this is presumed hung
LEASE_TARGET_BYTES = 64 * 1024 * 1024  # how many bytes one lease should hold, roughly
LEASE_MAX_FILES = 256
RESULT_BATCH_FILES = 64  # results are sent back in batches of this many ...
RESULT_BATCH_SECONDS = 1.0  # ... or after this long, whichever comes first
WORKER_TIMEOUT = 300.0  # head gives up when no worker has been seen for this long
CONNECT_RETRY_SECONDS = 120.0  # a worker waits this long for an absent head
AUTHKEY_MIN_BYTES = 32
AUTHKEY_ENV = "LOGCRUNCH_AUTHKEY_FILE"
AUTHKEY_DEFAULT_PATH = "~/.config/logcrunch/authkey"

PROGRESS_LOG_SECONDS = 30.0  # without a terminal, a progress line this often
