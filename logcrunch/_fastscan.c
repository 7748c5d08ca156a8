/* logcrunch._fastscan: one C pass over a block of whole lines (levels, stamps, hours,
 * error/warning templates and logfmt number sums).
 *
 * scan_block(block, levels, ceiling, max_key, threshold, prev_key, overrides, admit, templates)
 *   -> (lines, error_lines, warn_lines, level_lines, metrics, others, refused,
 *       hours, last_key, first_stamped, last_stamped, template_counts)
 * (see scan_block_doc below for the arguments and results).
 *
 * The rules are those of the Python reference modules, which define them:
 *   logcrunch/formats.py    find_level (continuation lines, glog, PRI, bare / bracketed / keyed
 *                           tokens, Title-case words in the level position, "word:" forms);
 *   logcrunch/stamps.py     parse_stamp, leading_stamp_end, year_for, _valid;
 *   logcrunch/templates.py  mask, message_of, after_header (line_template for "plain" files);
 *   tests/reference_scan.py logfmt_numbers (the logfmt pairs and their numbers).
 * Each function below names the regex or Python function it stands for; where a regex can
 * backtrack, the comment says which alternatives it tries in which order, since the C code has to
 * pick the same match. Python's bytes regexes are ASCII: \s is [ \t\n\r\f\v], \w is
 * [A-Za-z0-9_], (?i:) folds ASCII letters only; a line's content never holds "\n", so "$" is the
 * end of the text searched (the content, or a slice of it where Python passes endpos / slices).
 *
 * metrics maps each admitted logfmt key (bytes) to a list of
 *   (decimals, count, total, total_sq, minimum, maximum, buckets)
 * aggregates of its values scaled by 10**decimals (Python ints, exact), buckets their sketch
 * (logcrunch/sketch.py) as bytes of unsorted (index, count) int64 pairs; others is a list of
 * (key, value text) pairs left to Python: exponent forms, numbers of more than MAX_DIGITS digits,
 * and keys beyond the MAX_ENTRIES table. Numbers whose key the per-file metric cap already refuses
 * (longer than max_key bytes, or sorting after ceiling: summary.MetricCap) are only counted, in
 * refused. Keys the admit callable refuses are no metrics at all.
 *
 * scan_block runs without the GIL on a block of RELEASE_BYTES or more (another thread, say one
 * reading the next block of the file, runs meanwhile). What it allocates it allocates with the
 * PyMem_Raw functions; every Python call inside the loop (admit, numbers left to Python, ints
 * past 128 bits, errors) first takes the GIL back with need_gil(), and the loop lets it go again
 * once it has scanned RELEASE_BYTES more.
 */
#define PY_SSIZE_T_CLEAN
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define NONE (-1)
#define NEUTRAL 0
#define WARN 1
#define ERROR 2

#define MAX_DIGITS 18 /* < 10**18 fits int64; its square fits __int128 */
#define MAX_ENTRIES 65536
#define MAX_DECISIONS 65536 /* admit() answers cached per block */

#define TIMESTAMP_PREFIX_BYTES 160
#define EPOCH_FIRST 946684800LL /* 2000-01-01T00:00:00Z */
#define EPOCH_END 4102444800LL  /* 2100-01-01T00:00:00Z */
#define ZONE_NAIVE 4095
#define ZONE_UTC 2048

#define TEMPLATE_INPUT_BYTES 2048
#define TEMPLATE_MAX_BYTES 1024

typedef __int128 i128;
typedef unsigned char uchar;

#define RELEASE_BYTES 65536 /* shorter blocks keep the GIL: releasing costs more than it gives */

/* The GIL of a running scan_block: state is the saved thread state while it runs without it;
 * taken counts the need_gil calls that took it back. */
typedef struct {
    PyThreadState *state;
    Py_ssize_t taken;
} Gil;

/* This thread's running scan_block's, if any. (Thread-local: C calls nest on each OS thread;
 * green threads switching inside an admit callback would break that, and nothing here runs
 * under them.) */
static __thread Gil *scanning_gil = NULL;

static Py_ssize_t GIL_RELEASES = 0; /* how often scan_block let the GIL go (counted holding it) */

/* Take the GIL back if this thread's scan_block let it go (a no-op otherwise): call it before
 * any Python API call that scan_block's loop can reach. */
static void need_gil(void) {
    Gil *gil = scanning_gil;
    if (gil != NULL && gil->state != NULL) {
        PyEval_RestoreThread(gil->state);
        gil->state = NULL;
        gil->taken++;
    }
}

static uint64_t HASH_SEED = 0x243F6A8885A308D3ULL; /* randomised at import */

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
enum {
    D_BARE_RIGHT = 1, /* [\s\]):>|,;]: may follow a bare (or Title-case) level word */
    D_STAMP_END = 2,  /* [\s,;|\]\[)(:\-]: may follow a stamp (stamps._END) */
    D_TAG = 4,        /* [\w./()\-]: a syslog tag */
    D_DELIMITER = 8,  /* ,;()[]{}<>| (templates._DELIMITERS) */
    D_WORD = 16,      /* \w */
    D_SKIP = 32,      /* templates.MESSAGE_SKIP */
    D_SEPARATOR = 64, /* formats._LEVEL_SEPARATORS */
};
static uchar CLASSES[256];
static uchar MORE[256];

static void init_classes(void) {
    for (int c = 0; c < 256; c++) {
        uchar flags = 0, more = 0;
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
        if (space || (c && strchr("]):>|,;", c))) more |= D_BARE_RIGHT;
        if (space || (c && strchr(",;|][)(:-", c))) more |= D_STAMP_END;
        if (word || (c && strchr("./()-", c))) more |= D_TAG;
        if (c && strchr(",;()[]{}<>|", c)) more |= D_DELIMITER;
        if (word) more |= D_WORD;
        if (c && strchr(" \t:-|]>,;)\"'", c)) more |= D_SKIP;
        if (c && strchr(" \t,|-", c)) more |= D_SEPARATOR;
        CLASSES[c] = flags;
        MORE[c] = more;
    }
}

static inline int is_space(uchar c) { return CLASSES[c] & C_SPACE; }
static inline int is_upper(uchar c) { return CLASSES[c] & C_UPPER; }
static inline int is_lower(uchar c) { return CLASSES[c] & C_LOWER; }
static inline int is_alpha(uchar c) { return CLASSES[c] & (C_UPPER | C_LOWER); }
static inline int is_digit(uchar c) { return CLASSES[c] & C_DIGIT; }
static inline int is_key_char(uchar c) { return CLASSES[c] & C_KEY; }
static inline int bare_left(uchar c) { return CLASSES[c] & C_BARE_LEFT; }
static inline int bare_right(uchar c) { return MORE[c] & D_BARE_RIGHT; }
static inline int is_word(uchar c) { return MORE[c] & D_WORD; }
static inline int is_delimiter(uchar c) { return MORE[c] & D_DELIMITER; }

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
    {"fine", 4, NEUTRAL},    {"eror", 4, ERROR},        {"ftl", 3, ERROR},
    {"wrn", 3, WARN},        {"inf", 3, NEUTRAL},       {"dbg", 3, NEUTRAL},
    {"trc", 3, NEUTRAL},     {"vrb", 3, NEUTRAL},
};
#define LONGEST_WORD 11
#define WORD_COUNT ((int)(sizeof(LEVEL_WORDS) / sizeof(LEVEL_WORDS[0])))
/* word_level compares the words of 9 and 11 letters by name: */
_Static_assert(sizeof("emergency") == 10 && sizeof("information") == 12, "long level words");
/* The words of each length up to 8 as 64-bit values (bytes in memory order), for one compare
 * each; the two longer ones ("emergency", "information") are compared as bytes. */
static struct {
    uint64_t packed;
    int level;
} PACKED_WORDS[9][WORD_COUNT + 1]; /* level -1 terminated */
/* Bit (first letter - 'a') of each word of each length up to 8: most words are rejected by it. */
static uint32_t FIRST_LETTERS[9];

static inline uint64_t pack_lowered(const uchar *text, Py_ssize_t length) {
    uint64_t v = 0;
    for (Py_ssize_t i = 0; i < length; i++) /* letters only: | 0x20 folds the case */
        v |= (uint64_t)(text[i] | 0x20) << (8 * i);
    return v;
}

static void init_words(void) {
    for (int length = 0; length <= 8; length++) {
        int used = 0;
        for (int i = 0; i < WORD_COUNT; i++)
            if (LEVEL_WORDS[i].length == length) {
                PACKED_WORDS[length][used].packed =
                    pack_lowered((const uchar *)LEVEL_WORDS[i].word, length);
                FIRST_LETTERS[length] |= 1u << (LEVEL_WORDS[i].word[0] - 'a');
                PACKED_WORDS[length][used++].level = LEVEL_WORDS[i].level;
            }
        PACKED_WORDS[length][used].level = -1;
    }
}

/* Level of a letters-only word compared case-insensitively, or -1 when it is no level word.
 * ``bare`` excludes "information", which has no UPPERCASE bare spelling (formats._UPPER_ALT). */
static int word_level(const uchar *text, Py_ssize_t length, int bare) {
    if (length < 3 || length > LONGEST_WORD) return -1;
    if (length <= 8) {
        unsigned first = (unsigned)(text[0] | 0x20) - 'a'; /* a letter: 0..25 */
        if (first > 25 || !(FIRST_LETTERS[length] & (1u << first))) return -1;
        uint64_t v = pack_lowered(text, length);
        for (int i = 0; PACKED_WORDS[length][i].level >= 0; i++)
            if (PACKED_WORDS[length][i].packed == v) return PACKED_WORDS[length][i].level;
        return -1;
    }
    if (length == 10 || (bare && length == 11)) return -1; /* "information": not bare */
    const char *word = length == 9 ? "emergency" : "information";
    for (Py_ssize_t i = 0; i < length; i++)
        if ((text[i] | 0x20) != word[i]) return -1;
    return length == 9 ? ERROR : NEUTRAL;
}

/* formats.colon_word_level of a lowercase or Title-case word ([A-Z]?[a-z]+): formats.COLON_WORDS,
 * the level words and .NET's fail / dbug / trce. */
static int colon_word_level(const uchar *text, Py_ssize_t length) {
    if (length == 4) {
        uchar first = text[0] | 0x20;
        if (first == 'f' && memcmp(text + 1, "ail", 3) == 0) return ERROR;
        if ((first == 'd' && memcmp(text + 1, "bug", 3) == 0) ||
            (first == 't' && memcmp(text + 1, "rce", 3) == 0))
            return NEUTRAL;
    }
    return word_level(text, length, 0);
}

/* ---------------------------------------------------------------------------------------------
 * Stamps (logcrunch/stamps.py). A stamp is reduced to the fields of its key. */

typedef struct {
    int year, month, day, hour, minute, second;
    int zone; /* ZONE_NAIVE, or the offset in minutes + ZONE_UTC */
} Fields;

enum { NO_SHAPE = 0, SHAPE = 1, BAD_OFFSET = 2 }; /* BAD_OFFSET: stamps._offset raises */

static inline int stamp_end_ok(const uchar *s, Py_ssize_t n, Py_ssize_t p) {
    /* _END = (?=[\s,;|\]\[)(:\-]|$) */
    return p >= n || (MORE[s[p]] & D_STAMP_END);
}

