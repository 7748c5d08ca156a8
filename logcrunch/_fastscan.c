/* logcrunch._fastscan: the level rule and the logfmt number sums of a block of whole lines, in C.
 *
 * One call scans a block of complete lines (each ending in "\n") and returns
 *   (lines, error_lines, warn_lines, metrics, others, refused)
 * where metrics maps each logfmt key (bytes) to a list of
 *   (decimals, count, total, total_sq, minimum, maximum)
 * aggregates of its values scaled by 10**decimals (Python ints, exact), and others is a list of
 * (key, value text) pairs the C code leaves to Python: exponent forms, numbers of more than
 * MAX_DIGITS digits, and keys beyond the MAX_ENTRIES table. The numbers aggregated here (at most
 * MAX_DIGITS digits, no exponent) are always kept samples (summary.kept_number); those whose key
 * the per-file metric cap already refuses (longer than max_key bytes, or sorting after ceiling:
 * summary.MetricCap) are only counted, in refused, and never enter the table.
 *
 * The rules are those of logcrunch/formats.py (token_level) and of the logfmt pairs of
 * tests/reference_scan.py; each branch below cites the regex it stands for. Python's bytes
 * regexes are ASCII: \s is [ \t\n\r\f\v], \w is [A-Za-z0-9_], (?i:) folds ASCII letters only.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define NEUTRAL 0
#define WARN 1
#define ERROR 2

#define MAX_DIGITS 18 /* < 10**18 fits int64; its square fits __int128 */
#define MAX_ENTRIES 65536

typedef __int128 i128;

/* ---------------------------------------------------------------------------------------------
 * Character classes. */

enum {
    C_SPACE = 1,      /* \s */
    C_UPPER = 2,      /* [A-Z] */
    C_LOWER = 4,      /* [a-z] */
    C_DIGIT = 8,      /* [0-9] */
    C_KEY = 16,       /* [\w.\-]: a logfmt key after its first byte */
    C_CLASS = 32,     /* [\w$.]: a dotted class name */
    C_BARE_LEFT = 64, /* [\s\[(<|,;]: may precede a bare level word */
    C_TOKEN = 128,    /* may start a level token: [A-Z], "[", "l", "s" */
};
static unsigned char CLASSES[256];
static unsigned char BARE_RIGHT[256]; /* [\s\]):>|,;]: may follow a bare level word */

static void init_classes(void) {
    for (int c = 0; c < 256; c++) {
        unsigned char flags = 0;
        int space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
        int upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';
        int word = upper || lower || digit || c == '_';
        if (space) flags |= C_SPACE;
        if (upper) flags |= C_UPPER;
        if (lower) flags |= C_LOWER;
        if (digit) flags |= C_DIGIT;
        if (word || c == '.' || c == '-') flags |= C_KEY;
        if (word || c == '$' || c == '.') flags |= C_CLASS;
        if (space || (c && strchr("[(<|,;", c))) flags |= C_BARE_LEFT;
        if (upper || c == '[' || c == 'l' || c == 's') flags |= C_TOKEN;
        CLASSES[c] = flags;
        BARE_RIGHT[c] = space || (c && strchr("]):>|,;", c));
    }
}

static inline int is_space(unsigned char c) { return CLASSES[c] & C_SPACE; }
static inline int is_upper(unsigned char c) { return CLASSES[c] & C_UPPER; }
static inline int is_alpha(unsigned char c) { return CLASSES[c] & (C_UPPER | C_LOWER); }
static inline int is_digit(unsigned char c) { return CLASSES[c] & C_DIGIT; }
static inline int is_key_char(unsigned char c) { return CLASSES[c] & C_KEY; }

/* ---------------------------------------------------------------------------------------------
 * Level words (formats.ERROR_WORDS / WARN_WORDS / NEUTRAL_WORDS). */