/* The value of k (<= 9) digits at s[p], or -1 when they are not all digits within n. */
static inline uint64_t has_zero_byte(uint64_t w) {
    return (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL; /* exact for "any" */
}

/* Whether some byte of w is strictly between m and n (m <= 127, n <= 128): bit-twiddling
 * "hasbetween", exact per byte lane (no carries cross lanes). */
static inline uint64_t has_byte_between(uint64_t w, unsigned m, unsigned n) {
    const uint64_t ones = 0x0101010101010101ULL, low7 = ones * 127;
    return ((ones * (127 + n) - (w & low7)) & ~w & ((w & low7) + ones * (127 - m))) &
           (ones * 128);
}

static inline int digits_at(const uchar *s, Py_ssize_t n, Py_ssize_t p, int k) {
    if (p + k > n) return -1;
    int value = 0;
    for (int i = 0; i < k; i++) {
        if (!is_digit(s[p + i])) return -1;
        value = value * 10 + (s[p + i] - '0');
    }
    return value;
}

/* _TIME = (\d\d):(\d\d):(\d\d) at p. */
static inline int time_at(const uchar *s, Py_ssize_t n, Py_ssize_t p, Fields *f) {
    if (p + 8 > n || s[p + 2] != ':' || s[p + 5] != ':') return 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    !defined(LOGCRUNCH_PORTABLE) /* (the tests build that too: the byte-by-byte path) */
    /* "HH:MM:SS" in one load: lanes 0, 1, 3, 4, 6 and 7 must be digits */
    uint64_t w;
    memcpy(&w, s + p, 8);
    const uint64_t digit = has_byte_between(w, '0' - 1, '9' + 1);
    if ((digit & 0x8080008080008080ULL) != 0x8080008080008080ULL) return 0;
    uint64_t v = w - 0x3030303030303030ULL; /* no lane borrows: each is '0' or more (':' too) */
    f->hour = (int)(v & 0xFF) * 10 + (int)(v >> 8 & 0xFF);
    f->minute = (int)(v >> 24 & 0xFF) * 10 + (int)(v >> 32 & 0xFF);
    f->second = (int)(v >> 48 & 0xFF) * 10 + (int)(v >> 56 & 0xFF);
    return 1;
#else
    f->hour = digits_at(s, n, p, 2);
    f->minute = digits_at(s, n, p + 3, 2);
    f->second = digits_at(s, n, p + 6, 2);
    return f->hour >= 0 && f->minute >= 0 && f->second >= 0;
#endif
}

/* _ZONE's non-empty form (Z| ?[+-]\d\d:?\d\d) at q: its end, or -1. " ?" and ":?" are greedy, and
 * without either the next byte must be a sign or a digit, so at most one form fits. */
static Py_ssize_t zone_end(const uchar *s, Py_ssize_t n, Py_ssize_t q) {
    if (q >= n) return -1;
    if (s[q] == 'Z') return q + 1;
    if (s[q] == ' ' && q + 1 < n) q++; /* " ?" before a numeric offset: tried with it first */
    if (s[q] != '+' && s[q] != '-') return -1;
    if (digits_at(s, n, q + 1, 2) < 0) return -1;
    if (q + 3 < n && s[q + 3] == ':') return digits_at(s, n, q + 4, 2) >= 0 ? q + 6 : -1;
    return digits_at(s, n, q + 3, 2) >= 0 ? q + 5 : -1;
}

/* stamps._offset of the zone text s[q:e]: 0 and the zone code, or -1 when it raises. */
static int zone_code(const uchar *s, Py_ssize_t q, Py_ssize_t e, int *zone) {
    if (s[q] == 'Z') {
        *zone = ZONE_UTC;
        return 0;
    }
    if (s[q] == ' ') q++;
    int hours = (s[q + 1] - '0') * 10 + (s[q + 2] - '0');
    int minutes = (s[e - 2] - '0') * 10 + (s[e - 1] - '0');
    if (hours > 23 || minutes > 59) return -1;
    int offset = hours * 60 + minutes;
    *zone = ZONE_UTC + (s[q] == '-' ? -offset : offset);
    return 0;
}

/* What follows the seconds at p: an optional fraction ("[.,](\d+)", or "[:.,](\d+)"), with
 * ``zoned`` an optional _ZONE, then _END. The regex tries, in this order: fraction and zone,
 * fraction alone, zone alone, neither (a shorter run of fraction digits never fits: a digit
 * cannot start a zone or end a stamp). Returns the match end (-1: no fit) and the zone text's
 * start in *zone (-1: none). */
static Py_ssize_t stamp_tail(const uchar *s, Py_ssize_t n, Py_ssize_t p, int colon_too,
                             int zoned, Py_ssize_t *zone) {
    *zone = -1;
    if (p + 1 < n && (s[p] == '.' || s[p] == ',' || (colon_too && s[p] == ':')) &&
        is_digit(s[p + 1])) {
        Py_ssize_t q = p + 1;
        while (q < n && is_digit(s[q])) q++;
        if (zoned) {
            Py_ssize_t z = zone_end(s, n, q);
            if (z >= 0 && stamp_end_ok(s, n, z)) {
                *zone = q;
                return z;
            }
        }
        if (stamp_end_ok(s, n, q)) return q;
    }
    if (zoned) {
        Py_ssize_t z = zone_end(s, n, p);
        if (z >= 0 && stamp_end_ok(s, n, z)) {
            *zone = p;
            return z;
        }
    }
    return stamp_end_ok(s, n, p) ? p : -1;
}

static inline int ymd(const uchar *s, Py_ssize_t n, int y_at, int y_len, char sep1, int mo_at,
                      char sep2, int d_at, Fields *f) {
    f->year = digits_at(s, n, y_at, y_len);
    f->month = digits_at(s, n, mo_at, 2);
    f->day = digits_at(s, n, d_at, 2);
    if (f->year < 0 || f->month < 0 || f->day < 0) return 0;
    if (sep1 && s[mo_at - 1] != sep1) return 0;
    if (sep2 && s[d_at - 1] != sep2) return 0;
    return 1;
}

/* _ISO: (\d{4})-(\d\d)-(\d\d)[T ] _TIME _FRACTION _ZONE _END, at s[0]. */
static int iso_stamp(const uchar *s, Py_ssize_t n, Fields *f, Py_ssize_t *end) {
    if (n < 19 || !ymd(s, n, 0, 4, '-', 5, '-', 8, f) || (s[10] != 'T' && s[10] != ' ') ||
        !time_at(s, n, 11, f))
        return NO_SHAPE;
    Py_ssize_t zone;
    Py_ssize_t e = stamp_tail(s, n, 19, 0, 1, &zone);
    if (e < 0) return NO_SHAPE;
    *end = e;
    f->zone = ZONE_NAIVE;
    if (zone >= 0 && zone_code(s, zone, e, &f->zone) < 0) return BAD_OFFSET;
    return SHAPE;
}

/* _BGL: (\d{4})-(\d\d)-(\d\d)-(\d\d)\.(\d\d)\.(\d\d) _FRACTION _END. */
static int bgl_stamp(const uchar *s, Py_ssize_t n, Fields *f, Py_ssize_t *end) {
    if (n < 19 || !ymd(s, n, 0, 4, '-', 5, '-', 8, f) || s[10] != '-' || s[13] != '.' ||
        s[16] != '.')
        return NO_SHAPE;
    f->hour = digits_at(s, n, 11, 2);
    f->minute = digits_at(s, n, 14, 2);
    f->second = digits_at(s, n, 17, 2);
    if (f->hour < 0 || f->minute < 0 || f->second < 0) return NO_SHAPE;
    Py_ssize_t zone, e = stamp_tail(s, n, 19, 0, 0, &zone);
    if (e < 0) return NO_SHAPE;
    *end = e;
    f->zone = ZONE_NAIVE;
    return SHAPE;
}

/* The digit-first anchored layouts after _ISO and _BGL, in stamps._anchored's order. */
static int digit_stamp(const uchar *s, Py_ssize_t n, Fields *f, Py_ssize_t *end) {
    Py_ssize_t zone, e;
    f->zone = ZONE_NAIVE;
    /* _DOTTED: (\d{4})\.(\d\d)\.(\d\d)[ T\-] _TIME _FRACTION _END */
    if (n >= 19 && ymd(s, n, 0, 4, '.', 5, '.', 8, f) &&
        (s[10] == ' ' || s[10] == 'T' || s[10] == '-') && time_at(s, n, 11, f) &&
        (e = stamp_tail(s, n, 19, 0, 0, &zone)) >= 0) {
        *end = e;
        return SHAPE;
    }
    /* _SLASHED: (\d{4})/(\d\d)/(\d\d)[ T] _TIME _FRACTION _END */
    if (n >= 19 && ymd(s, n, 0, 4, '/', 5, '/', 8, f) && (s[10] == ' ' || s[10] == 'T') &&
        time_at(s, n, 11, f) && (e = stamp_tail(s, n, 19, 0, 0, &zone)) >= 0) {
        *end = e;
        return SHAPE;
    }
    /* _COMPACT: (\d{4})(\d\d)(\d\d)[\-T ] _TIME (?:[:.,](\d+))? _END */
    if (n >= 17 && ymd(s, n, 0, 4, 0, 4, 0, 6, f) &&
        (s[8] == '-' || s[8] == 'T' || s[8] == ' ') && time_at(s, n, 9, f) &&
        (e = stamp_tail(s, n, 17, 1, 0, &zone)) >= 0) {
        *end = e;
        return SHAPE;
    }
    /* _SPARK: (\d\d)/(\d\d)/(\d\d) _TIME _END, year 2000 + yy */
    if (n >= 17 && ymd(s, n, 0, 2, '/', 3, '/', 6, f) && s[8] == ' ' && time_at(s, n, 9, f) &&
        stamp_end_ok(s, n, 17)) {
        f->year += 2000;
        *end = 17;
        return SHAPE;
    }
    /* _HDFS: (\d\d)(\d\d)(\d\d) (\d\d)(\d\d)(\d\d) _END, year 2000 + yy */
    if (n >= 13 && ymd(s, n, 0, 2, 0, 2, 0, 4, f) && s[6] == ' ' && stamp_end_ok(s, n, 13)) {
        f->hour = digits_at(s, n, 7, 2);
        f->minute = digits_at(s, n, 9, 2);
        f->second = digits_at(s, n, 11, 2);
        if (f->hour >= 0 && f->minute >= 0 && f->second >= 0) {
            f->year += 2000;
            *end = 13;
            return SHAPE;
        }
    }
    /* _LOGCAT: (\d\d)-(\d\d) _TIME _FRACTION _END, yearless */
    if (n >= 14 && s[2] == '-' && s[5] == ' ' && (f->month = digits_at(s, n, 0, 2)) >= 0 &&
        (f->day = digits_at(s, n, 3, 2)) >= 0 && time_at(s, n, 6, f) &&
        (e = stamp_tail(s, n, 14, 0, 0, &zone)) >= 0) {
        f->year = 0;
        *end = e;
        return SHAPE;
    }
    return NO_SHAPE;
}

/* _MON: the month number of three bytes (exact case), or 0. */
static int month_at(const uchar *s) {
    /* the second and third letters tell the month once the first does (a switch, no loop) */
    uchar a = s[0], b = s[1], c = s[2];
    switch (a) {
    case 'J':
        return b == 'a' && c == 'n' ? 1 : b == 'u' && c == 'n' ? 6 : b == 'u' && c == 'l' ? 7 : 0;
    case 'F': return b == 'e' && c == 'b' ? 2 : 0;
    case 'M': return b == 'a' && c == 'r' ? 3 : b == 'a' && c == 'y' ? 5 : 0;
    case 'A': return b == 'p' && c == 'r' ? 4 : b == 'u' && c == 'g' ? 8 : 0;
    case 'S': return b == 'e' && c == 'p' ? 9 : 0;
    case 'O': return b == 'c' && c == 't' ? 10 : 0;
    case 'N': return b == 'o' && c == 'v' ? 11 : 0;
    case 'D': return b == 'e' && c == 'c' ? 12 : 0;
    default: return 0;
    }
}

/* ([ \d]\d): a day written with a blank or a digit first. */
static inline int padded_day(const uchar *s, Py_ssize_t p) {
    if (!is_digit(s[p + 1]) || (s[p] != ' ' && !is_digit(s[p]))) return -1;
    return (s[p] == ' ' ? 0 : (s[p] - '0') * 10) + (s[p + 1] - '0');
}

/* _SYSLOG: _MON ([ \d]\d) _TIME _FRACTION _END, yearless. */
static int syslog_stamp(const uchar *s, Py_ssize_t n, Fields *f, Py_ssize_t *end) {
    if (n < 15 || s[3] != ' ' || s[6] != ' ' || !(f->month = month_at(s))) return NO_SHAPE;
    if ((f->day = padded_day(s, 4)) < 0 || !time_at(s, n, 7, f)) return NO_SHAPE;
    Py_ssize_t zone, e = stamp_tail(s, n, 15, 0, 0, &zone);
    if (e < 0) return NO_SHAPE;
    f->year = 0;
    f->zone = ZONE_NAIVE;
    *end = e;
    return SHAPE;
}

/* _GLOG: [IWEF](\d\d)(\d\d) _TIME _FRACTION _END, yearless. */
static int glog_stamp(const uchar *s, Py_ssize_t n, Fields *f, Py_ssize_t *end) {
    if (n < 14 || s[5] != ' ' || (f->month = digits_at(s, n, 1, 2)) < 0 ||
        (f->day = digits_at(s, n, 3, 2)) < 0 || !time_at(s, n, 6, f))
        return NO_SHAPE;
    Py_ssize_t zone, e = stamp_tail(s, n, 14, 0, 0, &zone);
    if (e < 0) return NO_SHAPE;
    f->year = 0;
    f->zone = ZONE_NAIVE;
    *end = e;
    return SHAPE;
}

/* _APACHE: \[[A-Z][a-z]{2} _MON ([ \d]\d) _TIME _FRACTION (\d{4})\]: a fraction must be followed
 * by the blank (without it, "[.,]" is no blank either).
 * _PROXIFIER: \[(\d\d)\.(\d\d) _TIME\], yearless.
 * Tried first, _BRACKETED_ISO (Slurm, Airflow). */
static int bracket_stamp(const uchar *s, Py_ssize_t n, Fields *f, Py_ssize_t *end) {
    /* _BRACKETED_ISO: \[ _ISO's fields, fraction and zone \]: iso_stamp's end check accepts the
     * "]", which must then be there. */
    if (n >= 21 && is_digit(s[1])) {
        Py_ssize_t inner;
        int r = iso_stamp(s + 1, n - 1, f, &inner);
        if (r != NO_SHAPE && 1 + inner < n && s[1 + inner] == ']') {
            *end = inner + 2;
            return r;
        }
    }
    f->zone = ZONE_NAIVE;
    if (n >= 26 && is_upper(s[1]) && is_lower(s[2]) && is_lower(s[3]) && s[4] == ' ' &&
        s[8] == ' ' && s[11] == ' ' && (f->month = month_at(s + 5)) &&
        (f->day = padded_day(s, 9)) >= 0 && time_at(s, n, 12, f)) {
        Py_ssize_t p = 20;
        if (p + 1 < n && (s[p] == '.' || s[p] == ',') && is_digit(s[p + 1])) {
            p += 1;
            while (p < n && is_digit(s[p])) p++;
        }
        if (p + 6 <= n && s[p] == ' ' && (f->year = digits_at(s, n, p + 1, 4)) >= 0 &&
            s[p + 5] == ']') {
            *end = p + 6;
            return SHAPE;
        }
    }
    if (n >= 16 && s[3] == '.' && s[6] == ' ' && s[15] == ']' &&
        (f->month = digits_at(s, n, 1, 2)) >= 0 && (f->day = digits_at(s, n, 4, 2)) >= 0 &&
        time_at(s, n, 7, f)) {
        f->year = 0;
        *end = 16;
        return SHAPE;
    }
    /* _BRACKETED_SYSLOG: \[ _MON ([ \d]\d) _TIME _FRACTION \], yearless (Asterisk) */
    if (n >= 17 && s[4] == ' ' && s[7] == ' ' && (f->month = month_at(s + 1)) &&
        (f->day = padded_day(s, 5)) >= 0 && time_at(s, n, 8, f)) {
        Py_ssize_t p = 16;
        if (p + 1 < n && (s[p] == '.' || s[p] == ',') && is_digit(s[p + 1])) {
            p += 1;
            while (p < n && is_digit(s[p])) p++;
        }
        if (p < n && s[p] == ']') {
            f->year = 0;
            *end = p + 1;
            return SHAPE;
        }
    }
    return NO_SHAPE;
}

/* _ZABBIX: " *\d{1,7}:(\d{4})(\d\d)(\d\d):(\d\d)(\d\d)(\d\d)\.(\d{3})" _END (each run can only
 * be the whole run: what follows it is no byte of it). */
static int zabbix_stamp(const uchar *s, Py_ssize_t n, Fields *f, Py_ssize_t *end) {
    Py_ssize_t p = 0;
    while (p < n && s[p] == ' ') p++;
    Py_ssize_t d = p;
    while (d < n && is_digit(s[d])) d++;
    if (d == p || d - p > 7 || d + 20 > n || s[d] != ':' || s[d + 9] != ':' || s[d + 16] != '.')
        return NO_SHAPE;
    if (!ymd(s, n, d + 1, 4, 0, d + 5, 0, d + 7, f) || (f->hour = digits_at(s, n, d + 10, 2)) < 0 ||
        (f->minute = digits_at(s, n, d + 12, 2)) < 0 || (f->second = digits_at(s, n, d + 14, 2)) < 0 ||
        digits_at(s, n, d + 17, 3) < 0 || !stamp_end_ok(s, n, d + 20))
        return NO_SHAPE;
    f->zone = ZONE_NAIVE;
    *end = d + 20;
    return SHAPE;
}

/* stamps._anchored: the first layout that fits at s[0] (first-byte dispatch). */
static int anchored_stamp(const uchar *s, Py_ssize_t n, Fields *f, Py_ssize_t *end) {
    if (n == 0) return NO_SHAPE;
    uchar c = s[0];
    if (is_digit(c)) {
        int r = iso_stamp(s, n, f, end);
        if (r == NO_SHAPE) r = bgl_stamp(s, n, f, end);
        if (r == NO_SHAPE) r = digit_stamp(s, n, f, end);
        if (r == NO_SHAPE) r = zabbix_stamp(s, n, f, end);
        return r;
    }
    if (c == '[') return bracket_stamp(s, n, f, end);
    if (c == 'J' || c == 'F' || c == 'M' || c == 'A' || c == 'S' || c == 'O' || c == 'N' ||
        c == 'D') {
        int r = syslog_stamp(s, n, f, end);
        if (r != NO_SHAPE) return r;
    }
    if (c == 'I' || c == 'W' || c == 'E' || c == 'F') return glog_stamp(s, n, f, end);
    if (c == ' ') return zabbix_stamp(s, n, f, end);
    return NO_SHAPE;
}

/* Days since 1970-01-01 to the civil date (H. Hinnant's algorithm). */
static void civil_from_days(int64_t z, int *year, int *month, int *day) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(y + (m <= 2));
    *month = m;
    *day = d;
}

/* stamps._epoch: SHAPE and the UTC fields, or NO_SHAPE (None) outside 2000..2100. */
static int epoch_fields(int64_t seconds, Fields *f) {
    if (seconds < EPOCH_FIRST || seconds >= EPOCH_END) return NO_SHAPE;
    civil_from_days(seconds / 86400, &f->year, &f->month, &f->day);
    int64_t rest = seconds % 86400;
    f->hour = (int)(rest / 3600);
    f->minute = (int)(rest / 60 % 60);
    f->second = (int)(rest % 60);
    f->zone = ZONE_UTC;
    return SHAPE;
}

static int64_t digits_value(const uchar *s, int k) {
    int64_t value = 0;
    for (int i = 0; i < k; i++) value = value * 10 + (s[i] - '0');
    return value;
}

/* The number part of _EPOCH at q: (\d{10})(?:\.(\d+))?(?=\s|$) or (\d{13})(?=\s|$). 1 and the
 * seconds when it fits. */
static int epoch_number(const uchar *s, Py_ssize_t n, Py_ssize_t q, int64_t *seconds) {
    Py_ssize_t d = q;
    while (d < n && is_digit(s[d])) d++;
    d -= q;
    if (d == 10) {
        Py_ssize_t e = q + 10;
        if (e + 1 < n && s[e] == '.' && is_digit(s[e + 1])) {
            Py_ssize_t fe = e + 1;
            while (fe < n && is_digit(s[fe])) fe++;
            if (fe >= n || is_space(s[fe])) {
                *seconds = digits_value(s + q, 10);
                return 1;
            }
        }
        if (e >= n || is_space(s[e])) {
            *seconds = digits_value(s + q, 10);
            return 1;
        }
    } else if (d == 13 && (q + 13 >= n || is_space(s[q + 13]))) {
        *seconds = digits_value(s + q, 13) / 1000;
        return 1;
    }
    return 0;
}

/* stamps._epoch_field: _EPOCH = (?:\S{1,64} +)?(?:number) at s[0]. The optional first field is
 * tried first; it can only be the whole first run of non-blanks (at most 64 bytes) and all the
 * spaces after it. */
static int epoch_field_stamp(const uchar *s, Py_ssize_t n, Fields *f) {
    int64_t seconds;
    Py_ssize_t r = 0;
    while (r < n && !is_space(s[r])) r++;
    int matched = 0;
    if (r >= 1 && r <= 64 && r < n && s[r] == ' ') {
        Py_ssize_t q = r;
        while (q < n && s[q] == ' ') q++;
        matched = epoch_number(s, n, q, &seconds);
    }
    if (!matched) matched = epoch_number(s, n, 0, &seconds);
    return matched ? epoch_fields(seconds, f) : NO_SHAPE;
}

/* stamps._searched: _ACCESS searched, then _ISO_ANYWHERE, then _BGL_ANYWHERE. */
static int searched_stamp(const uchar *s, Py_ssize_t n, Fields *f) {
    /* \[(\d\d)/_MON/(\d{4}):_TIME ([+-]\d{4})\] */
    for (const uchar *b = memchr(s, '[', n); b != NULL;
         b = memchr(b + 1, '[', n - (b + 1 - s))) {
        Py_ssize_t p = b - s;
        if (p + 28 > n) break;
        if (b[3] != '/' || b[7] != '/' || b[12] != ':' || b[21] != ' ' || b[27] != ']') continue;
        if ((f->day = digits_at(b, 28, 1, 2)) < 0 || !(f->month = month_at(b + 4)) ||
            (f->year = digits_at(b, 28, 8, 4)) < 0 || !time_at(b, 28, 13, f) ||
            (b[22] != '+' && b[22] != '-') || digits_at(b, 28, 23, 4) < 0)
            continue;
        return zone_code(b, 22, 27, &f->zone) < 0 ? BAD_OFFSET : SHAPE;
    }
    /* (?<!\d) _ISO / _BGL: at the start of a run of digits; both read \d{4}-, so the candidates
     * are the "-" four bytes in */
    int bgl = NO_SHAPE;
    Fields bgl_fields;
    for (const uchar *dash = n > 4 ? memchr(s + 4, '-', n - 4) : NULL; dash != NULL;
         dash = memchr(dash + 1, '-', n - (dash + 1 - s))) {
        Py_ssize_t p = dash - 4 - s;
        if (p + 19 > n) break;
        if (!is_digit(s[p]) || (p > 0 && is_digit(s[p - 1]))) continue;
        Py_ssize_t end;
        int r = iso_stamp(s + p, n - p, f, &end);
        if (r != NO_SHAPE) return r;
        if (bgl == NO_SHAPE) bgl = bgl_stamp(s + p, n - p, &bgl_fields, &end);
    }
    if (bgl != NO_SHAPE) *f = bgl_fields;
    return bgl;
}

/* stamps._json_stamp: _JSON_FIELD searched, then its ISO text (which must fit whole) or epoch
 * number. Once the field regex matches, its verdict is final. */