static const struct {
    const char *word;
    Py_ssize_t length;
    int level;
} LEVEL_WORDS[] = {
    {"error", 5, ERROR},     {"err", 3, ERROR},         {"fatal", 5, ERROR},
    {"critical", 8, ERROR},  {"crit", 4, ERROR},        {"severe", 6, ERROR},
    {"alert", 5, ERROR},     {"emergency", 9, ERROR},   {"emerg", 5, ERROR},
    {"panic", 5, ERROR},     {"failure", 7, ERROR},     {"warning", 7, WARN},
    {"warn", 4, WARN},       {"information", 11, NEUTRAL}, {"info", 4, NEUTRAL},
    {"debug", 5, NEUTRAL},   {"trace", 5, NEUTRAL},     {"notice", 6, NEUTRAL},
    {"verbose", 7, NEUTRAL}, {"finest", 6, NEUTRAL},    {"finer", 5, NEUTRAL},
    {"fine", 4, NEUTRAL},
};
#define LONGEST_WORD 11
#define WORD_COUNT ((int)(sizeof(LEVEL_WORDS) / sizeof(LEVEL_WORDS[0])))
static short WORDS_OF_LENGTH[LONGEST_WORD + 1][WORD_COUNT + 1]; /* indexes, -1 terminated */

static void init_words(void) {
    for (int length = 0; length <= LONGEST_WORD; length++) {
        int used = 0;
        for (int i = 0; i < WORD_COUNT; i++)
            if (LEVEL_WORDS[i].length == length) WORDS_OF_LENGTH[length][used++] = (short)i;
        WORDS_OF_LENGTH[length][used] = -1;
    }
}

/* Level of a letters-only word compared case-insensitively, or -1 when it is no level word.
 * ``bare`` excludes "information", which has no UPPERCASE bare spelling (formats._UPPER_ALT). */
static int word_level(const unsigned char *text, Py_ssize_t length, int bare) {
    char lowered[LONGEST_WORD];
    if (length < 3 || length > LONGEST_WORD) return -1;
    for (Py_ssize_t i = 0; i < length; i++) lowered[i] = (char)(text[i] | 0x20);
    for (const short *index = WORDS_OF_LENGTH[length]; *index >= 0; index++) {
        const char *word = LEVEL_WORDS[*index].word;
        if (word[0] == lowered[0] && memcmp(word, lowered, length) == 0) {
            if (bare && length == 11) return -1; /* "information" */
            return LEVEL_WORDS[*index].level;
        }
    }
    return -1;
}

/* ---------------------------------------------------------------------------------------------
 * formats.CONTINUATION_PATTERN, matched at the start of a line's content. */

static int ends_with(const unsigned char *text, Py_ssize_t length, const char *suffix) {
    Py_ssize_t n = (Py_ssize_t)strlen(suffix);
    return length >= n && memcmp(text + length - n, suffix, n) == 0;
}

static int is_continuation(const unsigned char *s, Py_ssize_t n) {
    if (n == 0) return 0;
    if (s[0] == ' ' || s[0] == '\t') return 1;
    if (n >= 11 && memcmp(s, "Caused by: ", 11) == 0) return 1;
    if (n >= 11 && memcmp(s, "Traceback (", 11) == 0) return 1;
    /* (?:[A-Za-z_$][\w$]*\.)*[A-Z][\w$]*(?:Exception|Error|Throwable)(?=[:\s]|$): the match can
     * only end where the run of [\w$.] from the start ends, so that run must be the name. */
    Py_ssize_t run = 0;
    while (run < n && (CLASSES[s[run]] & C_CLASS)) run++;
    if (run < n && !(s[run] == ':' || is_space(s[run]))) return 0;
    Py_ssize_t segment = 0;
    for (Py_ssize_t i = 0; i <= run; i++) {
        if (i < run && s[i] != '.') continue;
        const unsigned char *seg = s + segment;
        Py_ssize_t length = i - segment;
        if (i == run) { /* the last segment: [A-Z][\w$]*(?:Exception|Error|Throwable) */
            if (length < 1 || !is_upper(seg[0])) return 0;
            return (length > 9 && ends_with(seg, length, "Exception")) ||
                   (length > 5 && ends_with(seg, length, "Error")) ||
                   (length > 9 && ends_with(seg, length, "Throwable"));
        }
        /* a package segment: [A-Za-z_$][\w$]* */
        if (length < 1 || is_digit(seg[0])) return 0;
        segment = i + 1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * formats.TOKEN_PATTERN at position p of a line's content s[0:n]: level, or -1 for no token. */

static inline int bare_left(unsigned char c) { return CLASSES[c] & C_BARE_LEFT; }
static inline int bare_right(unsigned char c) { return BARE_RIGHT[c]; }

static int bare_token(const unsigned char *s, Py_ssize_t n, Py_ssize_t p) {
    /* (UPPER words)(?=[\s\]):>|,;]|$): the word ends before a non-letter, so it is the whole
     * run of capitals. */
    Py_ssize_t end = p;
    while (end < n && is_upper(s[end])) end++;
    if (end < n && !bare_right(s[end])) return -1;
    return word_level(s + p, end - p, 1);
}

/* A case-insensitive level word at q followed by a byte accepted by ``right``. */
static int word_at(const unsigned char *s, Py_ssize_t n, Py_ssize_t q, int keyed) {
    Py_ssize_t end = q;
    while (end < n && is_alpha(s[end])) end++;
    if (keyed) { /* (?=[\"'\s]|$) */
        if (end < n && !(s[end] == '"' || s[end] == '\'' || is_space(s[end]))) return -1;
    } else { /* \] */
        if (end >= n || s[end] != ']') return -1;
    }
    return word_level(s + q, end - q, 0);
}

static int bracketed_token(const unsigned char *s, Py_ssize_t n, Py_ssize_t p) {
    /* \[(?:[A-Za-z_][\w.\-]*:)?((?i:words))\] */
    Py_ssize_t q = p + 1;
    if (q < n && (is_alpha(s[q]) || s[q] == '_')) {
        Py_ssize_t end = q + 1;
        while (end < n && is_key_char(s[end])) end++;
        if (end < n && s[end] == ':') {
            int level = word_at(s, n, end + 1, 0);
            if (level >= 0) return level;
        }
    }
    return word_at(s, n, q, 0);
}

static int keyed_token(const unsigned char *s, Py_ssize_t n, Py_ssize_t p) {
    /* (?:level|lvl|severity)=[\"']?((?i:words))(?=[\"'\s]|$) */
    Py_ssize_t q;
    if (n - p >= 6 && memcmp(s + p, "level=", 6) == 0)
        q = p + 6;
    else if (n - p >= 4 && memcmp(s + p, "lvl=", 4) == 0)
        q = p + 4;
    else if (n - p >= 9 && memcmp(s + p, "severity=", 9) == 0)
        q = p + 9;
    else
        return -1;
    if (q < n && (s[q] == '"' || s[q] == '\'')) q++;
    return word_at(s, n, q, 1);
}

/* formats.token_level of one line's content. */
static int token_level(const unsigned char *s, Py_ssize_t n) {
    if (is_continuation(s, n)) return NEUTRAL;
    for (Py_ssize_t p = 0; p < n; p++) {
        unsigned char c = s[p];
        if (!(CLASSES[c] & C_TOKEN)) continue;
        int level = -1;
        if (is_upper(c)) {
            if (p == 0 || bare_left(s[p - 1])) level = bare_token(s, n, p);
        } else if (c == '[') {
            level = bracketed_token(s, n, p);
        } else if (c == 'l' || c == 's') {
            if (p == 0 || is_space(s[p - 1])) level = keyed_token(s, n, p);
        }
        if (level >= 0) return level;
    }
    return NEUTRAL;
}

/* ---------------------------------------------------------------------------------------------
 * Metric aggregates per (key, decimals), in a small open-addressing table. */

typedef struct {
    const unsigned char *key; /* points into the block; NULL for a free slot */
    Py_ssize_t key_length;
    int decimals;
    uint64_t hash;
    int64_t count;
    int64_t minimum, maximum;
    i128 total, total_sq;
    PyObject *spilled_total, *spilled_sq; /* Python ints holding what overflowed the i128s */
} Entry;

#define RECENT 8

typedef struct {
    Entry *slots;
    size_t capacity; /* a power of two */
    size_t used;
    /* The entry the i-th number of the previous line went to: lines of one file mostly repeat
     * their keys in the same order, so this spares most hash lookups. */
    Entry *recent[RECENT];
} Table;

static uint64_t hash_key(const unsigned char *key, Py_ssize_t length, int decimals) {
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)decimals;
    for (Py_ssize_t i = 0; i < length; i++) h = (h ^ key[i]) * 1099511628211ULL;
    return h;
}

static int table_init(Table *table, size_t capacity) {
    table->slots = PyMem_Calloc(capacity, sizeof(Entry));
    if (!table->slots) return -1;
    table->capacity = capacity;
    table->used = 0;
    memset(table->recent, 0, sizeof(table->recent));
    return 0;
}

static void table_free(Table *table) {
    for (size_t i = 0; i < table->capacity; i++) {
        Py_XDECREF(table->slots[i].spilled_total);
        Py_XDECREF(table->slots[i].spilled_sq);
    }
    PyMem_Free(table->slots);
    table->slots = NULL;
}

static Entry *table_probe(Entry *slots, size_t capacity, const unsigned char *key,
                          Py_ssize_t length, int decimals, uint64_t hash) {
    size_t i = (size_t)hash & (capacity - 1);
    for (;;) {
        Entry *entry = &slots[i];
        if (entry->key == NULL) return entry;
        if (entry->hash == hash && entry->decimals == decimals && entry->key_length == length &&
            memcmp(entry->key, key, length) == 0)
            return entry;
        i = (i + 1) & (capacity - 1);
    }
}

static int table_grow(Table *table) {
    size_t capacity = table->capacity * 2;
    Entry *slots = PyMem_Calloc(capacity, sizeof(Entry));
    if (!slots) return -1;
    for (size_t i = 0; i < table->capacity; i++) {
        Entry *old = &table->slots[i];
        if (old->key == NULL) continue;
        *table_probe(slots, capacity, old->key, old->key_length, old->decimals, old->hash) = *old;
    }
    PyMem_Free(table->slots);
    table->slots = slots;
    table->capacity = capacity;
    memset(table->recent, 0, sizeof(table->recent));
    return 0;
}

static Entry *table_lookup(Table *table, const unsigned char *key, Py_ssize_t length,
                           int decimals);

/* The entry of (key, decimals), created if needed; NULL (no error set) when the table is full,
 * NULL with an error set on allocation failure. */
static Entry *table_entry(Table *table, const unsigned char *key, Py_ssize_t length,
                          int decimals, int ordinal) {
    if (ordinal < RECENT) {
        Entry *guess = table->recent[ordinal];
        if (guess && guess->decimals == decimals && guess->key_length == length &&
            memcmp(guess->key, key, length) == 0)
            return guess;
    }
    Entry *found = table_lookup(table, key, length, decimals);
    if (found && ordinal < RECENT) table->recent[ordinal] = found;
    return found;
}

static Entry *table_lookup(Table *table, const unsigned char *key, Py_ssize_t length,
                           int decimals) {
    uint64_t hash = hash_key(key, length, decimals);
    Entry *entry = table_probe(table->slots, table->capacity, key, length, decimals, hash);
    if (entry->key != NULL) return entry;
    if (table->used >= MAX_ENTRIES) return NULL;
    if ((table->used + 1) * 2 > table->capacity) {
        if (table_grow(table) < 0) {
            PyErr_NoMemory();
            return NULL;
        }
        entry = table_probe(table->slots, table->capacity, key, length, decimals, hash);
    }
    entry->key = key;
    entry->key_length = length;
    entry->decimals = decimals;
    entry->hash = hash;
    table->used++;
    return entry;
}

static PyObject *long_from_i128(i128 value) {
    if (value >= INT64_MIN && value <= INT64_MAX) return PyLong_FromLongLong((long long)value);
    PyObject *high = PyLong_FromLongLong((long long)(value >> 64));
    PyObject *low = PyLong_FromUnsignedLongLong((unsigned long long)(uint64_t)value);
    PyObject *shift = PyLong_FromLong(64);
    PyObject *shifted = NULL, *result = NULL;
    if (high && low && shift) shifted = PyNumber_Lshift(high, shift);
    if (shifted) result = PyNumber_Add(shifted, low);
    Py_XDECREF(high);
    Py_XDECREF(low);
    Py_XDECREF(shift);
    Py_XDECREF(shifted);
    return result;
}

/* *spilled += value (as Python ints); 0 on success, -1 with an error set. */
static int spill(PyObject **spilled, i128 value) {
    PyObject *part = long_from_i128(value);
    if (!part) return -1;
    if (*spilled == NULL) {
        *spilled = part;
        return 0;
    }
    PyObject *sum = PyNumber_Add(*spilled, part);
    Py_DECREF(part);
    if (!sum) return -1;
    Py_SETREF(*spilled, sum);
    return 0;
}

static int entry_add(Entry *entry, int64_t value) {
    i128 square = (i128)value * value;
    if (entry->count == 0) {
        entry->minimum = entry->maximum = value;
    } else {
        if (value < entry->minimum) entry->minimum = value;
        if (value > entry->maximum) entry->maximum = value;
    }
    entry->count++;
    i128 sum;
    if (__builtin_add_overflow(entry->total, (i128)value, &sum)) {
        /* needs ~2**65 values: unreachable per block, kept so exactness never depends on it */
        if (spill(&entry->spilled_total, entry->total) < 0) return -1;
        entry->total = value;
    } else {
        entry->total = sum;
    }
    if (__builtin_add_overflow(entry->total_sq, square, &sum)) {
        if (spill(&entry->spilled_sq, entry->total_sq) < 0) return -1;
        entry->total_sq = square;
    } else {
        entry->total_sq = sum;
    }
    return 0;
}

static PyObject *entry_sum(PyObject *spilled, i128 value) {
    PyObject *part = long_from_i128(value);
    if (!part || spilled == NULL) return part;
    PyObject *sum = PyNumber_Add(spilled, part);
    Py_DECREF(part);
    return sum;
}

/* ---------------------------------------------------------------------------------------------
 * logfmt pairs: every whitespace-separated token key=value whose key fullmatches
 * [A-Za-z_][\w.\-]* (up to the token's first "=") and whose value fullmatches
 * [-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)? (summary.parse_number). */

enum { NOT_A_NUMBER, SCALED, TO_PYTHON };

static int parse_value(const unsigned char *v, const unsigned char *end, int64_t *scaled,
                       int *decimals) {
    const unsigned char *p = v;
    int negative = 0;
    if (p < end && (*p == '-' || *p == '+')) negative = *p++ == '-';
    int64_t magnitude = 0;
    int digits = 0, whole = 0, fraction = 0;
    while (p < end && is_digit(*p)) {
        if (digits < MAX_DIGITS) magnitude = magnitude * 10 + (*p - '0');
        digits++;
        whole++;
        p++;
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && is_digit(*p)) {
            if (digits < MAX_DIGITS) magnitude = magnitude * 10 + (*p - '0');
            digits++;
            fraction++;
            p++;
        }
    }
    if (whole == 0 && fraction == 0) return NOT_A_NUMBER; /* "", ".", "-" */
    int exponent = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '-' || *p == '+')) p++;
        if (p >= end || !is_digit(*p)) return NOT_A_NUMBER;
        while (p < end && is_digit(*p)) p++;
        exponent = 1;
    }
    if (p != end) return NOT_A_NUMBER;
    if (exponent || digits > MAX_DIGITS) return TO_PYTHON;
    *scaled = negative ? -magnitude : magnitude;
    *decimals = fraction;
    return SCALED;
}