static int json_stamp(const uchar *s, Py_ssize_t n, Fields *f) {
    static const struct {
        const char *text;
        Py_ssize_t length;
    } KEYS[] = {{"\"ts\"", 4}, {"\"time\"", 6}, {"\"timestamp\"", 11}, {"\"@timestamp\"", 12}};
    for (const uchar *b = memchr(s, '"', n); b != NULL;
         b = memchr(b + 1, '"', n - (b + 1 - s))) {
        Py_ssize_t p = b - s, q = -1;
        for (int k = 0; k < 4; k++)
            if (p + KEYS[k].length <= n && memcmp(b, KEYS[k].text, KEYS[k].length) == 0) {
                q = p + KEYS[k].length;
                break;
            }
        if (q < 0) continue;
        while (q < n && is_space(s[q])) q++; /* \s*:\s* */
        if (q >= n || s[q] != ':') continue;
        q++;
        while (q < n && is_space(s[q])) q++;
        if (q >= n) continue;
        if (s[q] == '"') { /* "([^"\n]{1,64})" */
            Py_ssize_t k = 0;
            while (k <= 64 && q + 1 + k < n && s[q + 1 + k] != '"' && s[q + 1 + k] != '\n') k++;
            if (k < 1 || k > 64 || q + 1 + k >= n || s[q + 1 + k] != '"') continue;
            Py_ssize_t end;
            int r = iso_stamp(s + q + 1, k, f, &end);
            return r != NO_SHAPE && end == k ? r : NO_SHAPE;
        }
        /* (\d{10}(?:\.\d+)?|\d{13})(?![\d.eE]) */
        Py_ssize_t d = q;
        while (d < n && is_digit(s[d])) d++;
        d -= q;
#define JSON_STOP(i) ((i) >= n || !(is_digit(s[i]) || s[i] == '.' || s[i] == 'e' || s[i] == 'E'))
        if (d == 10) {
            Py_ssize_t e = q + 10;
            int fits = JSON_STOP(e);
            if (!fits && e + 1 < n && s[e] == '.' && is_digit(s[e + 1])) {
                Py_ssize_t fe = e + 1;
                while (fe < n && is_digit(s[fe])) fe++;
                fits = JSON_STOP(fe);
            }
            if (fits) return epoch_fields(digits_value(s + q, 10), f);
        } else if (d == 13 && JSON_STOP(q + 13)) {
            return epoch_fields(digits_value(s + q, 13) / 1000, f);
        }
#undef JSON_STOP
    }
    return NO_SHAPE;
}

static const int DAYS[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

static inline int is_leap(int year) {
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

/* stamps._valid */
static int stamp_valid(const Fields *f) {
    if (!(f->month >= 1 && f->month <= 12 && f->day >= 1 && f->day <= 31 && f->hour < 24 &&
          f->minute < 60 && f->second < 60))
        return 0;
    if (f->year == 0) return f->day <= DAYS[f->month];
    if (f->year < 1000 || f->year > 9998) return 0; /* stamps.FIRST_YEAR, LAST_YEAR */
    int days = f->month == 2 ? (is_leap(f->year) ? 29 : 28) : DAYS[f->month];
    return f->day <= days;
}

/* stamps._PRI = <(\d{1,3})>(?:\d{1,2} )? at s[0], PRI <= 191: the bytes to skip (0: none). */
static Py_ssize_t pri_skip(const uchar *s, Py_ssize_t n) {
    if (n < 3 || s[0] != '<') return 0;
    Py_ssize_t k = 1;
    int value = 0;
    while (k < n && k <= 4 && is_digit(s[k])) value = value * 10 + (s[k++] - '0');
    if (k == 1 || k > 4 || k >= n || s[k] != '>' || value > 191) return 0;
    Py_ssize_t q = k + 1;
    if (q + 2 < n && is_digit(s[q]) && is_digit(s[q + 1]) && s[q + 2] == ' ') return q + 3;
    if (q + 1 < n && is_digit(s[q]) && s[q + 1] == ' ') return q + 2;
    return q;
}

typedef struct {
    int has_stamp;       /* stamps.parse_stamp(content) is not None */
    Fields fields;       /* its fields (year 0: yearless) */
    Py_ssize_t lead_end; /* stamps.leading_stamp_end(content) */
} LineStamp;

/* stamps.parse_stamp and stamps.leading_stamp_end of one line's content, in one go: both read
 * the anchored layouts after the same PRI, within the first TIMESTAMP_PREFIX_BYTES bytes. */
static void line_stamp(const uchar *content, Py_ssize_t length, LineStamp *out) {
    Py_ssize_t n = length < TIMESTAMP_PREFIX_BYTES ? length : TIMESTAMP_PREFIX_BYTES;
    Fields *f = &out->fields;
    out->has_stamp = 0;
    out->lead_end = -1;
    if (n == 0) return;
    if (content[0] == '{') {
        out->has_stamp = json_stamp(content, n, f) == SHAPE && stamp_valid(f);
        return;
    }
    Py_ssize_t skip = content[0] == '<' ? pri_skip(content, n) : 0;
    const uchar *s = content + skip;
    n -= skip;
    Py_ssize_t end;
    int r = anchored_stamp(s, n, f, &end);
    if (r == SHAPE) {
        if (stamp_valid(f)) {
            out->has_stamp = 1;
            out->lead_end = skip + end;
        }
        return;
    }
    if (r == BAD_OFFSET) return;
    if (epoch_field_stamp(s, n, f) == SHAPE) {
        out->has_stamp = 1; /* a real instant: always valid */
        return;
    }
    out->has_stamp = searched_stamp(s, n, f) == SHAPE && stamp_valid(f);
}

typedef struct {
    int year, month, day, hour, minute, second;
} Threshold;

/* The hour key of a stamp (its year from stamps.year_for when it writes none). */
static int64_t stamp_key(const Fields *f, const Threshold *t) {
    int64_t year = f->year;
    if (year == 0) {
        int later = f->month != t->month   ? f->month > t->month
                    : f->day != t->day     ? f->day > t->day
                    : f->hour != t->hour   ? f->hour > t->hour
                    : f->minute != t->minute ? f->minute > t->minute
                                           : f->second > t->second;
        int y = t->year - later;
        if (f->month == 2 && f->day == 29)
            while (!is_leap(y)) y--;
        year = y;
    }
    return ((((year * 13 + f->month) * 32 + f->day) * 24 + f->hour) * 60 + f->minute) * 4096 +
           f->zone;
}

/* ---------------------------------------------------------------------------------------------
 * formats.CONTINUATION_PATTERN, matched at the start of a line's content. */

static int ends_with(const uchar *text, Py_ssize_t length, const char *suffix) {
    Py_ssize_t n = (Py_ssize_t)strlen(suffix);
    return length >= n && memcmp(text + length - n, suffix, n) == 0;
}

static int is_continuation(const uchar *s, Py_ssize_t n) {
    if (n == 0) return 0;
    if (s[0] == ' ' || s[0] == '\t') return 1;
    if (n >= 11 && s[0] == 'C' && memcmp(s, "Caused by: ", 11) == 0) return 1;
    if (n >= 11 && s[0] == 'T' && memcmp(s, "Traceback (", 11) == 0) return 1;
    /* (?:[A-Za-z_$][\w$]*\.)*[A-Z][\w$]*(?:Exception|Error|Throwable)(?=[:\s]|$): the match can
     * only end where the run of [\w$.] from the start ends, so that run must be the name. */
    if (!is_alpha(s[0]) && s[0] != '_' && s[0] != '$') return 0;
    /* the name runs 6 bytes at least (...Error): most lines' first word is shorter */
    if (n < 6 || !(CLASSES[s[1]] & CLASSES[s[2]] & CLASSES[s[3]] & CLASSES[s[4]] & CLASSES[s[5]] &
                   C_CLASS))
        return 0;
    Py_ssize_t run = 0;
    while (run < n && (CLASSES[s[run]] & C_CLASS)) run++;
    if (run < n && !(s[run] == ':' || is_space(s[run]))) return 0;
    if (run < 6 || (s[run - 1] != 'n' && s[run - 1] != 'r' && s[run - 1] != 'e'))
        return 0; /* ...Exception, ...Error, ...Throwable: 6 bytes at least */
    Py_ssize_t segment = 0;
    for (Py_ssize_t i = 0; i <= run; i++) {
        if (i < run && s[i] != '.') continue;
        const uchar *seg = s + segment;
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
 * formats.TOKEN_PATTERN at position p of a line's content s[0:n]: level (-1: no token) and the
 * match end. */

static int bare_token(const uchar *s, Py_ssize_t n, Py_ssize_t p, Py_ssize_t *end) {
    /* (UPPER words)(?=[\s\]):>|,;]|$): the word ends before a non-letter, so it is the whole
     * run of capitals. */
    Py_ssize_t e = p;
    while (e < n && is_upper(s[e])) e++;
    if (e < n && !bare_right(s[e])) return -1;
    *end = e;
    return word_level(s + p, e - p, 1);
}

/* A case-insensitive level word at q, followed by a quote, a blank or the end (keyed) or by
 * "]" (bracketed); *end is the end of the word. */
static int word_at(const uchar *s, Py_ssize_t n, Py_ssize_t q, int keyed, Py_ssize_t *end) {
    Py_ssize_t e = q;
    while (e < n && is_alpha(s[e])) e++;
    if (keyed) { /* (?=[\"'\s]|$) */
        if (e < n && !(s[e] == '"' || s[e] == '\'' || is_space(s[e]))) return -1;
    } else { /* \] */
        if (e >= n || s[e] != ']') return -1;
    }
    *end = e;
    return word_level(s + q, e - q, 0);
}

static int bracketed_token(const uchar *s, Py_ssize_t n, Py_ssize_t p, Py_ssize_t *end) {
    /* \[(?:[A-Za-z_][\w.\-]*:)?((?i:words))\] */
    Py_ssize_t q = p + 1, word_end;
    int level;
    if (q < n && (is_alpha(s[q]) || s[q] == '_')) {
        Py_ssize_t e = q + 1;
        while (e < n && is_key_char(s[e])) e++;
        if (e < n && s[e] == ':' && (level = word_at(s, n, e + 1, 0, &word_end)) >= 0) {
            *end = word_end + 1;
            return level;
        }
    }
    if ((level = word_at(s, n, q, 0, &word_end)) >= 0) *end = word_end + 1;
    return level;
}

static int keyed_token(const uchar *s, Py_ssize_t n, Py_ssize_t p, Py_ssize_t *end) {
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
    return word_at(s, n, q, 1, end);
}

/* _TITLE_RE = [A-Z][a-z]+(?=[\s\]):>|,;]|$) at p, a formats.TITLE_WORDS word: level or -1. */
static int title_at(const uchar *s, Py_ssize_t n, Py_ssize_t p, Py_ssize_t *end) {
    if (p >= n || !is_upper(s[p])) return -1;
    Py_ssize_t e = p + 1;
    while (e < n && is_lower(s[e])) e++;
    if (e == p + 1 || (e < n && !bare_right(s[e]))) return -1;
    *end = e;
    return word_level(s + p, e - p, 0);
}

/* formats._after_tag: ``at`` follows ": " after a non-blank byte. */
static inline int after_tag(const uchar *s, Py_ssize_t at) {
    return at >= 3 && s[at - 2] == ':' && s[at - 1] == ' ' && !is_space(s[at - 3]);
}

static inline Py_ssize_t alnum_run(const uchar *s, Py_ssize_t n, Py_ssize_t p) {
    Py_ssize_t e = p;
    while (e < n && (CLASSES[s[e]] & (C_UPPER | C_LOWER | C_DIGIT))) e++;
    return e - p;
}

/* formats._EXIM_RE at p: an Exim message id (6-6-2 or 6-11-4 alphanumerics; each repetition
 * must be the whole run, as a "-" or " " follows it), a blank and a delivery flag followed by a
 * blank or the end: the flag's level (formats._EXIM_FLAGS) and *end, or -1. */
static int exim_flag(const uchar *s, Py_ssize_t n, Py_ssize_t p, Py_ssize_t *end) {
    /* 19 bytes at least (6-6-2, a blank, the flag); the "-" first: it rejects most words */
    if (p + 19 > n || s[p + 6] != '-' || alnum_run(s, n, p) != 6) return -1;
    Py_ssize_t q = p + 7, b = alnum_run(s, n, q);
    if ((b != 6 && b != 11) || q + b >= n || s[q + b] != '-') return -1;
    Py_ssize_t r = q + b + 1, c = alnum_run(s, n, r);
    if ((c != 2 && c != 4) || r + c + 3 > n || s[r + c] != ' ') return -1;
    Py_ssize_t f = r + c + 1;
    if (f + 2 < n && !is_space(s[f + 2])) return -1;
    uchar x = s[f], y = s[f + 1];
    int got = x == '*' && y == '*'   ? ERROR
              : x == '=' && y == '=' ? WARN
              : (x == '<' && y == '=') || (x == '=' && y == '>') || (x == '-' && y == '>') ||
                      (x == '*' && y == '>')
                  ? NEUTRAL
                  : -1;
    if (got >= 0) *end = f + 2;
    return got;
}

/* formats._position_word at p: a Title-case level word (title_at), an UPPERCASE (bare) level
 * word directly followed by "[" (_UPPER_BRACKET_RE), a single-letter severity (_LETTER_LEVEL)
 * followed by a blank, an Exim message id and flag, or a Ceph thread id and priority -1: its
 * level (-1: none) and *end. */
static int position_word(const uchar *s, Py_ssize_t n, Py_ssize_t p, Py_ssize_t *end) {
    if (p >= n) return -1;
    int got;
    if (is_upper(s[p])) { /* these three forms start with a capital */
        if ((got = title_at(s, n, p, end)) >= 0) return got;
        Py_ssize_t e = p;
        while (e < n && is_upper(s[e])) e++;
        if (e < n && s[e] == '[' && (got = word_level(s + p, e - p, 1)) >= 0) {
            *end = e;
            return got;
        }
        if (p + 1 < n && is_space(s[p + 1])) {
            got = -1;
            switch (s[p]) {
            case 'F': case 'E': case 'C': got = ERROR; break;
            case 'W': got = WARN; break;
            case 'I': case 'N': case 'D': case 'T': got = NEUTRAL; break;
            }
            if (got >= 0) {
                *end = p + 1;
                return got;
            }
        }
    }
    if ((got = exim_flag(s, n, p, end)) >= 0) return got;
    /* _CEPH_RE = [0-9a-f]{6,16} -1(?=\s): the hex run must be the whole run */
    Py_ssize_t h = p;
    while (h < n && (is_digit(s[h]) || (s[h] >= 'a' && s[h] <= 'f'))) h++;
    if (h - p >= 6 && h - p <= 16 && h + 3 < n && s[h] == ' ' && s[h + 1] == '-' &&
        s[h + 2] == '1' && is_space(s[h + 3])) {
        *end = h + 3;
        return ERROR;
    }
    return -1;
}

/* formats.PROXIFIER_HEADER_RE = \[\d\d\.\d\d \d\d:\d\d:\d\d\] \S+ - \S+  matched at s[0]: its end,
 * or 0 (each \S+ can only be the whole run of non-blanks: a blank must follow it). */
static Py_ssize_t proxifier_header_end(const uchar *s, Py_ssize_t n) {
    Fields f;
    if (n < 22 || s[0] != '[' || s[3] != '.' || s[6] != ' ' || s[15] != ']' || s[16] != ' ' ||
        digits_at(s, n, 1, 2) < 0 || digits_at(s, n, 4, 2) < 0 || !time_at(s, n, 7, &f))
        return 0;
    Py_ssize_t p = 17;
    while (p < n && !is_space(s[p])) p++;
    if (p == 17 || p + 3 > n || memcmp(s + p, " - ", 3) != 0) return 0;
    Py_ssize_t q = p += 3;
    while (p < n && !is_space(s[p])) p++;
    if (p == q || p >= n || s[p] != ' ') return 0;
    return p + 1;
}

/* The bytes of w (8 bytes loaded from memory, flagged by the high bits of their lanes) that may
 * start a level token: [A-Z] or "[" (0x41-0x5b), "l", "s". No such byte is left out; a flag may
 * be false (has_zero_byte can flag a lane next to a real zero), which the byte's own check then
 * sorts out. */
static inline uint64_t token_starts(uint64_t w) {
    const uint64_t ones = 0x0101010101010101ULL;
    return has_byte_between(w, 0x40, 0x5c) | has_zero_byte(w ^ (ones * 'l')) |
           has_zero_byte(w ^ (ones * 's'));
}

/* Index in memory order of the first flagged lane of a nonzero token_starts() result. */
static inline int first_flagged_byte(uint64_t flagged) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_clzll(flagged) >> 3;
#else
    return __builtin_ctzll(flagged) >> 3;
#endif
}

#if defined(__SSE2__)
/* Bit i set when s[i] (of 16 bytes, all readable) may start a level token (C_TOKEN: [A-Z],
 * "[", "l", "s"; exact, no false flag). */
static inline unsigned token_start_bits(const uchar *s) {
    __m128i v = _mm_loadu_si128((const __m128i *)s);
    __m128i t = _mm_sub_epi8(v, _mm_set1_epi8('A')); /* 'A'..'[' -> 0..26, unsigned */
    __m128i capital = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8('[' - 'A')), t);
    __m128i l = _mm_cmpeq_epi8(v, _mm_set1_epi8('l'));
    __m128i lower_s = _mm_cmpeq_epi8(v, _mm_set1_epi8('s'));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(capital, _mm_or_si128(l, lower_s)));
}

/* The same for the k < 16 bytes of a line's tail, byte by byte. */
static inline unsigned token_start_tail(const uchar *s, Py_ssize_t k) {
    unsigned bits = 0;
    for (Py_ssize_t i = 0; i < k; i++)
        if (CLASSES[s[i]] & C_TOKEN) bits |= 1u << i;
    return bits;
}
#endif

/* The level token starting at p (a C_TOKEN byte), if one does: its level, else -1. */
static inline int token_at(const uchar *s, Py_ssize_t n, Py_ssize_t p, Py_ssize_t *end) {
    uchar c = s[p];
    if (is_upper(c)) return p == 0 || bare_left(s[p - 1]) ? bare_token(s, n, p, end) : -1;
    if (c == '[') return bracketed_token(s, n, p, end);
    return p == 0 || is_space(s[p - 1]) ? keyed_token(s, n, p, end) : -1; /* "l" or "s" */
}

typedef struct {
    int level; /* NONE, NEUTRAL, WARN, ERROR */
    Py_ssize_t start, end;
} Found;

/* memchr(s + from, ':', limit - from) without a call, for the short spans find_level searches:
 * 16 bytes a step with SSE2 while 16 bytes of the line s[0:n] can be read, the rest byte by byte. */
static inline const uchar *find_colon(const uchar *s, Py_ssize_t from, Py_ssize_t limit,
                                      Py_ssize_t n) {
#if defined(__SSE2__)
    const __m128i colon = _mm_set1_epi8(':');
    for (; from < limit && from + 16 <= n; from += 16) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(s + from));
        unsigned hits = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, colon));
        if (hits) {
            Py_ssize_t at = from + __builtin_ctz(hits);
            return at < limit ? s + at : NULL;
        }
    }
#endif
    for (; from < limit; from++)
        if (s[from] == ':') return s + from;
    return NULL;
}

/* formats.find_level of one line's content; lead_end is stamps.leading_stamp_end(content). */
static Found find_level(const uchar *s, Py_ssize_t n, Py_ssize_t lead_end) {
    Found found = {NONE, 0, 0};
    if (is_continuation(s, n)) return found;
    /* _GLOG_RE = ([IWEF])\d{4} \d\d:\d\d:\d\d */
    if (n >= 14 && (s[0] == 'I' || s[0] == 'W' || s[0] == 'E' || s[0] == 'F') &&
        digits_at(s, n, 1, 4) >= 0 && s[5] == ' ' && digits_at(s, n, 6, 2) >= 0 &&
        s[8] == ':' && digits_at(s, n, 9, 2) >= 0 && s[11] == ':' && digits_at(s, n, 12, 2) >= 0) {
        found.level = s[0] == 'I' ? NEUTRAL : s[0] == 'W' ? WARN : ERROR;
        found.end = 1;
        return found;
    }
    /* _PRI_RE = <(\d{1,3})>(?=\S), PRI <= 191 */
    if (n >= 3 && s[0] == '<') {
        Py_ssize_t k = 1;
        int value = 0;
        while (k < n && k <= 4 && is_digit(s[k])) value = value * 10 + (s[k++] - '0');
        if (k > 1 && k <= 4 && k + 1 < n && s[k] == '>' && !is_space(s[k + 1]) && value <= 191) {
            int severity = value % 8;
            found.level = severity <= 3 ? ERROR : severity == 4 ? WARN : NEUTRAL;
            found.end = k + 1;
            return found;
        }
    }
    /* _DMESG_DECODED_RE = [a-z]+ *:([a-z]+) *:(?=\s|$) at the start, a COLON_WORDS word: each
     * repetition can only be the whole run. */
    if (n > 0 && is_lower(s[0])) {
        Py_ssize_t p = 1, q;
        while (p < n && is_lower(s[p])) p++;
        while (p < n && s[p] == ' ') p++;
        if (p < n && s[p] == ':') {
            q = ++p;
            while (p < n && is_lower(s[p])) p++;
            Py_ssize_t word_end = p;
            while (p < n && s[p] == ' ') p++;
            int got;
            if (word_end > q && p < n && s[p] == ':' && (p + 1 >= n || is_space(s[p + 1])) &&
                (got = colon_word_level(s + q, word_end - q)) >= 0) {
                found.level = got;
                found.start = q;
                found.end = p + 1;
                return found;
            }
        }
    }
    /* LEVEL_TOKEN_RE.search: the leftmost bare / bracketed / keyed token (only one form can
     * start at a byte). Eight bytes at a time are skipped while none can start one. */
    int level = NONE;
    Py_ssize_t start = n + 1, end = 0;
#if defined(__SSE2__)
    /* 16 bytes a step: a bit per byte that may start a token (exactly C_TOKEN), leftmost first */
    for (Py_ssize_t base = 0; base < n && level == NONE; base += 16) {
        unsigned bits = base + 16 <= n ? token_start_bits(s + base)
                                       : token_start_tail(s + base, n - base);
        for (; bits; bits &= bits - 1) {
            Py_ssize_t p = base + __builtin_ctz(bits);
            int got = token_at(s, n, p, &end);
            if (got >= 0) {
                level = got;
                start = p;
                break;
            }
        }
    }
#else
    for (Py_ssize_t p = 0; p < n; p++) {
        if (p + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + p, 8);
            uint64_t flagged = token_starts(w);
            if (!flagged) {
                p += 7;
                continue;
            }
            p += first_flagged_byte(flagged); /* no byte before it can start a token */
        }
        if (!(CLASSES[s[p]] & C_TOKEN)) continue;
        int got = token_at(s, n, p, &end);
        if (got >= 0) {
            level = got;
            start = p;
            break;
        }
    }
#endif
    Py_ssize_t position = -1; /* formats.level_position: past the stamp and its separators */
    if (lead_end > 0) {
        position = lead_end;
        while (position < n && (MORE[s[position]] & D_SEPARATOR)) position++;
    }
    /* A Title-case word at the line start, else at formats.level_position */
    if (start > 0) {
        Py_ssize_t title_end;
        int got = title_at(s, n, 0, &title_end);
        if (got >= 0) {
            level = got;
            start = 0;
            end = title_end;
        } else if (position >= 0 && position < start &&
                   (got = position_word(s, n, position, &title_end)) >= 0) {
            level = got;
            start = position;
            end = title_end;
        }
    }
    /* _COLON_RE = (?<![A-Za-z])([A-Z]?[a-z]+) ?:(?=\s|$) over content[:start] (finditer with
     * endpos: "$" is there). A match starts where the run of lowercase letters before its colon
     * (or before the one blank before it) starts, or at one capital before that run, and no
     * letter precedes it; each colon ends at most one match. */
    Py_ssize_t limit = start < n ? start : n, proxifier = -1;
    /* Inside the stamp the line starts with no match can start or end: its colons follow
     * digits, and its last byte is no lowercase letter. */
    Py_ssize_t from = lead_end > 0 ? lead_end : 0;
    for (const uchar *c = find_colon(s, from, limit, n); c != NULL;
         c = find_colon(s, c + 1 - s, limit, n)) {
        Py_ssize_t colon = c - s, word_end = colon;
        if (word_end > 1 && s[word_end - 1] == ' ' && is_lower(s[word_end - 2])) word_end--;
        Py_ssize_t r = word_end;
        while (r > 0 && is_lower(s[r - 1])) r--;
        if (r == word_end || (colon + 1 < limit && !is_space(s[colon + 1]))) continue;
        if (r > 0 && is_upper(s[r - 1])) r--;
        if (r > 0 && is_alpha(s[r - 1])) continue;
        int got = colon_word_level(s + r, word_end - r);
        if (got >= 0 && r > 0 && proxifier < 0) proxifier = proxifier_header_end(s, n);
        if (got >= 0 && (r == 0 || r == position || after_tag(s, r) || r == proxifier)) {
            level = got;
            start = r;
            end = colon + 1;
            break;
        }
        if (colon + 1 >= limit) break;
    }
    if (level == NONE) return found;
    found.level = level;
    found.start = start;
    found.end = end;
    return found;
}

/* ---------------------------------------------------------------------------------------------
 * Templates (logcrunch/templates.py). */

/* templates._TAG_RE = [ \t]*\S+ [\w./()\-]+(?:\[\d+\])?: matched at s[0]: its end, or 0. Every
 * repetition can only be the longest run (what follows each is no byte of the run). */
static Py_ssize_t tag_end(const uchar *s, Py_ssize_t n) {
    Py_ssize_t p = 0;
    while (p < n && (s[p] == ' ' || s[p] == '\t')) p++;
    Py_ssize_t q = p;
    while (q < n && !is_space(s[q])) q++;
    if (q == p || q >= n || s[q] != ' ') return 0;
    Py_ssize_t r = ++q;
    while (r < n && (MORE[s[r]] & D_TAG)) r++;
    if (r == q || r >= n) return 0;
    if (s[r] == '[') {
        Py_ssize_t d = r + 1;
        while (d < n && is_digit(s[d])) d++;
        if (d > r + 1 && d + 2 < n && s[d] == ']' && s[d + 1] == ':' && s[d + 2] == ' ')
            return d + 3;
        return 0;
    }
    return r + 1 < n && s[r] == ':' && s[r + 1] == ' ' ? r + 2 : 0;
}

/* templates._RFC5424_RE = " \S+ \S+ \S+ \S+ (?:-|(?:\[[^\]]*\])+) ?" at s[0]: its end, or 0. */
static Py_ssize_t rfc5424_end(const uchar *s, Py_ssize_t n) {
    Py_ssize_t p = 0;
    for (int field = 0; field < 4; field++) {
        if (p >= n || s[p] != ' ') return 0;
        Py_ssize_t q = ++p;
        while (p < n && !is_space(s[p])) p++;
        if (p == q) return 0;
    }
    if (p >= n || s[p] != ' ') return 0;
    p++;
    if (p < n && s[p] == '-') {
        p++;
    } else if (p < n && s[p] == '[') {
        const uchar *close = memchr(s + p, ']', n - p);
        if (close == NULL) return 0;
        p = close + 1 - s;
        while (p < n && s[p] == '[' && (close = memchr(s + p, ']', n - p)) != NULL)
            p = close + 1 - s;
    } else {
        return 0;
    }
    if (p < n && s[p] == ' ') p++;
    return p;
}

/* templates._RFC5424_START_RE = <\d{1,3}>\d{1,2}  matched at s[0]. */
static int rfc5424_start(const uchar *s, Py_ssize_t n) {
    if (n < 5 || s[0] != '<') return 0;
    Py_ssize_t k = 1;
    while (k < n && k <= 4 && is_digit(s[k])) k++;
    if (k == 1 || k > 4 || k >= n || s[k] != '>') return 0;
    Py_ssize_t q = k + 1;
    if (q + 2 < n && is_digit(s[q]) && is_digit(s[q + 1]) && s[q + 2] == ' ') return 1;
    return q + 1 < n && is_digit(s[q]) && s[q + 1] == ' ';
}

/* templates.after_header */
static void after_header(const uchar *s, Py_ssize_t n, Py_ssize_t lead_end, const uchar **message,
                         Py_ssize_t *length) {
    Py_ssize_t header = proxifier_header_end(s, n);
    if (header > 0) {
        *message = s + header;
        *length = n - header;
        return;
    }
    *message = s;
    *length = n;
    if (lead_end <= 0) return;
    const uchar *rest = s + lead_end;
    Py_ssize_t m = n - lead_end;
    Py_ssize_t skip = rfc5424_start(s, n) ? rfc5424_end(rest, m) : tag_end(rest, m);
    *message = rest + skip;
    *length = m - skip;
}

#define NGINX_CONTEXT ", client: "
#define NGINX_CONTEXT_BYTES 10
#define MAX_BRACKET_BYTES 512

typedef struct {
    /* templates._quoted_end answers for each quote byte, once a scan has failed: from then on a
     * table (filled right to left) answers in O(1), so hostile quotes cost O(n), not O(n^2). */
    int built[2];
    int16_t next[2][TEMPLATE_INPUT_BYTES + 2];
    uchar out[TEMPLATE_MAX_BYTES];
    /* a message rebuilt as "[<*>]" + the rest: what mask reads of it, and enough past that to
     * see a ", client: " starting within it */
    uchar input[TEMPLATE_INPUT_BYTES + NGINX_CONTEXT_BYTES];
} Scratch;

/* templates._bracket_end: index past the "]" closing the "[" at s[0] (nested brackets count),
 * or -1 when it is not closed within MAX_BRACKET_BYTES. */
static Py_ssize_t bracket_end(const uchar *s, Py_ssize_t n) {
    int depth = 0;
    if (n > MAX_BRACKET_BYTES) n = MAX_BRACKET_BYTES;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (s[i] == '[') {
            depth++;
        } else if (s[i] == ']') {
            depth--;
            if (depth == 0) return i + 1;
        }
    }
    return -1;
}

/* templates.message_of */
static void message_of(const uchar *s, Py_ssize_t n, const Found *found, Py_ssize_t lead_end,
                       Scratch *scratch, const uchar **message, Py_ssize_t *length) {
    if (found->level == NONE) {
        after_header(s, n, lead_end, message, length);
        return;
    }
    if (found->start == 0 && found->end == 1) { /* glog: the header ends at "] " */
        Py_ssize_t header_end = -1;
        for (const uchar *b = memchr(s, ']', n); b != NULL; b = memchr(b + 1, ']', n - (b + 1 - s)))
            if (b + 1 < s + n && b[1] == ' ') {
                header_end = b - s;
                break;
            }
        Py_ssize_t from = header_end > 0 ? header_end + 2 : 1;
        *message = s + from;
        *length = n - from;
        return;
    }
    if (found->start == 0 && n > 0 && s[0] == '<') { /* PRI */
        after_header(s, n, lead_end, message, length);
        return;
    }
    Py_ssize_t end = found->end;
    if (found->start == 0 && end < n && s[end] == ':') { /* Python's LEVEL:logger:message */
        Py_ssize_t q = end + 1;
        while (q < n && is_key_char(s[q])) q++; /* _LOGGER_RE = [\w.\-]+: */
        if (q > end + 1 && q < n && s[q] == ':') end = q + 1;
    }
    while (end < n && (MORE[s[end]] & D_SKIP)) end++;
    if (end >= n) {
        after_header(s, n, lead_end, message, length);
        return;
    }
    const uchar *m = s + end;
    Py_ssize_t m_length = n - end;
    if (m[0] == '[') { /* a thread or component name: [main], [QuorumPeer[myid=1]/...] */
        Py_ssize_t close = bracket_end(m, m_length);
        while (close > 0 && close < m_length && m[close] == '[') { /* and the ones right after */
            Py_ssize_t more = bracket_end(m + close, m_length - close);
            if (more < 0) break;
            close += more;
        }
        if (close > 0) {
            Py_ssize_t rest = m_length - close, room = (Py_ssize_t)sizeof(scratch->input) - 5;
            if (rest > room) rest = room; /* bytes past these cannot reach the template */
            memcpy(scratch->input, "[<*>]", 5);
            memcpy(scratch->input + 5, m + close, rest);
            m = scratch->input;
            m_length = 5 + rest;
        }
    }
    /* cut at nginx's ", client: " context (only a cut within the bytes mask reads matters) */
    Py_ssize_t seen = m_length < TEMPLATE_INPUT_BYTES + NGINX_CONTEXT_BYTES - 1
                          ? m_length
                          : TEMPLATE_INPUT_BYTES + NGINX_CONTEXT_BYTES - 1;
    for (const uchar *c = memchr(m, ',', seen); c != NULL; c = memchr(c + 1, ',', seen - (c + 1 - m)))
        if (c + NGINX_CONTEXT_BYTES <= m + seen && memcmp(c, NGINX_CONTEXT, NGINX_CONTEXT_BYTES) == 0) {
            m_length = c - m;
            break;
        }
    *message = m;
    *length = m_length;
}

/* templates._quoted_end: index past the quote closing the string opened at start, or -1. */
static Py_ssize_t quoted_end(const uchar *t, Py_ssize_t n, Py_ssize_t start, Scratch *scratch) {
    uchar quote = t[start];
    int which = quote == '"' ? 0 : 1;
    if (scratch->built[which]) return scratch->next[which][start + 1];
    Py_ssize_t i = start + 1;
    while (i < n) {
        if (t[i] == '\\') {
            i += 2;
            continue;
        }
        if (t[i] == quote) return i + 1;
        i++;
    }
    int16_t *next = scratch->next[which];
    next[n] = next[n + 1] = -1;
    for (Py_ssize_t k = n - 1; k >= 0; k--)
        next[k] = t[k] == '\\' ? next[k + 2] : t[k] == quote ? (int16_t)(k + 1) : next[k + 1];
    scratch->built[which] = 1;
    return -1;
}

typedef struct {
    uchar *buf;
    Py_ssize_t length;
    int space;    /* a blank is pending before the next output */
    int name_key; /* the previous piece is a NAME_KEYS word (templates.mask's name_key) */
} Out;

/* Appends, clipped at TEMPLATE_MAX_BYTES (output only ever grows, so the clipped bytes are
 * exactly what out[:TEMPLATE_MAX_BYTES] keeps). */
static inline void put(Out *out, const uchar *piece, Py_ssize_t k) {
    Py_ssize_t room = TEMPLATE_MAX_BYTES - out->length;
    if (k > room) k = room;
    uchar *to = out->buf + out->length;
    if (k <= 16)
        for (Py_ssize_t i = 0; i < k; i++) to[i] = piece[i];
    else
        memcpy(to, piece, k);
    out->length += k;
}

static inline void emit(Out *out, const uchar *piece, Py_ssize_t k) {
    out->name_key = 0;
    if (out->space && out->length) put(out, (const uchar *)" ", 1);
    out->space = 0;
    put(out, piece, k);
}

static inline void emit_wildcard(Out *out) {
    out->name_key = 0;
    if (out->length >= 3 && memcmp(out->buf + out->length - 3, "<*>", 3) == 0) {
        out->space = 0;
        return;
    }
    emit(out, (const uchar *)"<*>", 3);
}

/* templates.NAME_KEYS and templates.NAME_STOP (lower case), each ending with NULL. */
static const char *NAME_KEYS[] = {
    "user", "users", "tenant", "queue", "queues", "host", "hosts", "node", "nodes", "service",
    "services", "server", "servers", "servlet", "table", "tables", "database", "db", "column",
    "backend", "handler", "topic", "bucket", "volume", "pool", "channel", "account", "group", "role",
    "client", "container", "pod", "namespace", "job", "task", "process", "program", "device", "dev",
    "interface", "domain", "zone", "cluster", "index", "project", "application", "app", NULL};