typedef struct {
    const unsigned char *ceiling; /* NULL: no ceiling */
    Py_ssize_t ceiling_length;
    Py_ssize_t max_key;
    Py_ssize_t refused;
} Cap;

/* True when samples of key are certain to be over the per-file cap (bytes order = str order). */
static int cap_refuses(const Cap *cap, const unsigned char *key, Py_ssize_t length) {
    if (length > cap->max_key) return 1;
    if (cap->ceiling == NULL) return 0;
    Py_ssize_t common = length < cap->ceiling_length ? length : cap->ceiling_length;
    int order = memcmp(key, cap->ceiling, common);
    return order > 0 || (order == 0 && length > cap->ceiling_length);
}

static int add_other(PyObject *others, const unsigned char *key, Py_ssize_t key_length,
                     const unsigned char *value, Py_ssize_t value_length) {
    PyObject *pair = Py_BuildValue("(y#y#)", (const char *)key, key_length, (const char *)value,
                                   value_length);
    if (!pair) return -1;
    int status = PyList_Append(others, pair);
    Py_DECREF(pair);
    return status;
}

/* The logfmt numbers of one line s[0:n] (the "\r" of "\r\n" is whitespace, so it may stay). */
static int scan_pairs(Table *table, PyObject *others, Cap *cap, const unsigned char *s,
                      Py_ssize_t n) {
    const unsigned char *end = s + n;
    const unsigned char *from = s;
    int ordinal = 0;
    for (;;) {
        const unsigned char *equals = memchr(from, '=', end - from);
        if (equals == NULL) return 0;
        /* The token runs from the blank before "=" (or the line start) to the next blank; its
         * key is everything before this, its first "=", and must be [A-Za-z_][\w.\-]*. */
        const unsigned char *key = equals;
        while (key > from && is_key_char(key[-1])) key--;
        int good_key = key < equals && (is_alpha(key[0]) || key[0] == '_') &&
                       (key == from || is_space(key[-1]));
        const unsigned char *value_end = equals + 1;
        while (value_end < end && !is_space(*value_end)) value_end++;
        from = value_end;
        if (!good_key) continue;
        Py_ssize_t key_length = equals - key;
        int64_t scaled;
        int decimals;
        int kind = parse_value(equals + 1, value_end, &scaled, &decimals);
        if (kind == NOT_A_NUMBER) continue;
        if (kind == SCALED) {
            if (cap_refuses(cap, key, key_length)) {
                cap->refused++;
                continue;
            }
            Entry *entry = table_entry(table, key, key_length, decimals, ordinal++);
            if (entry != NULL) {
                if (entry_add(entry, scaled) < 0) return -1;
                continue;
            }
            if (PyErr_Occurred()) return -1;
        }
        if (add_other(others, key, key_length, equals + 1, value_end - equals - 1) < 0) return -1;
    }
}