static const char *NAME_STOP[] = {
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "at", "from", "by", "as",
    "that", "this", "it", "is", "are", "was", "were", "be", "been", "not", "no", "has", "have", "had",
    "name", "id", "full", "empty", "down", "up", "failed", "error", "unknown", "request", "timeout",
    "timed", "already", "does", "did", "cannot", "can", "could", "will", "would", "may", "must",
    "should", "still", "now", "then", "authentication", "session", "sessions", "agent", "key",
    "keys", "data", "list", "status", "state", "count", "size", "limit", "mode", "type", "info",
    "access", "login", "password", "credentials", "names", "ids", "address", "port", "config",
    "configuration", "settings", "metadata", "permissions", "quota", "memory", "disk", "connection",
    "connections", "lookup", "load", NULL};
#define WORD_LIST_MAX 16 /* longer than any word in them */
#define WORDS_PER_LENGTH 32
/* The lists by length and first letter: WORD_FIRSTS[list][length] has bit (first letter - 'a')
 * set when the list has such a word, so most tokens are rejected without a comparison; then
 * only the words of that length are compared. */
static uint32_t WORD_FIRSTS[2][WORD_LIST_MAX];
static const char *WORDS_BY_LENGTH[2][WORD_LIST_MAX][WORDS_PER_LENGTH + 1];

static inline uchar lower_byte(uchar c) { return is_upper(c) ? (uchar)(c + 32) : c; }

static void init_word_lists(void) {
    const char **lists[2] = {NAME_KEYS, NAME_STOP};
    int used[2][WORD_LIST_MAX] = {{0}};
    for (int l = 0; l < 2; l++)
        for (const char **w = lists[l]; *w; w++) {
            size_t n = strlen(*w);
            WORD_FIRSTS[l][n] |= 1u << ((*w)[0] - 'a');
            if (used[l][n] < WORDS_PER_LENGTH) WORDS_BY_LENGTH[l][n][used[l][n]++] = *w;
        }
}

/* Whether t[0:n] in lower case (ASCII, as bytes.lower()) is a word of list l (0 keys, 1 stop):
 * the rejection most tokens get inline, the comparison out of line. */
static int in_word_list_compare(int l, const uchar *t, Py_ssize_t n, uchar first);

static inline int in_word_list(int l, const uchar *t, Py_ssize_t n) {
    if (n >= WORD_LIST_MAX) return 0;
    uchar first = lower_byte(t[0]);
    if (first < 'a' || first > 'z' || !(WORD_FIRSTS[l][n] & (1u << (first - 'a')))) return 0;
    return in_word_list_compare(l, t, n, first);
}

static int in_word_list_compare(int l, const uchar *t, Py_ssize_t n, uchar first) {
    for (const char **w = WORDS_BY_LENGTH[l][n]; *w; w++) {
        if ((uchar)(*w)[0] != first) continue;
        Py_ssize_t k = 1;
        while (k < n && lower_byte(t[k]) == (uchar)(*w)[k]) k++;
        if (k == n) return 1;
    }
    return 0;
}

/* templates._is_name: a word after a NAME_KEYS word names something unless it is a NAME_STOP
 * word, ends in "ed" or "ing" (any case) or is Title-case. */
static int is_name(const uchar *t, Py_ssize_t n) {
    if (in_word_list(1, t, n)) return 0;
    if (n >= 2 && lower_byte(t[n - 2]) == 'e' && lower_byte(t[n - 1]) == 'd') return 0;
    if (n >= 3 && lower_byte(t[n - 3]) == 'i' && lower_byte(t[n - 2]) == 'n' &&
        lower_byte(t[n - 1]) == 'g')
        return 0;
    if (is_upper(t[0])) {
        int small = 0, capital = 0;
        for (Py_ssize_t k = 1; k < n; k++) {
            small |= is_lower(t[k]);
            capital |= is_upper(t[k]);
        }
        if (small && !capital) return 0;
    }
    return 1;
}

/* templates._list_end: index past a "[n,n-n]" list of numbers starting at t[at], or -1. */
static Py_ssize_t list_end(const uchar *t, Py_ssize_t n, Py_ssize_t at) {
    if (at >= n || t[at] != '[') return -1;
    Py_ssize_t k = at + 1;
    while (k < n && (is_digit(t[k]) || t[k] == ',' || t[k] == '-')) k++;
    return k > at + 1 && k < n && t[k] == ']' ? k + 1 : -1;
}

static inline int is_alnum(uchar c) { return CLASSES[c] & (C_UPPER | C_LOWER | C_DIGIT); }

/* Token bytes in templates.mask: T_STOP ends a token (a blank, a delimiter, '"'); T_DIGIT makes
 * it a variable; without T_MAYBE (".:/~\\_" or a capital) variable_token cannot hold. */
enum { T_STOP = 1, T_DIGIT = 2, T_MAYBE = 4, T_EQUALS = 8 };
static uchar TOKEN_BYTES[256], TOKEN_BYTES_IN_QUOTE[256]; /* the second: inside msg='...' */

static void init_token_bytes(void) {
    for (int c = 0; c < 256; c++) {
        int f = 0;
        if (is_space((uchar)c) || is_delimiter((uchar)c) || c == '"') f |= T_STOP;
        if (is_digit((uchar)c)) f |= T_DIGIT;
        if (c == '=') f |= T_EQUALS;
        if (c == '.' || c == ':' || c == '/' || c == '~' || c == '\\' || c == '_' || is_upper((uchar)c))
            f |= T_MAYBE;
        TOKEN_BYTES[c] = TOKEN_BYTES_IN_QUOTE[c] = (uchar)f;
    }
    TOKEN_BYTES_IN_QUOTE['\''] |= T_STOP;
}

/* A token without a digit that templates.mask still masks: a path (_PATH_RE matched at its
 * start: /x, ~/, ./, C:\), a URL ("://"), a dotted name (_DOTTED_RE: a '.' between letters or
 * digits), a snake_case name (_SNAKE_RE: a '_' between letters or digits) or an HTTP method. */
static int variable_token(const uchar *t, Py_ssize_t n) {
    if (n >= 2 && ((t[0] == '/' && t[1] != '/') || (t[0] == '~' && t[1] == '/') ||
                   (t[0] == '.' && t[1] == '/')))
        return 1;
    if (n >= 3 && is_alpha(t[0]) && t[1] == ':' && t[2] == '\\') return 1;
    for (Py_ssize_t k = 0; k + 2 < n; k++) {
        if ((t[k + 1] == '.' || t[k + 1] == '_') && is_alnum(t[k]) && is_alnum(t[k + 2])) return 1;
        if (t[k] == ':' && t[k + 1] == '/' && t[k + 2] == '/') return 1;
    }
    if (n >= 3 && n <= 7 && is_upper(t[0])) {
        static const char *METHODS[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};
        for (int m = 0; m < 7; m++)
            if ((Py_ssize_t)strlen(METHODS[m]) == n && memcmp(t, METHODS[m], n) == 0) return 1;
    }
    return 0;
}

/* templates.mask of message[:TEMPLATE_INPUT_BYTES] into scratch->out: the template's length. */
static Py_ssize_t mask(const uchar *t, Py_ssize_t n, Scratch *scratch) {
    if (n > TEMPLATE_INPUT_BYTES) n = TEMPLATE_INPUT_BYTES;
    Out out = {scratch->out, 0, 0, 0};
    scratch->built[0] = scratch->built[1] = 0;
    uchar text_quote = 0; /* the quote closing a msg="..." value being read as text, or 0 */
    Py_ssize_t i = 0;
    if (n && t[0] == '"' && quoted_end(t, n, 0, scratch) > 0) { /* a quoted message (klog) */
        put(&out, t, 1);
        text_quote = '"';
        i = 1;
    }
    while (i < n && out.length < TEMPLATE_MAX_BYTES) {
        uchar c = t[i];
        if (is_space(c)) {
            out.space = 1;
            i++;
            continue;
        }
        if (text_quote && c == text_quote) {
            emit(&out, &c, 1);
            text_quote = 0;
            i++;
            continue;
        }
        if (c == '"' || (c == '\'' && (i == 0 || !is_word(t[i - 1])))) {
            Py_ssize_t end = quoted_end(t, n, i, scratch);
            if (end > 0) {
                emit_wildcard(&out);
                i = end;
                continue;
            }
        }
        if (is_delimiter(c)) {
            emit(&out, &c, 1);
            i++;
            continue;
        }
        Py_ssize_t j = i;
        int seen = 0, f;
        const uchar *bytes = text_quote == '\'' ? TOKEN_BYTES_IN_QUOTE : TOKEN_BYTES;
        while (j < n && !((f = bytes[t[j]]) & T_STOP)) { /* '"' stops a token anyway */
            seen |= f;
            j++;
        }
        if (j == i) { /* a lone quote byte (unclosed, or a ' after a letter) */
            emit(&out, &c, 1);
            i++;
            continue;
        }
        const uchar *equals_at = seen & T_EQUALS ? memchr(t + i, '=', j - i) : NULL;
        Py_ssize_t equals = equals_at ? equals_at - (t + i) : -1;
        int key = equals > 0 && (is_alpha(t[i]) || t[i] == '_');
        for (Py_ssize_t k = i + 1; key && k < i + equals; k++) key = is_key_char(t[k]);
        if (key) {
            Py_ssize_t value_at = i + equals + 1;
            emit(&out, t + i, equals + 1); /* key= */
            if ((equals == 3 && memcmp(t + i, "msg", 3) == 0) ||
                (equals == 7 && memcmp(t + i, "message", 7) == 0)) {
                if (value_at < n && (t[value_at] == '"' || t[value_at] == '\'') && !text_quote) {
                    text_quote = t[value_at];
                    put(&out, &text_quote, 1);
                    value_at++;
                }
                i = value_at;
                continue;
            }
            if (value_at < n && (t[value_at] == '"' || t[value_at] == '\'')) {
                Py_ssize_t end = quoted_end(t, n, value_at, scratch);
                if (end > 0) {
                    emit_wildcard(&out);
                    i = end;
                    continue;
                }
            }
            Py_ssize_t end = value_at;
            while (end < n && !is_space(t[end]) && !(text_quote && t[end] == text_quote)) end++;
            int trailing = end > value_at && (t[end - 1] == ',' || t[end - 1] == ';');
            emit_wildcard(&out);
            if (trailing) emit(&out, t + end - 1, 1);
            i = end;
            continue;
        }
        Py_ssize_t listed = list_end(t, n, j);
        if (listed > 0) { /* cn[01-04,7]: the name and its list */
            emit_wildcard(&out);
            i = listed;
            continue;
        }
        if ((seen & T_DIGIT) || ((seen & T_MAYBE) && variable_token(t + i, j - i)) ||
            (i > 0 && j < n && ((t[i - 1] == '[' && t[j] == ']') || (t[i - 1] == '(' && t[j] == ')'))) ||
            (out.name_key && out.space && is_name(t + i, j - i))) {
            emit_wildcard(&out);
        } else {
            emit(&out, t + i, j - i);
            out.name_key = in_word_list(0, t + i, j - i);
        }
        i = j;
    }
    return out.length;
}

/* ---------------------------------------------------------------------------------------------
 * Hashing (seeded at import, so crafted keys cannot pile up in one probe chain). */

static inline uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_bytes(const uchar *p, Py_ssize_t n, uint64_t salt) {
    uint64_t h = HASH_SEED ^ salt ^ ((uint64_t)n * 0x9E3779B97F4A7C15ULL);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0x100000001b3ULL;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, p, (size_t)n);
    return mix64(h ^ v);
}

/* An open-addressing index of positions into an items array (-1: free slot). */
typedef struct {
    Py_ssize_t *slots;
    size_t mask; /* capacity - 1, capacity a power of two */
} Index;

static int index_init(Index *index, size_t capacity) {
    index->slots = PyMem_RawMalloc(capacity * sizeof(Py_ssize_t));
    if (!index->slots) return -1;
    memset(index->slots, 0xff, capacity * sizeof(Py_ssize_t));
    index->mask = capacity - 1;
    return 0;
}

static void index_free(Index *index) {
    PyMem_RawFree(index->slots);
    index->slots = NULL;
}

/* Grows the index to twice its capacity when count reaches half of it; hash_of(i) gives item
 * i's hash. */
/* Before item ``used`` joins an index of items 0..used-1: doubles the index (re-inserting
 * those items, not the one not yet made) once used + 1 would fill half of it. */
#define INDEX_GROW(index, used, hash_of)                                                       \
    do {                                                                                       \
        if ((size_t)((used) + 1) * 2 >= (index)->mask + 1) {                                   \
            Index grown;                                                                       \
            if (index_init(&grown, ((index)->mask + 1) * 2) < 0) {                             \
                need_gil();                                                                    \
                PyErr_NoMemory();                                                              \
                return -1;                                                                     \
            }                                                                                  \
            for (Py_ssize_t item_ = 0; item_ < (Py_ssize_t)(used); item_++) {                  \
                size_t slot_ = (size_t)(hash_of(item_)) & grown.mask;                          \
                while (grown.slots[slot_] >= 0) slot_ = (slot_ + 1) & grown.mask;              \
                grown.slots[slot_] = item_;                                                    \
            }                                                                                  \
            index_free(index);                                                                 \
            *(index) = grown;                                                                  \
        }                                                                                      \
    } while (0)

/* ---------------------------------------------------------------------------------------------
 * Metric aggregates per (key, decimals), in insertion order. */

typedef struct {
    const uchar *key; /* points into the block */
    Py_ssize_t key_length;
    int decimals;
    uint64_t hash;
    int64_t count;
    int64_t minimum, maximum;
    i128 total, total_sq;
    /* The hot path: values below 2**31 in magnitude add into these 64-bit sums (their squares
     * fit 62 bits), folded into total / total_sq when one would overflow and at the end; 128-bit
     * adds per sample cost a store-forwarding stall. */
    int64_t small_total;
    uint64_t small_sq;
    PyObject *spilled_total, *spilled_sq; /* Python ints holding what overflowed the i128s */
} Entry;

#define RECENT 8
#define DENSE_ENTRIES 32
#define DENSE_SPAN 2048 /* buckets of one window: 32 octaves of 64, 16 each side of the first */

typedef struct {
    int32_t base[2];    /* the |bucket index| counts[s][0] stands for; [0]: positive, [1]: negative */
    int32_t *counts[2]; /* NULL until that sign's first sample */
} Dense;

typedef struct {
    Entry *items;
    Py_ssize_t count, capacity;
    Index index;
    /* The entry the i-th number of the previous line went to: lines of one file mostly repeat
     * their keys in the same order, so this spares most hash lookups. */
    Py_ssize_t recent[RECENT];
    /* Sketch buckets of all entries: open addressing on BUCKET_KEY(entry, bucket index); 0 is a
     * free slot (no real key is 0). */
    uint64_t *bucket_keys;
    int64_t *bucket_counts;
    size_t bucket_mask, buckets_used;
    int bucket_shift; /* 64 - log2(capacity): slots are the top bits of a Fibonacci hash */
    /* The first DENSE_ENTRIES entries also count samples straight into two windows of
     * DENSE_SPAN buckets, one per sign, each placed around its sign's first sample; a sample
     * outside its window goes to the hash table (an index is in one place only, so a blob holds
     * each bucket once). dense_ok: the block is short enough for 32-bit counts. */
    Dense dense[DENSE_ENTRIES];
    int dense_ok;
} Table;

static int table_init(Table *table) {
    table->capacity = 64;
    table->count = 0;
    table->items = PyMem_RawMalloc(table->capacity * sizeof(Entry));
    table->bucket_mask = 1023;
    table->bucket_shift = 64 - 10;
    table->buckets_used = 0;
    table->bucket_keys = PyMem_RawCalloc(1024, sizeof(uint64_t));
    table->bucket_counts = PyMem_RawCalloc(1024, sizeof(int64_t));
    if (!table->items || !table->bucket_keys || !table->bucket_counts ||
        index_init(&table->index, 128) < 0) {
        PyMem_RawFree(table->items);
        PyMem_RawFree(table->bucket_keys);
        PyMem_RawFree(table->bucket_counts);
        table->items = NULL;
        return -1;
    }
    for (int i = 0; i < RECENT; i++) table->recent[i] = -1;
    return 0;
}

static void table_free(Table *table) {
    for (Py_ssize_t i = 0; i < table->count; i++) {
        Py_XDECREF(table->items[i].spilled_total);
        Py_XDECREF(table->items[i].spilled_sq);
    }
    PyMem_RawFree(table->items);
    table->items = NULL;
    PyMem_RawFree(table->bucket_keys);
    PyMem_RawFree(table->bucket_counts);
    for (int i = 0; i < DENSE_ENTRIES; i++) {
        PyMem_RawFree(table->dense[i].counts[0]);
        PyMem_RawFree(table->dense[i].counts[1]);
        table->dense[i].counts[0] = table->dense[i].counts[1] = NULL;
    }
    index_free(&table->index);
}

static inline uint64_t entry_hash(uint64_t key_hash, int decimals) {
    return mix64(key_hash + (uint64_t)decimals * 0x9E3779B97F4A7C15ULL);
}

/* The slot of (key, decimals) in the index: holding its entry, or free. */
static size_t table_slot(Table *table, const uchar *key, Py_ssize_t length, int decimals,
                         uint64_t hash) {
    size_t slot = (size_t)hash & table->index.mask;
    for (;;) {
        Py_ssize_t at = table->index.slots[slot];
        if (at < 0) return slot;
        Entry *entry = &table->items[at];
        if (entry->hash == hash && entry->decimals == decimals && entry->key_length == length &&
            memcmp(entry->key, key, length) == 0)
            return slot;
        slot = (slot + 1) & table->index.mask;
    }
}