/* ---------------------------------------------------------------------------------------------
 * The module function. */

static PyObject *build_metrics(Table *table) {
    PyObject *metrics = PyDict_New();
    if (!metrics) return NULL;
    for (size_t i = 0; i < table->capacity; i++) {
        Entry *entry = &table->slots[i];
        if (entry->key == NULL) continue;
        PyObject *key = PyBytes_FromStringAndSize((const char *)entry->key, entry->key_length);
        PyObject *total = entry_sum(entry->spilled_total, entry->total);
        PyObject *total_sq = entry_sum(entry->spilled_sq, entry->total_sq);
        PyObject *row = NULL;
        if (key && total && total_sq)
            row = Py_BuildValue("(iLOOLL)", entry->decimals, (long long)entry->count, total,
                                total_sq, (long long)entry->minimum, (long long)entry->maximum);
        Py_XDECREF(total);
        Py_XDECREF(total_sq);
        PyObject *rows = NULL;
        if (row) {
            rows = PyDict_GetItemWithError(metrics, key); /* borrowed */
            if (rows == NULL && !PyErr_Occurred()) {
                rows = PyList_New(0);
                if (rows && PyDict_SetItem(metrics, key, rows) < 0) Py_CLEAR(rows);
                Py_XDECREF(rows); /* the dict holds it */
            }
        }
        int ok = rows != NULL && PyList_Append(rows, row) == 0;
        Py_XDECREF(key);
        Py_XDECREF(row);
        if (!ok) {
            Py_DECREF(metrics);
            return NULL;
        }
    }
    return metrics;
}