#define ENTRY_HASH(i) (table->items[i].hash)

/* Adds a new entry (the table has room: count < MAX_ENTRIES); its index, or -1 (no memory). */
static Py_ssize_t table_add(Table *table, const uchar *key, Py_ssize_t length, int decimals,
                            uint64_t hash) {
    if (table->count == table->capacity) {
        Py_ssize_t capacity = table->capacity * 2;
        Entry *items = PyMem_RawRealloc(table->items, capacity * sizeof(Entry));
        if (!items) return -1;
        table->items = items;
        table->capacity = capacity;
    }
    INDEX_GROW(&table->index, table->count, ENTRY_HASH);
    size_t slot = table_slot(table, key, length, decimals, hash);
    Py_ssize_t at = table->count++;
    Entry *entry = &table->items[at];
    memset(entry, 0, sizeof(Entry));
    entry->key = key;
    entry->key_length = length;
    entry->decimals = decimals;
    entry->hash = hash;
    table->index.slots[slot] = at;
    return at;
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
    need_gil();
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

/* total += value, total_sq += square in 128 bits, spilling to Python ints on overflow. */
static int entry_add_wide(Entry *entry, i128 value, i128 square) {
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

/* Fold the 64-bit sums into the 128-bit ones (before they are read, or when one is full). */
static int entry_fold_small(Entry *entry) {
    int64_t total = entry->small_total;
    uint64_t square = entry->small_sq;
    entry->small_total = 0;
    entry->small_sq = 0;
    return entry_add_wide(entry, (i128)total, (i128)square);
}

static int entry_add(Entry *entry, int64_t value) {
    if (entry->count == 0) {
        entry->minimum = entry->maximum = value;
    } else {
        if (value < entry->minimum) entry->minimum = value;
        if (value > entry->maximum) entry->maximum = value;
    }
    entry->count++;
    if (value > -(INT64_C(1) << 31) && value < (INT64_C(1) << 31)) {
        int64_t total;
        uint64_t square;
        if (__builtin_add_overflow(entry->small_total, value, &total) ||
            __builtin_add_overflow(entry->small_sq, (uint64_t)(value * value), &square)) {
            if (entry_fold_small(entry) < 0) return -1;
            total = value;
            square = (uint64_t)(value * value);
        }
        entry->small_total = total;
        entry->small_sq = square;
        return 0;
    }
    return entry_add_wide(entry, (i128)value, (i128)value * value);
}

static PyObject *entry_sum(PyObject *spilled, i128 value) {
    PyObject *part = long_from_i128(value);
    if (!part || spilled == NULL) return part;
    PyObject *sum = PyNumber_Add(spilled, part);
    Py_DECREF(part);
    return sum;
}

/* ---------------------------------------------------------------------------------------------
 * Sketch buckets (logcrunch/sketch.py defines them): the index of a sample from the bits of its
 * correctly rounded double; 64 buckets per octave; 0 for zero, negative for negative values. */

#define SKETCH_TOP ((2047 + 52) * 64) /* sketch.TOP: the overflow bucket */
#define BUCKET_OFFSET (1 << 18)       /* > SKETCH_TOP: index + offset is positive, 19 bits */
#define BUCKET_KEY(entry, index) (((uint64_t)(entry) << 19) | (uint64_t)((index) + BUCKET_OFFSET))

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* sketch._positive_index of a positive double (or +inf), by its bits. */
static inline int32_t positive_index(double x) {
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int64_t exponent = (int64_t)(bits >> 52);
    uint64_t fraction = bits & ((1ULL << 52) - 1);
    if (exponent == 2047) return SKETCH_TOP;
    if (exponent == 0) { /* subnormal: normalise so the leading one is bit 52 */
        int shift = __builtin_clzll(fraction) - 11;
        exponent = 1 - shift;
        fraction = (fraction << shift) & ((1ULL << 52) - 1);
    }
    return (int32_t)((exponent + 52) * 64 + (int64_t)(fraction >> 46));
}

/* The bucket index of scaled / 10**decimals, through its correctly rounded double: for ints
 * below 2**53 straight from their bits (the double is exact), for other |scaled| < 2**53 one IEEE
 * division of two exact doubles (decimals <= 18 here), else Python's correctly rounded
 * int / int. Branch-free on the sign (half the samples of a signed metric are negative). Returns
 * 0 for zero; sets *failed on a Python error. */
static inline int32_t sample_index(int64_t scaled, int decimals, int *failed) {
    int64_t sign = scaled >> 63; /* 0 or -1 */
    uint64_t magnitude = ((uint64_t)scaled ^ (uint64_t)sign) - (uint64_t)sign;
    int32_t index;
    if (magnitude == 0) return 0;
    if (magnitude < (1ULL << 53)) {
        if (decimals == 0) {
            int lead = 63 - __builtin_clzll(magnitude); /* the binary exponent */
            index = (int32_t)((lead + 1075) * 64 + (int)(((magnitude << 6) >> lead) & 63));
        } else {
            index = positive_index((double)magnitude / POW10[decimals]);
        }
    } else {
        need_gil();
        PyObject *numerator = PyLong_FromUnsignedLongLong(magnitude);
        PyObject *ten = PyLong_FromLong(10), *power = NULL, *quotient = NULL;
        PyObject *exponent = PyLong_FromLong(decimals);
        if (numerator && ten && exponent) power = PyNumber_Power(ten, exponent, Py_None);
        if (power) quotient = PyNumber_TrueDivide(numerator, power);
        double x = quotient ? PyFloat_AsDouble(quotient) : -1.0;
        Py_XDECREF(numerator);
        Py_XDECREF(ten);
        Py_XDECREF(exponent);
        Py_XDECREF(power);
        Py_XDECREF(quotient);
        if (x < 0) {
            *failed = 1;
            return 0;
        }
        index = positive_index(x);
    }
    return (index ^ (int32_t)sign) - (int32_t)sign;
}

#define BUCKET_SLOT(key, shift) ((size_t)(((key) * 0x9E3779B97F4A7C15ULL) >> (shift)))

static int buckets_grow(Table *table) {
    size_t capacity = (table->bucket_mask + 1) * 2;
    uint64_t *keys = PyMem_RawCalloc(capacity, sizeof(uint64_t));
    int64_t *counts = PyMem_RawCalloc(capacity, sizeof(int64_t));
    if (!keys || !counts) {
        PyMem_RawFree(keys);
        PyMem_RawFree(counts);
        need_gil();
        PyErr_NoMemory();
        return -1;
    }
    size_t mask = capacity - 1;
    int shift = table->bucket_shift - 1;
    for (size_t i = 0; i <= table->bucket_mask; i++) {
        uint64_t key = table->bucket_keys[i];
        if (!key) continue;
        size_t slot = BUCKET_SLOT(key, shift);
        while (keys[slot]) slot = (slot + 1) & mask;
        keys[slot] = key;
        counts[slot] = table->bucket_counts[i];
    }
    PyMem_RawFree(table->bucket_keys);
    PyMem_RawFree(table->bucket_counts);
    table->bucket_keys = keys;
    table->bucket_counts = counts;
    table->bucket_mask = mask;
    table->bucket_shift = shift;
    return 0;
}

/* One sample of entry `at` into its sketch buckets; 0, or -1 with an error set. */
static inline int bucket_add(Table *table, Py_ssize_t at, int64_t scaled, int decimals) {
    int failed = 0;
    int32_t index = sample_index(scaled, decimals, &failed);
    if (failed) return -1;
    if (at < DENSE_ENTRIES && index != 0 && table->dense_ok) {
        int negative = index < 0;
        int32_t magnitude = negative ? -index : index;
        Dense *dense = &table->dense[at];
        int32_t *counts = dense->counts[negative];
        if (counts == NULL) {
            counts = dense->counts[negative] = PyMem_RawCalloc(DENSE_SPAN, sizeof(int32_t));
            if (counts == NULL) {
                need_gil();
                PyErr_NoMemory();
                return -1;
            }
            dense->base[negative] = magnitude - DENSE_SPAN / 2;
        }
        uint32_t offset = (uint32_t)(magnitude - dense->base[negative]);
        if (offset < DENSE_SPAN) {
            counts[offset]++;
            return 0;
        }
    }
    uint64_t key = BUCKET_KEY(at, index);
    size_t mask = table->bucket_mask;
    size_t slot = BUCKET_SLOT(key, table->bucket_shift);
    for (;;) {
        uint64_t found = table->bucket_keys[slot];
        if (found == key) {
            table->bucket_counts[slot]++;
            return 0;
        }
        if (!found) break;
        slot = (slot + 1) & mask;
    }
    table->bucket_keys[slot] = key;
    table->bucket_counts[slot] = 1;
    if (++table->buckets_used * 2 > mask + 1) return buckets_grow(table);
    return 0;
}

/* Per entry, its buckets as a bytes of (index, count) int64 pairs (unsorted); a new list of
 * table->count bytes objects, or NULL with an error set. */
static PyObject *build_buckets(Table *table) {
    Py_ssize_t entries = table->count;
    Py_ssize_t *sizes = PyMem_RawCalloc(entries ? entries : 1, sizeof(Py_ssize_t));
    PyObject *blobs = PyList_New(entries);
    if (!sizes || !blobs) {
        PyMem_RawFree(sizes);
        Py_XDECREF(blobs);
        return PyErr_NoMemory();
    }
    for (size_t i = 0; i <= table->bucket_mask; i++)
        if (table->bucket_keys[i]) sizes[table->bucket_keys[i] >> 19]++;
    for (Py_ssize_t e = 0; e < entries && e < DENSE_ENTRIES; e++)
        for (int sign = 0; sign < 2; sign++) {
            const int32_t *counts = table->dense[e].counts[sign];
            if (counts)
                for (int k = 0; k < DENSE_SPAN; k++) sizes[e] += counts[k] != 0;
        }
    for (Py_ssize_t e = 0; e < entries; e++) {
        PyObject *blob = PyBytes_FromStringAndSize(NULL, sizes[e] * 16);
        if (!blob) {
            PyMem_RawFree(sizes);
            Py_DECREF(blobs);
            return NULL;
        }
        PyList_SET_ITEM(blobs, e, blob);
        sizes[e] = 0; /* from here: pairs written */
    }
    for (size_t i = 0; i <= table->bucket_mask; i++) {
        uint64_t key = table->bucket_keys[i];
        if (!key) continue;
        Py_ssize_t e = (Py_ssize_t)(key >> 19);
        int64_t pair[2] = {(int64_t)(key & ((1 << 19) - 1)) - BUCKET_OFFSET,
                           table->bucket_counts[i]};
        memcpy(PyBytes_AS_STRING(PyList_GET_ITEM(blobs, e)) + sizes[e] * 16, pair, 16);
        sizes[e]++;
    }
    for (Py_ssize_t e = 0; e < entries && e < DENSE_ENTRIES; e++)
        for (int sign = 0; sign < 2; sign++) {
            const int32_t *counts = table->dense[e].counts[sign];
            if (!counts) continue;
            char *out = PyBytes_AS_STRING(PyList_GET_ITEM(blobs, e));
            for (int k = 0; k < DENSE_SPAN; k++) {
                if (!counts[k]) continue;
                int64_t magnitude = (int64_t)table->dense[e].base[sign] + k;
                int64_t pair[2] = {sign ? -magnitude : magnitude, counts[k]};
                memcpy(out + sizes[e] * 16, pair, 16);
                sizes[e]++;
            }
        }
    PyMem_RawFree(sizes);
    return blobs;
}

/* merge_buckets(blobs, limit) -> bytes: the sum of blobs of (index, count) int64 pairs, sorted,
 * every index below the limit-th largest folded into it (logcrunch.sketch.fold). */
static int64_t *DENSE = NULL; /* 2 * SKETCH_TOP + 1 counts, all 0 between calls */

static int compare_int32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static PyObject *merge_buckets(PyObject *module, PyObject *args) {
    PyObject *blobs;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "On:merge_buckets", &blobs, &limit)) return NULL;
    PyObject *sequence = PySequence_Fast(blobs, "blobs must be a sequence of bytes");
    if (!sequence) return NULL;
    if (limit < 1) {
        Py_DECREF(sequence);
        PyErr_SetString(PyExc_ValueError, "limit must be positive");
        return NULL;
    }
    if (!DENSE && !(DENSE = PyMem_RawCalloc(2 * SKETCH_TOP + 1, sizeof(int64_t)))) {
        Py_DECREF(sequence);
        return PyErr_NoMemory();
    }
    Py_ssize_t pairs = 0, n = PySequence_Fast_GET_SIZE(sequence);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *blob = PySequence_Fast_GET_ITEM(sequence, i);
        if (!PyBytes_Check(blob) || PyBytes_GET_SIZE(blob) % 16) {
            Py_DECREF(sequence);
            PyErr_SetString(PyExc_ValueError, "a blob is bytes of (index, count) int64 pairs");
            return NULL;
        }
        pairs += PyBytes_GET_SIZE(blob) / 16;
    }
    int32_t *touched = PyMem_RawMalloc((pairs ? pairs : 1) * sizeof(int32_t));
    if (!touched) {
        Py_DECREF(sequence);
        return PyErr_NoMemory();
    }
    Py_ssize_t used = 0;
    int bad = 0;
    for (Py_ssize_t i = 0; i < n && !bad; i++) {
        PyObject *blob = PySequence_Fast_GET_ITEM(sequence, i);
        const char *data = PyBytes_AS_STRING(blob);
        for (Py_ssize_t p = 0; p < PyBytes_GET_SIZE(blob) / 16; p++) {
            int64_t pair[2];
            memcpy(pair, data + p * 16, 16);
            if (pair[0] < -SKETCH_TOP || pair[0] > SKETCH_TOP || pair[1] <= 0) {
                bad = 1;
                break;
            }
            int64_t *slot = &DENSE[pair[0] + SKETCH_TOP];
            if (*slot == 0) touched[used++] = (int32_t)pair[0];
            *slot += pair[1];
        }
    }
    Py_DECREF(sequence);
    qsort(touched, used, sizeof(int32_t), compare_int32);
    Py_ssize_t first = used > limit ? used - limit : 0; /* the fold target's position */
    int64_t folded = 0;
    for (Py_ssize_t i = 0; i < first; i++) {
        folded += DENSE[touched[i] + SKETCH_TOP];
        DENSE[touched[i] + SKETCH_TOP] = 0;
    }
    PyObject *result = bad ? NULL : PyBytes_FromStringAndSize(NULL, (used - first) * 16);
    for (Py_ssize_t i = first; i < used; i++) {
        int64_t *slot = &DENSE[touched[i] + SKETCH_TOP];
        int64_t pair[2] = {touched[i], *slot + (i == first ? folded : 0)};
        if (result) memcpy(PyBytes_AS_STRING(result) + (i - first) * 16, pair, 16);
        *slot = 0;
    }
    PyMem_RawFree(touched);
    if (bad) PyErr_SetString(PyExc_ValueError, "a bucket index out of range or a count <= 0");
    return result;
}

/* ---------------------------------------------------------------------------------------------
 * admit() answers per key, cached for the block (at most MAX_DECISIONS keys; past that admit is
 * asked again, so memory stays bounded whatever the number of distinct keys). */

typedef struct {
    const uchar *key;
    Py_ssize_t key_length;
    uint64_t hash;
    int admitted;
} Decision;

typedef struct {
    PyObject *admit; /* NULL: every key is admitted */
    Decision *items;
    Py_ssize_t count, capacity;
    Index index;
} Decisions;

#define DECISION_HASH(i) (decisions->items[i].hash)

/* 1 admitted, 0 refused, -1 error. */
static int decide(Decisions *decisions, const uchar *key, Py_ssize_t length, uint64_t hash) {
    if (decisions->admit == NULL) return 1;
    size_t slot = (size_t)hash & decisions->index.mask;
    for (;;) {
        Py_ssize_t at = decisions->index.slots[slot];
        if (at < 0) break;
        Decision *d = &decisions->items[at];
        if (d->hash == hash && d->key_length == length && memcmp(d->key, key, length) == 0)
            return d->admitted;
        slot = (slot + 1) & decisions->index.mask;
    }
    need_gil();
    PyObject *answer = PyObject_CallFunction(decisions->admit, "y#", (const char *)key, length);
    if (!answer) return -1;
    int admitted = PyObject_IsTrue(answer);
    Py_DECREF(answer);
    if (admitted < 0) return -1;
    if (decisions->count >= MAX_DECISIONS) return admitted;
    if (decisions->count == decisions->capacity) {
        Py_ssize_t capacity = decisions->capacity * 2;
        Decision *items = PyMem_RawRealloc(decisions->items, capacity * sizeof(Decision));
        if (!items) {
            PyErr_NoMemory();
            return -1;
        }
        decisions->items = items;
        decisions->capacity = capacity;
    }
    Py_ssize_t before = (Py_ssize_t)decisions->index.mask;
    INDEX_GROW(&decisions->index, decisions->count, DECISION_HASH);
    if ((Py_ssize_t)decisions->index.mask != before) {
        slot = (size_t)hash & decisions->index.mask;
        while (decisions->index.slots[slot] >= 0) slot = (slot + 1) & decisions->index.mask;
    }
    Decision *d = &decisions->items[decisions->count];
    d->key = key;
    d->key_length = length;
    d->hash = hash;
    d->admitted = admitted;
    decisions->index.slots[slot] = decisions->count++;
    return admitted;
}

/* ---------------------------------------------------------------------------------------------
 * logfmt pairs (tests/reference_scan.py logfmt_numbers): every whitespace-separated token
 * key=value whose key fullmatches [A-Za-z_][\w.\-]* (up to the token's first "=") and whose
 * value, without one trailing "," or ";", fullmatches [-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?
 * (summary.parse_number). */

enum { NOT_A_NUMBER, SCALED, TO_PYTHON };