PyDoc_STRVAR(scan_lines_doc,
             "scan_lines(block, levels, ceiling=None, max_key=-1)\n"
             "    -> (lines, error_lines, warn_lines, metrics, others, refused)\n\n"
             "Scan a block of whole lines (each ending in b'\\n'). With levels false the level\n"
             "counts are 0. metrics: {key: [(decimals, count, total, total_sq, min, max)]} of\n"
             "values scaled by 10**decimals; others: [(key, text)] numbers left to Python;\n"
             "refused: how many aggregated numbers had a key longer than max_key (-1: no limit)\n"
             "or sorting after ceiling (bytes), which are left out.");

static PyObject *scan_lines(PyObject *module, PyObject *args) {
    Py_buffer view;
    int levels;
    const char *ceiling = NULL;
    Py_ssize_t ceiling_length = 0, max_key = -1;
    if (!PyArg_ParseTuple(args, "y*p|z#n:scan_lines", &view, &levels, &ceiling, &ceiling_length,
                          &max_key))
        return NULL;
    Cap cap = {(const unsigned char *)ceiling, ceiling_length,
               max_key < 0 ? PY_SSIZE_T_MAX : max_key, 0};
    const unsigned char *data = view.buf;
    const unsigned char *end = data + view.len;
    Py_ssize_t lines = 0, error_lines = 0, warn_lines = 0;
    Table table;
    PyObject *others = PyList_New(0);
    PyObject *result = NULL;
    if (!others || table_init(&table, 64) < 0) {
        Py_XDECREF(others);
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    int failed = 0;
    const unsigned char *line = data;
    while (line < end) {
        const unsigned char *newline = memchr(line, '\n', end - line);
        if (newline == NULL) newline = end; /* callers pass whole lines; be safe anyway */
        Py_ssize_t length = newline - line;
        lines++;
        if (levels) {
            Py_ssize_t content = length;
            if (content > 0 && line[content - 1] == '\r') content--;
            int level = token_level(line, content);
            error_lines += level == ERROR;
            warn_lines += level == WARN;
        }
        if (scan_pairs(&table, others, &cap, line, length) < 0) {
            failed = 1;
            break;
        }
        line = newline + 1;
    }
    if (!failed) {
        PyObject *metrics = build_metrics(&table);
        if (metrics)
            result = Py_BuildValue("(nnnNOn)", lines, error_lines, warn_lines, metrics, others,
                                   cap.refused);
    }
    table_free(&table);
    Py_DECREF(others);
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef methods[] = {
    {"scan_lines", scan_lines, METH_VARARGS, scan_lines_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "logcrunch._fastscan",
    "C fast path of logcrunch.scan (optional; the pure-Python scanner gives the same results).",
    -1, methods,
};

PyMODINIT_FUNC PyInit__fastscan(void) {
    init_classes();
    init_words();
    return PyModule_Create(&module_def);
}