/* The number at v (the value of a pair, which ends at the first blank or at end): its kind;
 * *value_end is where the value's text ends (before one "," or ";" that ends the token). The
 * value is parsed as it is read: no byte after the number's own is looked at but the one or
 * two that must end the token. */
/* The number of ASCII digits that start the 8 bytes at p (all readable), and their value in
 * *value: SWAR, one lane per byte. A lane is a digit when its high nibble is 3 before and after
 * adding 6; a carry out of a lane can only come from a byte >= 0xfa, no digit, and only reaches
 * lanes after it. The digits are shifted to the top lanes (the bytes after them drop out) and
 * combined pairwise: 8 digits -> 4 of 2 -> 2 of 4 -> 1 of 8. */
static inline int leading_digits(const uchar *p, uint64_t *value) {
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    const uint64_t high = 0xF0F0F0F0F0F0F0F0ULL, threes = 0x3030303030303030ULL;
    uint64_t bad = ((w & high) ^ threes) | (((w + 0x0606060606060606ULL) & high) ^ threes);
    int k = bad ? __builtin_ctzll(bad) >> 3 : 8;
    if (k == 0) { /* no digit (".5", "-.25"): the caller still uses *value */
        *value = 0;
        return 0;
    }
    uint64_t d = (w - threes) << (8 * (8 - k));
    d = d * 10 + (d >> 8);
    d = (((d & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
         (((d >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >> 32;
    *value = d;
    return k;
}

static const int64_t POW10_INT[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                     100000000};

/* readable: the end of the memory that may be read (the block's end): fewer than 8 digits
 * that start where 8 bytes can be read are parsed in one step. */
static int parse_value(const uchar *v, const uchar *end, const uchar *readable, int64_t *scaled,
                       int *decimals, const uchar **value_end) {
    const uchar *p = v;
    int negative = 0;
    if (p < end && (*p == '-' || *p == '+')) negative = *p++ == '-';
    int64_t magnitude = 0;
    const uchar *digits_from = p;
    uint64_t quick;
    int k;
    /* the usual case: under 8 digits, then at most a "." and under 8 more (a digit is never
     * the line's end byte, so the digits read stay inside the line) */
    if (readable - p >= 8 && (k = leading_digits(p, &quick)) < 8) {
        magnitude = (int64_t)quick;
        p += k;
        int whole = k, fraction = 0;
        if (p < end && *p == '.') {
            if (readable - (p + 1) < 8 || (fraction = leading_digits(p + 1, &quick)) == 8)
                goto general;
            if (fraction) magnitude = magnitude * POW10_INT[fraction] + (int64_t)quick;
            p += 1 + fraction;
        }
        if (whole == 0 && fraction == 0) return NOT_A_NUMBER; /* "", ".", "-" */
        if (p < end && (*p == 'e' || *p == 'E')) goto general;
        if (p < end && !is_space(*p)) {
            if (!((*p == ',' || *p == ';') && (p + 1 == end || is_space(p[1]))))
                return NOT_A_NUMBER;
        }
        *value_end = p;
        *scaled = negative ? -magnitude : magnitude;
        *decimals = fraction;
        return SCALED;
    }
general:
    p = digits_from;
    magnitude = 0;
    while (p < end && is_digit(*p)) {
        magnitude = magnitude * 10 + (*p - '0');
        p++;
        if (p - digits_from == MAX_DIGITS) break;
    }
    int digits = (int)(p - digits_from), long_number = 0;
    while (p < end && is_digit(*p)) { /* past MAX_DIGITS: only its form matters now */
        p++;
        long_number = 1;
    }
    int whole = (int)(p - digits_from), fraction = 0;
    if (p < end && *p == '.') {
        p++;
        const uchar *fraction_from = p;
        while (p < end && is_digit(*p)) {
            if (digits < MAX_DIGITS) {
                magnitude = magnitude * 10 + (*p - '0');
                digits++;
            } else {
                long_number = 1;
            }
            p++;
        }
        fraction = (int)(p - fraction_from);
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
    /* the token ends here, or after one "," or ";" */
    if (p < end && !is_space(*p)) {
        if (!((*p == ',' || *p == ';') && (p + 1 == end || is_space(p[1])))) return NOT_A_NUMBER;
    }
    *value_end = p;
    if (exponent || long_number) return TO_PYTHON;
    *scaled = negative ? -magnitude : magnitude;
    *decimals = fraction;
    return SCALED;
}

typedef struct {
    const uchar *ceiling; /* NULL: no ceiling */
    Py_ssize_t ceiling_length;
    Py_ssize_t max_key;
    Py_ssize_t refused;
} Cap;

/* True when samples of key are certain to be over the per-file cap (bytes order = str order). */
static int cap_refuses(const Cap *cap, const uchar *key, Py_ssize_t length) {
    if (length > cap->max_key) return 1;
    if (cap->ceiling == NULL) return 0;
    Py_ssize_t common = length < cap->ceiling_length ? length : cap->ceiling_length;
    int order = memcmp(key, cap->ceiling, common);
    return order > 0 || (order == 0 && length > cap->ceiling_length);
}

static int add_other(PyObject *others, const uchar *key, Py_ssize_t key_length,
                     const uchar *value, Py_ssize_t value_length) {
    need_gil();
    PyObject *pair = Py_BuildValue("(y#y#)", (const char *)key, key_length, (const char *)value,
                                   value_length);
    if (!pair) return -1;
    int status = PyList_Append(others, pair);
    Py_DECREF(pair);
    return status;
}

/* memchr(from, '=', end - from), inline: lines hold an "=" every 10-30 bytes, where the call
 * costs more than the search. With SSE2 (every x86-64) 16 bytes a step while 16 can be read
 * (up to ``readable``, the block's end); the rest byte by byte. */
static inline const uchar *find_equals(const uchar *from, const uchar *end, const uchar *readable) {
#if defined(__SSE2__)
    const __m128i equals = _mm_set1_epi8('=');
    while (from < end && readable - from >= 16) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)from);
        unsigned hits = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, equals));
        if (hits) {
            const uchar *at = from + __builtin_ctz(hits);
            return at < end ? at : NULL;
        }
        from += 16;
    }
#else
    (void)readable;
#endif
    for (; from < end; from++)
        if (*from == '=') return from;
    return NULL;
}

/* memcmp(a, b, n) == 0 for the short keys of logfmt pairs, without a call: two overlapping
 * 8-byte loads from 8 bytes on, else 4-byte ones, else bytes (nothing past a + n or b + n is
 * read). */
static inline int same_key(const uchar *a, const uchar *b, Py_ssize_t n) {
    if (n >= 8) {
        if (n > 16) return memcmp(a, b, n) == 0;
        uint64_t x, y, u, v;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(&u, a + n - 8, 8);
        memcpy(&v, b + n - 8, 8);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    if (n >= 4) {
        uint32_t x, y, u, v;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        memcpy(&u, a + n - 4, 4);
        memcpy(&v, b + n - 4, 4);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* The logfmt numbers of one line s[0:n] (the "\r" of "\r\n" is whitespace, so it may stay).
 * Each "=" is looked at once. A token's key is the run of key bytes before its first "=",
 * which must start the token (the line start or a blank before it): a later "=" of the same
 * token has a byte that is no blank before its run, so it never passes for a key. The key the
 * previous line had at this ordinal is tried first: a match is a key already checked. */
static int scan_pairs(Table *table, Decisions *decisions, PyObject *others, Cap *cap,
                      const uchar *s, Py_ssize_t n, const uchar *readable) {
    const uchar *end = s + n;
    const uchar *from = s;
    int ordinal = 0;
    for (;;) {
        const uchar *equals = find_equals(from, end, readable);
        if (equals == NULL) return 0;
        from = equals + 1;
        int64_t scaled = 0;
        int decimals = 0;
        const uchar *value_end;
        /* the value first: most pairs that are no number (path=/x) then cost no key lookup */
        int kind = parse_value(equals + 1, end, readable, &scaled, &decimals, &value_end);
        if (kind == NOT_A_NUMBER) continue;
        const uchar *key = NULL;
        Py_ssize_t guess = ordinal < RECENT ? table->recent[ordinal] : -1;
        if (guess >= 0) {
            const Entry *e = &table->items[guess];
            Py_ssize_t length = e->key_length;
            if (equals - s >= length && (equals - length == s || is_space(equals[-length - 1])) &&
                same_key(e->key, equals - length, length))
                key = equals - length;
            else
                guess = -1;
        }
        if (key == NULL) {
            key = equals;
            while (key > s && is_key_char(key[-1])) key--;
            if (!(key < equals && (is_alpha(key[0]) || key[0] == '_') &&
                  (key == s || is_space(key[-1]))))
                continue;
        }
        Py_ssize_t key_length = equals - key;
        from = value_end;
        uint64_t key_hash = 0;
        int hashed = 0;
        if (kind == SCALED) {
            Py_ssize_t at = -1;
            if (guess >= 0 && table->items[guess].decimals == decimals) at = guess;
            if (at < 0) {
                key_hash = hash_bytes(key, key_length, 0);
                hashed = 1;
                uint64_t hash = entry_hash(key_hash, decimals);
                size_t slot = table_slot(table, key, key_length, decimals, hash);
                at = table->index.slots[slot];
                if (at < 0) { /* a new (key, decimals): is the key a metric, under the cap? */
                    int admitted = decide(decisions, key, key_length, key_hash);
                    if (admitted < 0) return -1;
                    if (!admitted) continue;
                    if (cap_refuses(cap, key, key_length)) {
                        cap->refused++;
                        continue;
                    }
                    if (table->count < MAX_ENTRIES) {
                        at = table_add(table, key, key_length, decimals, hash);
                        if (at < 0) {
                            need_gil();
                            PyErr_NoMemory();
                            return -1;
                        }
                    }
                }
                if (at >= 0 && ordinal < RECENT) table->recent[ordinal] = at;
            }
            ordinal++;
            if (at >= 0) {
                if (entry_add(&table->items[at], scaled) < 0 ||
                    bucket_add(table, at, scaled, decimals) < 0)
                    return -1;
                continue;
            }
            /* the table is full: the number goes to Python */
        } else {
            if (!hashed) key_hash = hash_bytes(key, key_length, 0);
            int admitted = decide(decisions, key, key_length, key_hash);
            if (admitted < 0) return -1;
            if (!admitted) continue;
        }
        if (add_other(others, key, key_length, equals + 1, value_end - equals - 1) < 0) return -1;
    }
}

/* ---------------------------------------------------------------------------------------------
 * Per-block hour buckets and template counts, in insertion order. */

typedef struct {
    int64_t key;
    uint64_t hash;
    Py_ssize_t lines, errors, warns;
} Hour;

#define HOUR_CACHE 2048 /* a power of 2: a day of minutes never collides */

typedef struct {
    Hour *items;
    Py_ssize_t count, capacity;
    Index index;
    /* In front of the index: the bucket of a recent key, by its minute's low bits (a key whose
     * slot another took is looked up in the index; cache_at -1: an empty slot, as any int64
     * can be a key: prev_key is the caller's). */
    int64_t *cache_key;   /* HOUR_CACHE of each, on the heap (32 KiB: not on the stack) */
    Py_ssize_t *cache_at;
} Hours;

#define HOUR_HASH(i) (hours->items[i].hash)

/* The bucket of an hour key, created if needed: its index, or -1 (no memory). */
static Py_ssize_t hour_bucket(Hours *hours, int64_t key) {
    uint64_t hash = mix64((uint64_t)key ^ HASH_SEED);
    size_t slot = (size_t)hash & hours->index.mask;
    for (;;) {
        Py_ssize_t at = hours->index.slots[slot];
        if (at < 0) break;
        if (hours->items[at].key == key) return at;
        slot = (slot + 1) & hours->index.mask;
    }
    if (hours->count == hours->capacity) {
        Py_ssize_t capacity = hours->capacity * 2;
        Hour *items = PyMem_RawRealloc(hours->items, capacity * sizeof(Hour));
        if (!items) return -1;
        hours->items = items;
        hours->capacity = capacity;
    }
    Py_ssize_t before = (Py_ssize_t)hours->index.mask;
    INDEX_GROW(&hours->index, hours->count, HOUR_HASH);
    if ((Py_ssize_t)hours->index.mask != before) {
        slot = (size_t)hash & hours->index.mask;
        while (hours->index.slots[slot] >= 0) slot = (slot + 1) & hours->index.mask;
    }
    Hour *hour = &hours->items[hours->count];
    hour->key = key;
    hour->hash = hash;
    hour->lines = hour->errors = hour->warns = 0;
    hours->index.slots[slot] = hours->count;
    return hours->count++;
}

/* hour_bucket through the cache: most lines of a block fall in a few minutes. */
static inline Py_ssize_t hour_lookup(Hours *hours, int64_t key) {
    size_t c = (size_t)((uint64_t)key >> 12) & (HOUR_CACHE - 1);
    if (hours->cache_at[c] >= 0 && hours->cache_key[c] == key) return hours->cache_at[c];
    Py_ssize_t at = hour_bucket(hours, key);
    if (at >= 0) {
        hours->cache_key[c] = key;
        hours->cache_at[c] = at;
    }
    return at;
}

typedef struct {
    uint64_t hash;
    Py_ssize_t text; /* offset in the arena */
    Py_ssize_t length;
    int level;
    Py_ssize_t count, first, first_stamped, last_stamped;
} Template;

typedef struct {
    Template *items;
    Py_ssize_t count, capacity;
    Index index;
    uchar *arena;
    Py_ssize_t arena_used, arena_capacity;
    Py_ssize_t last; /* the template of the previous error / warning line, or -1 */
} Templates;

#define TEMPLATE_HASH(i) (templates->items[i].hash)

/* A memo of mask() for one block. mask looks at a digit's class, never at its value, so two
 * messages that differ only in the values of their digits take the same path through it; when
 * the template of one holds no digit (none was copied into it), it is the template of the other.
 * The memo maps a message with each digit read as "0" to such a template. Bounded: MEMO_ENTRIES
 * messages and MEMO_ARENA bytes per block, then misses are only masked; its hash is seeded. */
#define MEMO_SLOTS 1024 /* a power of 2, at least twice MEMO_ENTRIES: probes end */
#define MEMO_ENTRIES 512
#define MEMO_ARENA (192 * 1024)

typedef struct {
    uint64_t hash;
    int32_t key_at, key_length, template_at, template_length; /* offsets into arena */
} MemoEntry;

typedef struct {
    int16_t slots[MEMO_SLOTS]; /* an entry's index, or -1 */
    MemoEntry entries[MEMO_ENTRIES];
    int count;
    Py_ssize_t used;
    uchar key[TEMPLATE_INPUT_BYTES]; /* the message being looked up, its digits read as "0" */
    uchar arena[MEMO_ARENA];
} Memo;

static Memo *memo_new(void) {
    Memo *memo = PyMem_RawMalloc(sizeof(Memo));
    if (memo) {
        memset(memo->slots, 0xff, sizeof memo->slots);
        memo->count = 0;
        memo->used = 0;
    }
    return memo;
}

/* to[0:n] = from[0:n] with every digit byte replaced by '0'. */
static void digits_as_zero(const uchar *from, Py_ssize_t n, uchar *to) {
    const uint64_t ones = 0x0101010101010101ULL;
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, from + i, 8);
        uint64_t lanes = (has_byte_between(w, '0' - 1, '9' + 1) >> 7) * 0xFF; /* exact per lane */
        w = (w & ~lanes) | (ones * '0' & lanes);
        memcpy(to + i, &w, 8);
    }
    for (; i < n; i++) to[i] = is_digit(from[i]) ? '0' : from[i];
}

/* The template of message[0:n] (mask's), from the memo when it can be: a pointer to it (into
 * the memo or scratch->out) and *length. */
static const uchar *memo_mask(Memo *memo, const uchar *message, Py_ssize_t n, Scratch *scratch,
                              Py_ssize_t *length) {
    if (n > TEMPLATE_INPUT_BYTES) n = TEMPLATE_INPUT_BYTES;
    digits_as_zero(message, n, memo->key);
    uint64_t hash = hash_bytes(memo->key, n, 0x6d61736bULL);
    size_t slot = (size_t)hash & (MEMO_SLOTS - 1);
    for (;;) {
        int at = memo->slots[slot];
        if (at < 0) break;
        const MemoEntry *e = &memo->entries[at];
        if (e->hash == hash && e->key_length == n &&
            memcmp(memo->arena + e->key_at, memo->key, n) == 0) {
            *length = e->template_length;
            return memo->arena + e->template_at;
        }
        slot = (slot + 1) & (MEMO_SLOTS - 1);
    }
    Py_ssize_t t = mask(message, n, scratch);
    *length = t;
    if (memo->count == MEMO_ENTRIES || memo->used + n + t > MEMO_ARENA) return scratch->out;
    for (Py_ssize_t i = 0; i < t; i++)
        if (is_digit(scratch->out[i])) return scratch->out; /* a digit's value is in it */
    MemoEntry *e = &memo->entries[memo->count];
    e->hash = hash;
    e->key_at = (int32_t)memo->used;
    e->key_length = (int32_t)n;
    memcpy(memo->arena + memo->used, memo->key, n);
    memo->used += n;
    e->template_at = (int32_t)memo->used;
    e->template_length = (int32_t)t;
    memcpy(memo->arena + memo->used, scratch->out, t);
    memo->used += t;
    memo->slots[slot] = (int16_t)memo->count++;
    return memo->arena + e->template_at;
}

/* Counts one line of template text[0:length] at level; -1 on no memory. */
static int template_count(Templates *templates, int level, const uchar *text, Py_ssize_t length,
                          Py_ssize_t offset, int stamped) {
    Py_ssize_t at = templates->last;
    Template *t = at >= 0 ? &templates->items[at] : NULL;
    if (!(t && t->level == level && t->length == length &&
          memcmp(templates->arena + t->text, text, length) == 0)) {
        uint64_t hash = hash_bytes(text, length, (uint64_t)level);
        size_t slot = (size_t)hash & templates->index.mask;
        for (;;) {
            at = templates->index.slots[slot];
            if (at < 0) break;
            t = &templates->items[at];
            if (t->hash == hash && t->level == level && t->length == length &&
                memcmp(templates->arena + t->text, text, length) == 0)
                break;
            slot = (slot + 1) & templates->index.mask;
        }
        if (at < 0) {
            if (templates->count == templates->capacity) {
                Py_ssize_t capacity = templates->capacity * 2;
                Template *items = PyMem_RawRealloc(templates->items, capacity * sizeof(Template));
                if (!items) return -1;
                templates->items = items;
                templates->capacity = capacity;
            }
            if (templates->arena_used + length > templates->arena_capacity) {
                Py_ssize_t capacity = templates->arena_capacity * 2 + length;
                uchar *arena = PyMem_RawRealloc(templates->arena, capacity);
                if (!arena) return -1;
                templates->arena = arena;
                templates->arena_capacity = capacity;
            }
            Py_ssize_t before = (Py_ssize_t)templates->index.mask;
            INDEX_GROW(&templates->index, templates->count, TEMPLATE_HASH);
            if ((Py_ssize_t)templates->index.mask != before) {
                slot = (size_t)hash & templates->index.mask;
                while (templates->index.slots[slot] >= 0)
                    slot = (slot + 1) & templates->index.mask;
            }
            at = templates->count++;
            t = &templates->items[at];
            t->hash = hash;
            t->text = templates->arena_used;
            t->length = length;
            t->level = level;
            t->count = 0;
            t->first = offset;
            t->first_stamped = t->last_stamped = -1;
            memcpy(templates->arena + templates->arena_used, text, length);
            templates->arena_used += length;
            templates->index.slots[slot] = at;
        }
        templates->last = at;
    }
    t->count++;
    if (stamped) {
        if (t->first_stamped < 0) t->first_stamped = offset;
        t->last_stamped = offset;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * The module function. */

static PyObject *build_metrics(Table *table) {
    PyObject *blobs = build_buckets(table);
    if (!blobs) return NULL;
    PyObject *metrics = PyDict_New();
    if (!metrics) {
        Py_DECREF(blobs);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < table->count; i++) {
        Entry *entry = &table->items[i];
        if (entry_fold_small(entry) < 0) {
            Py_DECREF(blobs);
            Py_DECREF(metrics);
            return NULL;
        }
        PyObject *key = PyBytes_FromStringAndSize((const char *)entry->key, entry->key_length);
        PyObject *total = entry_sum(entry->spilled_total, entry->total);
        PyObject *total_sq = entry_sum(entry->spilled_sq, entry->total_sq);
        PyObject *row = NULL;
        if (key && total && total_sq)
            row = Py_BuildValue("(iLOOLLO)", entry->decimals, (long long)entry->count, total,
                                total_sq, (long long)entry->minimum, (long long)entry->maximum,
                                PyList_GET_ITEM(blobs, i));
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
            Py_DECREF(blobs);
            return NULL;
        }
    }
    Py_DECREF(blobs);
    return metrics;
}

static int set_item(PyObject *dict, PyObject *key, PyObject *value) {
    int status = key && value ? PyDict_SetItem(dict, key, value) : -1;
    Py_XDECREF(key);
    Py_XDECREF(value);
    return status;
}

static PyObject *build_hours(Hours *hours) {
    PyObject *dict = PyDict_New();
    for (Py_ssize_t i = 0; dict && i < hours->count; i++) {
        Hour *h = &hours->items[i];
        if (set_item(dict, PyLong_FromLongLong(h->key),
                     Py_BuildValue("[nnn]", h->lines, h->errors, h->warns)) < 0)
            Py_CLEAR(dict);
    }
    return dict;
}

static PyObject *build_templates(Templates *templates) {
    PyObject *dict = PyDict_New();
    for (Py_ssize_t i = 0; dict && i < templates->count; i++) {
        Template *t = &templates->items[i];
        if (set_item(dict,
                     Py_BuildValue("(iy#)", t->level,
                                   (const char *)templates->arena + t->text, t->length),
                     Py_BuildValue("[nnnn]", t->count, t->first, t->first_stamped,
                                   t->last_stamped)) < 0)
            Py_CLEAR(dict);
    }
    return dict;
}

/* The overrides argument as two arrays: offsets strictly increasing, levels 1 or 2. */
static int read_overrides(PyObject *overrides, Py_ssize_t block_length, Py_ssize_t **offsets,
                          char **levels, Py_ssize_t *count) {
    *offsets = NULL;
    *levels = NULL;
    *count = 0;
    if (overrides == Py_None) return 0;
    PyObject *items = PySequence_Fast(overrides, "overrides must be None or a list");
    if (!items) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(items);
    *offsets = PyMem_RawMalloc((n ? n : 1) * sizeof(Py_ssize_t));
    *levels = PyMem_RawMalloc(n ? n : 1);
    if (!*offsets || !*levels) {
        Py_DECREF(items);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t offset;
        int level;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(items, i), "ni;an override is (offset, level)",
                              &offset, &level)) {
            Py_DECREF(items);
            return -1;
        }
        if (level != WARN && level != ERROR) {
            PyErr_Format(PyExc_ValueError, "override level %d is not 1 (warn) or 2 (error)", level);
            Py_DECREF(items);
            return -1;
        }
        if (offset < 0 || offset >= block_length || (i > 0 && offset <= (*offsets)[i - 1])) {
            PyErr_Format(PyExc_ValueError,
                         "override offset %zd: offsets must be strictly increasing line starts "
                         "in the block", offset);
            Py_DECREF(items);
            return -1;
        }
        (*offsets)[i] = offset;
        (*levels)[i] = (char)level;
    }
    Py_DECREF(items);
    *count = n;
    return 0;
}

PyDoc_STRVAR(
    scan_block_doc,
    "scan_block(block, levels, ceiling, max_key, threshold, prev_key, overrides, admit, templates)\n"
    "    -> (lines, error_lines, warn_lines, level_lines, metrics, others, refused,\n"
    "        hours, last_key, first_stamped, last_stamped, template_counts)\n\n"
    "Scan a block of whole lines (each ending in b'\\n'; a line's content drops the b'\\n' and\n"
    "one b'\\r' before it) by the rules of formats.find_level, stamps.parse_stamp and\n"
    "templates.line_template(content, 'plain').\n\n"
    "levels: apply the built-in token rule (false: every built-in level is NONE).\n"
    "ceiling (bytes or None), max_key (-1: no limit): numbers of keys longer than max_key or\n"
    "sorting after ceiling are only counted, in refused.\n"
    "threshold: (y, mo, d, h, mi, s) for the year of yearless stamps (stamps.year_for).\n"
    "prev_key: the hour key of the last stamped line before the block (-1: none).\n"
    "overrides: None or [(line start offset, level 1 or 2)], offsets strictly increasing:\n"
    "    those lines' final level instead of the built-in one.\n"
    "admit: None or callable(key: bytes) -> bool; a key it refuses is no metric (asked at most\n"
    "    once per distinct key per block, for up to 65536 keys).\n"
    "templates: count the templates of lines whose final level is ERROR or WARN.\n\n"
    "An hour key is ((((year*13 + month)*32 + day)*24 + hour)*60 + minute)*4096 + zone, zone\n"
    "4095 for a naive stamp, else offset minutes + 2048 (epoch stamps: UTC, 2048). A line's hour\n"
    "key is its own stamp's, else the last stamped line's before it, else -1.\n"
    "level_lines: lines whose built-in level is not NONE or that have an override.\n"
    "metrics: {key: [(decimals, count, total, total_sq, min, max, buckets)]} of values scaled by\n"
    "10**decimals, buckets their sketch as bytes of (index, count) int64 pairs; others: [(key, text)] numbers left to Python; refused: numbers over the cap.\n"
    "hours: {hour key: [lines, error_lines, warn_lines]}; last_key: the hour key after the last\n"
    "line; first_stamped / last_stamped: offsets of the first / last line with its own stamp\n"
    "(-1: none). template_counts: {(level, template): [count, first offset, first stamped\n"
    "offset, last stamped offset]} (-1: no line of it had its own stamp).");

static PyObject *scan_block(PyObject *module, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"block", "levels", "ceiling", "max_key", "threshold", "prev_key",
                               "overrides", "admit", "templates", NULL};
    Py_buffer view;
    int levels, want_templates;
    const char *ceiling = NULL;
    Py_ssize_t ceiling_length = 0, max_key = -1;
    Threshold th;
    long long prev_key;
    PyObject *overrides, *admit;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*pz#n(iiiiii)LOOp:scan_block", keywords,
                                     &view, &levels, &ceiling, &ceiling_length, &max_key,
                                     &th.year, &th.month, &th.day, &th.hour, &th.minute,
                                     &th.second, &prev_key, &overrides, &admit, &want_templates))
        return NULL;
    if (admit != Py_None && !PyCallable_Check(admit)) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "admit must be None or a callable");
        return NULL;
    }
    Cap cap = {(const uchar *)ceiling, ceiling_length, max_key < 0 ? PY_SSIZE_T_MAX : max_key, 0};
    const uchar *data = view.buf;
    const uchar *data_end = data + view.len;

    PyObject *result = NULL, *others = NULL;
    Py_ssize_t *override_at = NULL;
    char *override_level = NULL;
    Py_ssize_t override_count = 0, next_override = 0;
    Table table = {0};
    Decisions decisions = {0};
    Hours hours = {0};
    Templates templates = {0};
    Scratch *scratch = NULL;
    Memo *memo = NULL; /* made at the block's first error or warning line */
    int ready = 0;

    if (read_overrides(overrides, view.len, &override_at, &override_level, &override_count) < 0)
        goto done;
    others = PyList_New(0);
    scratch = PyMem_RawMalloc(sizeof(Scratch));
    decisions.admit = admit == Py_None ? NULL : admit;
    decisions.capacity = hours.capacity = templates.capacity = 16;
    decisions.items = PyMem_RawMalloc(16 * sizeof(Decision));
    hours.items = PyMem_RawMalloc(16 * sizeof(Hour));
    hours.cache_key = PyMem_RawMalloc(HOUR_CACHE * sizeof(int64_t));
    hours.cache_at = PyMem_RawMalloc(HOUR_CACHE * sizeof(Py_ssize_t));
    if (hours.cache_at)
        for (int i = 0; i < HOUR_CACHE; i++) hours.cache_at[i] = -1; /* an empty slot */
    templates.items = PyMem_RawMalloc(16 * sizeof(Template));
    templates.arena_capacity = 4096;
    templates.arena = PyMem_RawMalloc(4096);
    templates.last = -1;
    ready = others && scratch && decisions.items && hours.items && hours.cache_key &&
            hours.cache_at && templates.items &&
            templates.arena && table_init(&table) == 0 && index_init(&decisions.index, 32) == 0 &&
            index_init(&hours.index, 32) == 0 && index_init(&templates.index, 32) == 0;
    table.dense_ok = view.len < INT32_MAX; /* no bucket of a shorter block reaches 2**31 */
    if (!ready) {
        PyErr_NoMemory();
        goto done;
    }

    Py_ssize_t lines = 0, error_lines = 0, warn_lines = 0, level_lines = 0;
    Py_ssize_t first_stamped = -1, last_stamped = -1;
    int64_t current_key = prev_key;
    Py_ssize_t bucket = -1; /* the hour bucket of current_key, once looked up */
    int failed = 0;
    const uchar *line = data;
    /* Without the GIL from here to the end of the loop (see need_gil). The block is the caller's
     * buffer, held by view; another thread changing its bytes meanwhile changes only what is
     * counted. */
    Gil gil = {NULL, 0};
    Gil *outer = scanning_gil; /* (admit may call scan_block: each call has its own) */
    scanning_gil = &gil;
    int release = view.len >= RELEASE_BYTES;
    /* Once a Python call took the GIL back, it is kept for the next RELEASE_BYTES: lines that
     * each call into Python (numbers left to it, new keys for admit) would otherwise wait, at
     * every line, for whichever thread got the GIL meanwhile (up to the 5 ms switch interval). */
    Py_ssize_t hold_until = 0, taken = 0; /* (an offset into the block) */
    while (line < data_end) {
        if (release && gil.state == NULL) {
            if (gil.taken != taken) {
                taken = gil.taken;
                hold_until = (line - data) + RELEASE_BYTES;
            }
            if (line - data >= hold_until) {
                GIL_RELEASES++;
                gil.state = PyEval_SaveThread();
            }
        }
        const uchar *newline = memchr(line, '\n', data_end - line);
        if (newline == NULL) newline = data_end; /* callers pass whole lines; be safe anyway */
        Py_ssize_t length = newline - line;
        Py_ssize_t content = length;
        if (content > 0 && line[content - 1] == '\r') content--;
        Py_ssize_t offset = line - data;
        lines++;

        LineStamp stamp;
        line_stamp(line, content, &stamp);
        if (stamp.has_stamp) {
            int64_t key = stamp_key(&stamp.fields, &th);
            if (key != current_key) {
                current_key = key;
                bucket = -1;
            }
            if (first_stamped < 0) first_stamped = offset;
            last_stamped = offset;
        }

        int override = 0;
        if (next_override < override_count) {
            if (override_at[next_override] < offset) {
                need_gil();
                PyErr_Format(PyExc_ValueError, "override offset %zd is not a line start",
                             override_at[next_override]);
                failed = 1;
                break;
            }
            if (override_at[next_override] == offset) override = override_level[next_override++];
        }
        Found found;
        int found_yet = 0, builtin = NONE;
        if (levels) {
            found = find_level(line, content, stamp.lead_end);
            found_yet = 1;
            builtin = found.level;
        }
        int level = override ? override : builtin;
        level_lines += builtin != NONE || override;
        error_lines += level == ERROR;
        warn_lines += level == WARN;

        if (bucket < 0 && (bucket = hour_lookup(&hours, current_key)) < 0) {
            need_gil();
            PyErr_NoMemory();
            failed = 1;
            break;
        }
        Hour *hour = &hours.items[bucket];
        hour->lines++;
        hour->errors += level == ERROR;
        hour->warns += level == WARN;

        if (want_templates && level >= WARN) {
            if (!found_yet) found = find_level(line, content, stamp.lead_end);
            const uchar *message;
            Py_ssize_t message_length;
            message_of(line, content, &found, stamp.lead_end, scratch, &message,
                       &message_length);
            if (memo == NULL && (memo = memo_new()) == NULL) {
                need_gil();
                PyErr_NoMemory();
                failed = 1;
                break;
            }
            Py_ssize_t template_length;
            const uchar *template = memo_mask(memo, message, message_length, scratch,
                                              &template_length);
            if (template_count(&templates, level, template, template_length, offset,
                               stamp.has_stamp) < 0) {
                need_gil();
                PyErr_NoMemory();
                failed = 1;
                break;
            }
        }

        if (scan_pairs(&table, &decisions, others, &cap, line, length, data_end) < 0) {
            failed = 1;
            break;
        }
        line = newline + 1;
    }
    need_gil();
    scanning_gil = outer;
    if (!failed && next_override < override_count) {
        PyErr_Format(PyExc_ValueError, "override offset %zd is not a line start",
                     override_at[next_override]);
        failed = 1;
    }
    if (!failed) {
        PyObject *metrics = build_metrics(&table);
        PyObject *hour_counts = metrics ? build_hours(&hours) : NULL;
        PyObject *template_counts = hour_counts ? build_templates(&templates) : NULL;
        if (template_counts)
            result = Py_BuildValue("(nnnnNOnNLnnN)", lines, error_lines, warn_lines, level_lines,
                                   metrics, others, cap.refused, hour_counts,
                                   (long long)current_key, first_stamped, last_stamped,
                                   template_counts);
        else {
            Py_XDECREF(metrics);
            Py_XDECREF(hour_counts);
        }
    }

done:
    if (table.items) table_free(&table);
    PyMem_RawFree(decisions.items);
    index_free(&decisions.index);
    PyMem_RawFree(hours.items);
    PyMem_RawFree(hours.cache_key);
    PyMem_RawFree(hours.cache_at);
    index_free(&hours.index);
    PyMem_RawFree(templates.items);
    PyMem_RawFree(templates.arena);
    index_free(&templates.index);
    PyMem_RawFree(scratch);
    PyMem_RawFree(memo);
    PyMem_RawFree(override_at);
    PyMem_RawFree(override_level);
    Py_XDECREF(others);
    PyBuffer_Release(&view);
    return result;
}

static PyObject *gil_releases(PyObject *module, PyObject *unused) {
    return PyLong_FromSsize_t(GIL_RELEASES);
}

static PyMethodDef methods[] = {
    {"gil_releases", gil_releases, METH_NOARGS,
     "gil_releases() -> int: how often scan_block has let the GIL go in this process (tests)."},
    {"scan_block", (PyCFunction)(void (*)(void))scan_block, METH_VARARGS | METH_KEYWORDS,
     scan_block_doc},
    {"merge_buckets", merge_buckets, METH_VARARGS,
     "merge_buckets(blobs, limit) -> bytes: the sum of sketch bucket blobs ((index, count) int64\n"
     "pairs), sorted by index, folded to at most limit buckets (logcrunch.sketch.fold)."},
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
    init_token_bytes();
    init_word_lists();
    PyObject *os = PyImport_ImportModule("os");
    PyObject *random = os ? PyObject_CallMethod(os, "urandom", "i", 8) : NULL;
    if (random && PyBytes_Check(random) && PyBytes_GET_SIZE(random) == 8)
        memcpy(&HASH_SEED, PyBytes_AS_STRING(random), 8);
    Py_XDECREF(random);
    Py_XDECREF(os);
    PyErr_Clear(); /* without urandom the fixed seed does */
    return PyModule_Create(&module_def);
}
