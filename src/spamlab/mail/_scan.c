/*
 * spamlab.mail._scan: compiled fast path of spamlab.mail.headers.scan_row.
 *
 * The pure-Python scan_row in headers.py defines every result. This module
 * repeats its common path in C (header block, field collection, the common
 * RFC 5322 date form, Message-ID, From domain, canonical IPv4) and hands
 * everything else back to Python:
 *   - the whole message goes to the Python fallback (scan_row_python) as soon
 *     as anything is unusual (no blank line near the header cap, an empty or
 *     whitespace-only block, a block not starting with a field, more than
 *     MAX_RECEIVED Received headers);
 *   - single values go to the same Python helpers that scan_row_python uses
 *     (dates not in the common form, non-ASCII Message-IDs, subject hashes,
 *     mailers, IPv6 and non-canonical IPv4 addresses).
 * The date parser follows the greedy path of headers._RFC_DATE and hands the
 * text to Python the moment that path fails, so whenever it answers, it gives
 * the regex's own match. tests/ingest/test_scan_equivalence.py compares the two
 * implementations message by message.
 *
 * If this file does not compile (no C compiler), spamlab runs the pure-Python
 * path with identical results, only slower.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_RECEIVED 64

/* Python helpers, set by configure(). */
static PyObject *py_fallback = NULL;       /* scan_row_python(member, data, limit, want) */
static PyObject *py_parse_date = NULL;     /* _parse_date_text(bytes) -> (epoch, flag) | None */
static PyObject *py_message_id = NULL;     /* _message_id(bytes) -> str | None */
static PyObject *py_subject_hash = NULL;   /* _subject_hash(bytes) -> str | None */
static PyObject *py_mailer = NULL;         /* _mailer(bytes) -> str | None */
static PyObject *py_public_ip = NULL;      /* _public_ip(bytes) -> str | None */

static PyObject *s_empty, *s_received, *s_date, *s_missing, *s_absurd, *s_no_timestamp;

typedef struct {
    const char *p;
    Py_ssize_t n;
} span;

static int is_space(unsigned char c) {  /* bytes.isspace / regex \s on bytes */
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\x0b' || c == '\x0c';
}
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static int is_word(unsigned char c) { return is_alpha(c) || is_digit(c) || c == '_'; }
static unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c | 0x20 : c; }

static span strip(span s) {
    while (s.n > 0 && is_space((unsigned char)s.p[0])) { s.p++; s.n--; }
    while (s.n > 0 && is_space((unsigned char)s.p[s.n - 1])) s.n--;
    return s;
}

static PyObject *call_bytes(PyObject *helper, span s) {
    PyObject *arg = PyBytes_FromStringAndSize(s.p, s.n);
    if (arg == NULL) return NULL;
    PyObject *result = PyObject_CallOneArg(helper, arg);
    Py_DECREF(arg);
    return result;
}

/* ---------------------------------------------------------------- dates -- */

enum { DATE_OK = 0, DATE_INVALID = 1, DATE_PYTHON = 2 };

static const char *MONTHS = "janfebmaraprmayjunjulaugsepoctnovdec";
static const int DAYS_IN_MONTH[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int is_leap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

static int read_digits(const char *t, Py_ssize_t n, Py_ssize_t *pos, int most, int *value) {
    int count = 0, v = 0;
    while (*pos < n && count < most && is_digit((unsigned char)t[*pos])) {
        v = v * 10 + (t[*pos] - '0');
        (*pos)++;
        count++;
    }
    *value = v;
    return count;
}

typedef struct { const char *name; int offset; } named_zone;
static const named_zone ZONES[] = {
    {"ut", 0}, {"utc", 0}, {"gmt", 0}, {"z", 0}, {"edt", -4 * 3600}, {"est", -5 * 3600},
    {"cdt", -5 * 3600}, {"cst", -6 * 3600}, {"mdt", -6 * 3600}, {"mst", -7 * 3600},
    {"pdt", -7 * 3600}, {"pst", -8 * 3600}, {"cet", 3600}, {"cest", 2 * 3600}, {"bst", 3600},
};

/* headers._parse_date_text for the common RFC 5322 form (the greedy path of _RFC_DATE). */
static int parse_common_date(span text, int64_t *epoch, PyObject **flag) {
    const char *t = text.p;
    Py_ssize_t n = text.n, pos = 0;
    if (pos < n && is_alpha((unsigned char)t[pos])) {  /* (?:[A-Za-z]+,?\s*)? */
        while (pos < n && is_alpha((unsigned char)t[pos])) pos++;
        if (pos < n && t[pos] == ',') pos++;
        while (pos < n && is_space((unsigned char)t[pos])) pos++;
    }
    int day, year, hour, minute, second = 0;
    if (read_digits(t, n, &pos, 2, &day) < 1) return DATE_PYTHON;
    Py_ssize_t run = pos;
    while (pos < n && (is_space((unsigned char)t[pos]) || t[pos] == '-')) pos++;
    if (pos == run) return DATE_PYTHON;
    if (pos + 3 > n || !is_alpha((unsigned char)t[pos]) || !is_alpha((unsigned char)t[pos + 1])
        || !is_alpha((unsigned char)t[pos + 2]))
        return DATE_PYTHON;
    char mon[3] = {lower(t[pos]), lower(t[pos + 1]), lower(t[pos + 2])};
    pos += 3;
    while (pos < n && (is_alpha((unsigned char)t[pos]) || t[pos] == '.')) pos++;
    run = pos;
    while (pos < n && (is_space((unsigned char)t[pos]) || t[pos] == '-')) pos++;
    if (pos == run) return DATE_PYTHON;
    int year_digits = read_digits(t, n, &pos, 4, &year);
    if (year_digits < 2) return DATE_PYTHON;
    if (pos < n && t[pos] == ',') pos++;
    run = pos;
    while (pos < n && is_space((unsigned char)t[pos])) pos++;
    if (pos == run) return DATE_PYTHON;
    if (read_digits(t, n, &pos, 2, &hour) < 1) return DATE_PYTHON;
    if (pos >= n || t[pos] != ':') return DATE_PYTHON;
    pos++;
    if (read_digits(t, n, &pos, 2, &minute) < 1) return DATE_PYTHON;
    if (pos + 1 < n && t[pos] == ':' && is_digit((unsigned char)t[pos + 1])) {
        pos++;
        read_digits(t, n, &pos, 2, &second);
    }
    if (pos + 1 < n && t[pos] == '.' && is_digit((unsigned char)t[pos + 1])) {
        pos++;
        while (pos < n && is_digit((unsigned char)t[pos])) pos++;
    }
    while (pos < n && is_space((unsigned char)t[pos])) pos++;

    int offset = 0;
    PyObject *zone_flag = s_missing;
    if (pos + 4 < n + 0 && (t[pos] == '+' || t[pos] == '-') && is_digit((unsigned char)t[pos + 1])
        && is_digit((unsigned char)t[pos + 2]) && is_digit((unsigned char)t[pos + 3])
        && is_digit((unsigned char)t[pos + 4])) {
        int hours = (t[pos + 1] - '0') * 10 + (t[pos + 2] - '0');
        int minutes = (t[pos + 3] - '0') * 10 + (t[pos + 4] - '0');
        if (minutes >= 60) {
            zone_flag = s_absurd;
        } else {
            int seconds = (hours * 3600 + minutes * 60) * (t[pos] == '-' ? -1 : 1);
            if (seconds == 0 && t[pos] == '-') {
                zone_flag = s_missing;
            } else if (seconds > 14 * 3600 || seconds < -14 * 3600) {
                zone_flag = s_absurd;
            } else {
                offset = seconds;
                zone_flag = s_empty;
            }
        }
    } else if (pos < n && is_alpha((unsigned char)t[pos])) {
        Py_ssize_t end = pos;
        while (end < n && is_alpha((unsigned char)t[end])) end++;
        Py_ssize_t length = end - pos;
        if (length <= 5 && (end == n || !is_word((unsigned char)t[end]))) {
            for (size_t i = 0; i < sizeof(ZONES) / sizeof(ZONES[0]); i++) {
                const char *name = ZONES[i].name;
                if ((Py_ssize_t)strlen(name) != length) continue;
                Py_ssize_t k = 0;
                while (k < length && lower(t[pos + k]) == name[k]) k++;
                if (k == length) {
                    offset = ZONES[i].offset;
                    zone_flag = s_empty;
                    break;
                }
            }
        }
    }

    /* headers._day_start / _build_date, then the clock checks of _parse_date_text */
    int month = 0;
    for (int i = 0; i < 12; i++) {
        if (memcmp(MONTHS + 3 * i, mon, 3) == 0) { month = i + 1; break; }
    }
    int64_t full_year = year;
    if (year_digits == 2) full_year += year < 50 ? 2000 : 1900;
    else if (year_digits == 3) full_year += 1900;
    if (month == 0 || day < 1 || day > DAYS_IN_MONTH[month - 1]) return DATE_INVALID;
    if (month == 2 && day == 29 && !is_leap(full_year)) return DATE_INVALID;
    if (full_year < 1 || full_year > 9999) return DATE_INVALID;
    if (hour > 23 || minute > 59 || second > 60) return DATE_INVALID;
    *epoch = days_from_civil(full_year, month, day) * 86400 - offset
             + hour * 3600 + minute * 60 + (second > 59 ? 59 : second);
    *flag = zone_flag;
    return DATE_OK;
}

/* Arrival of a date text like headers._parse_date_text: 1 parsed (epoch, *flag borrowed
 * from the module strings or owned by *owner), 0 not a date, -1 error. */
static int parse_date(span text, int64_t *epoch, PyObject **flag, PyObject **owner) {
    *owner = NULL;
    switch (parse_common_date(text, epoch, flag)) {
    case DATE_OK:
        return 1;
    case DATE_INVALID:
        return 0;
    default:
        break;
    }
    PyObject *result = call_bytes(py_parse_date, text);
    if (result == NULL) return -1;
    if (result == Py_None) {
        Py_DECREF(result);
        return 0;
    }
    if (!PyTuple_Check(result) || PyTuple_GET_SIZE(result) != 2) {
        Py_DECREF(result);
        PyErr_SetString(PyExc_TypeError, "_parse_date_text must return (epoch, flag) or None");
        return -1;
    }
    *epoch = PyLong_AsLongLong(PyTuple_GET_ITEM(result, 0));
    if (*epoch == -1 && PyErr_Occurred()) {
        Py_DECREF(result);
        return -1;
    }
    *flag = PyTuple_GET_ITEM(result, 1);
    *owner = result;
    return 1;
}

/* -------------------------------------------------------- header fields -- */

enum { F_DATE, F_MESSAGE_ID, F_FROM, F_SUBJECT, F_X_MAILER, F_USER_AGENT, F_COUNT };

typedef struct {
    span first[F_COUNT];       /* first value of each field (p == NULL when absent) */
    span received[MAX_RECEIVED];
    int n_received;
} fields;

static int name_is(const char *p, const char *end, const char *name, Py_ssize_t length) {
    if (end - p < length) return 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        if (lower((unsigned char)p[i]) != (unsigned char)name[i]) return 0;
    }
    return 1;
}

/* Which wanted field a line starts with (-1 none, F_COUNT for Received); *value_start set. */
static int field_at(const char *p, const char *end, const char **value_start) {
    static const struct { const char *name; Py_ssize_t length; int field; } NAMES[] = {
        {"received", 8, F_COUNT}, {"date", 4, F_DATE}, {"message-id", 10, F_MESSAGE_ID},
        {"from", 4, F_FROM}, {"subject", 7, F_SUBJECT}, {"x-mailer", 8, F_X_MAILER},
        {"user-agent", 10, F_USER_AGENT},
    };
    for (size_t i = 0; i < sizeof(NAMES) / sizeof(NAMES[0]); i++) {
        if (!name_is(p, end, NAMES[i].name, NAMES[i].length)) continue;
        const char *q = p + NAMES[i].length;
        while (q < end && (*q == ' ' || *q == '\t')) q++;
        if (q < end && *q == ':') {
            *value_start = q + 1;
            return NAMES[i].field;
        }
    }
    return -1;
}

/* headers._collect_fields; 0 on success, 1 when there are too many Received headers. */
static int collect_fields(span block, fields *out) {
    memset(out, 0, sizeof(*out));
    const char *p = block.p, *end = block.p + block.n;
    while (p < end) {
        const char *value;
        int field = field_at(p, end, &value);
        if (field < 0) {
            const char *newline = memchr(p, '\n', end - p);
            if (newline == NULL) break;
            p = newline + 1;
            continue;
        }
        const char *stop = value;
        for (;;) {  /* the value runs on over folded lines (LF followed by space or tab) */
            const char *newline = memchr(stop, '\n', end - stop);
            if (newline == NULL) { stop = end; break; }
            stop = newline;
            if (newline + 1 < end && (newline[1] == ' ' || newline[1] == '\t')) {
                stop = newline + 1;
                continue;
            }
            break;
        }
        span found = {value, stop - value};
        if (field == F_COUNT) {
            if (out->n_received == MAX_RECEIVED) return 1;
            out->received[out->n_received++] = found;
        } else if (out->first[field].p == NULL) {
            out->first[field] = found;
        }
        p = stop + 1;
    }
    return 0;
}

/* ------------------------------------------------------------- features -- */

static PyObject *message_id(span value) {  /* headers._message_id */
    if (value.p == NULL) Py_RETURN_NONE;
    char buffer[1024];
    Py_ssize_t kept = 0;
    for (Py_ssize_t i = 0; i < value.n; i++) {
        unsigned char c = (unsigned char)value.p[i];
        if (c >= 0x80 || kept == (Py_ssize_t)sizeof(buffer)) return call_bytes(py_message_id, value);
        if (!is_space(c)) buffer[kept++] = (char)c;
    }
    if (kept == 0) Py_RETURN_NONE;
    return PyUnicode_DecodeASCII(buffer, kept > 998 ? 998 : kept, NULL);
}

static PyObject *from_domain(span value) {  /* headers._from_domain */
    if (value.p == NULL) Py_RETURN_NONE;
    const char *p = value.p, *end = value.p + value.n;
    for (const char *q = end; q > value.p; q--) {
        if (q[-1] == '<') { p = q - 1; break; }
    }
    for (;;) {
        const char *at = memchr(p, '@', end - p);
        if (at == NULL) Py_RETURN_NONE;
        const char *q = at + 1;
        while (q < end && is_space((unsigned char)*q)) q++;
        if (q < end && (is_alpha((unsigned char)*q) || is_digit((unsigned char)*q))) {
            const char *stop = q;
            while (stop < end && (is_word((unsigned char)*stop) || *stop == '.' || *stop == '-'))
                stop++;
            while (stop > q && stop[-1] == '.') stop--;
            PyObject *text = PyUnicode_New(stop - q, 127);
            if (text == NULL) return NULL;
            Py_UCS1 *data = PyUnicode_1BYTE_DATA(text);
            for (Py_ssize_t i = 0; i < stop - q; i++) data[i] = lower((unsigned char)q[i]);
            return text;
        }
        p = at + 1;
    }
}

/* BLAKE2b (RFC 7693) with an 8-byte digest and no key: hashlib.blake2b(raw, digest_size=8). */
static const uint64_t BLAKE2B_IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};
static const unsigned char BLAKE2B_SIGMA[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

static uint64_t rotr64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

static void blake2b_mix(uint64_t *v, int a, int b, int c, int d, uint64_t x, uint64_t y) {
    v[a] = v[a] + v[b] + x;
    v[d] = rotr64(v[d] ^ v[a], 32);
    v[c] = v[c] + v[d];
    v[b] = rotr64(v[b] ^ v[c], 24);
    v[a] = v[a] + v[b] + y;
    v[d] = rotr64(v[d] ^ v[a], 16);
    v[c] = v[c] + v[d];
    v[b] = rotr64(v[b] ^ v[c], 63);
}

static void blake2b_compress(uint64_t *h, const unsigned char *block, uint64_t counter, int last) {
    uint64_t m[16], v[16];
    for (int i = 0; i < 16; i++) {
        uint64_t word = 0;
        for (int k = 7; k >= 0; k--) word = (word << 8) | block[8 * i + k];
        m[i] = word;
    }
    for (int i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = BLAKE2B_IV[i];
    }
    v[12] ^= counter;  /* the high half of the 128-bit counter stays 0 below 2^64 bytes */
    if (last) v[14] = ~v[14];
    for (int round = 0; round < 12; round++) {
        const unsigned char *s = BLAKE2B_SIGMA[round % 10];
        blake2b_mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
        blake2b_mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
        blake2b_mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
        blake2b_mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
        blake2b_mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
        blake2b_mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
        blake2b_mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
        blake2b_mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

/* Lower-case hex of the 8-byte BLAKE2b digest of data (17 bytes written, NUL included). */
static void blake2b_8_hex(const unsigned char *data, Py_ssize_t n, char *hex) {
    uint64_t h[8];
    memcpy(h, BLAKE2B_IV, sizeof(h));
    h[0] ^= 0x01010000ULL ^ 8;  /* depth 1, fanout 1, no key, 8-byte digest */
    unsigned char block[128];
    Py_ssize_t done = 0;
    while (n - done > 128) {
        blake2b_compress(h, data + done, (uint64_t)(done + 128), 0);
        done += 128;
    }
    memset(block, 0, sizeof(block));
    memcpy(block, data + done, (size_t)(n - done));
    blake2b_compress(h, block, (uint64_t)n, 1);
    static const char DIGITS[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        unsigned char byte = (unsigned char)(h[0] >> (8 * i));
        hex[2 * i] = DIGITS[byte >> 4];
        hex[2 * i + 1] = DIGITS[byte & 15];
    }
    hex[16] = 0;
}

/* headers._subject_hash: ASCII subjects without encoded words here, the rest in Python. */
static PyObject *subject_hash(span value) {
    if (value.p == NULL) Py_RETURN_NONE;
    unsigned char buffer[4096];
    Py_ssize_t kept = 0;
    int pending_space = 0;
    for (Py_ssize_t i = 0; i < value.n; i++) {  /* b" ".join(value.split()) */
        unsigned char c = (unsigned char)value.p[i];
        if (is_space(c)) {
            pending_space = kept > 0;
            continue;
        }
        if (c >= 0x80 || kept + 2 > (Py_ssize_t)sizeof(buffer)) return call_bytes(py_subject_hash, value);
        if (pending_space) buffer[kept++] = ' ';
        pending_space = 0;
        if (c == '?' && kept > 0 && buffer[kept - 1] == '=') return call_bytes(py_subject_hash, value);
        buffer[kept++] = c;
    }
    char hex[17];
    blake2b_8_hex(buffer, kept, hex);
    return PyUnicode_DecodeASCII(hex, 16, NULL);
}

static int reserved_ipv4(int a, int b, int c) {  /* headers._reserved_ipv4 */
    return a == 0 || a == 10 || a == 127 || a >= 224 || (a == 100 && b >= 64 && b <= 127)
           || (a == 169 && b == 254) || (a == 172 && b >= 16 && b <= 31)
           || (a == 192 && b == 168) || (a == 192 && b == 0 && (c == 0 || c == 2))
           || (a == 198 && (b == 18 || b == 19)) || (a == 198 && b == 51 && c == 100)
           || (a == 203 && b == 0 && c == 113);
}

/* headers._public_ip for a canonical dotted quad; 1 public, 0 not public, 2 not canonical. */
static int canonical_ipv4(span text) {
    int octets[4], count = 0;
    Py_ssize_t pos = 0;
    while (count < 4) {
        Py_ssize_t start = pos;
        int value = 0;
        while (pos < text.n && pos - start < 4 && is_digit((unsigned char)text.p[pos]))
            value = value * 10 + (text.p[pos++] - '0');
        Py_ssize_t length = pos - start;
        if (length < 1 || length > 3 || (length > 1 && text.p[start] == '0') || value > 255)
            return 2;
        octets[count++] = value;
        if (count < 4) {
            if (pos >= text.n || text.p[pos] != '.') return 2;
            pos++;
        }
    }
    if (pos != text.n) return 2;
    return reserved_ipv4(octets[0], octets[1], octets[2]) ? 0 : 1;
}

static int ip_char(unsigned char c) {
    return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') || c == ':' || c == '.';
}

static PyObject *sender_ip(const fields *f) {  /* headers._sender_ip */
    for (int i = 0; i < f->n_received; i++) {
        span value = f->received[i];
        const char *end = value.p + value.n;
        for (const char *q = value.p; q + 4 <= end; q++) {
            if (memcmp(q, " by ", 4) == 0) { end = q; break; }
        }
        const char *p = value.p;
        while (p < end) {
            const char *open = memchr(p, '[', end - p);
            if (open == NULL) break;
            const char *start = open + 1;
            if (end - start >= 5 && memcmp(start, "IPv6:", 5) == 0) start += 5;
            const char *stop = start;
            while (stop < end && ip_char((unsigned char)*stop)) stop++;
            Py_ssize_t length = stop - start;
            if (length < 2 || length > 45 || stop >= end || *stop != ']') {
                p = open + 1;
                continue;
            }
            span address = {start, length};
            int verdict = memchr(start, ':', length) ? 2 : canonical_ipv4(address);
            if (verdict == 1) return PyUnicode_DecodeASCII(start, length, NULL);
            if (verdict == 2) {
                PyObject *ip = call_bytes(py_public_ip, address);
                if (ip != Py_None) return ip;  /* a string, or NULL on error */
                Py_DECREF(ip);
            }
            p = stop + 1;
        }
    }
    Py_RETURN_NONE;
}

static PyObject *optional_call(PyObject *helper, span value) {
    if (value.p == NULL) Py_RETURN_NONE;
    return call_bytes(helper, value);
}

/* ---------------------------------------------------------- the message -- */

/* headers.header_block for the usual case; 1 found (*block set), 0 hand to Python. */
static int usual_header_block(span data, Py_ssize_t limit, span *block) {
    Py_ssize_t bound = data.n < limit + 3 ? data.n : limit + 3;
    const char *p = data.p, *end = data.p + bound;
    for (;;) {
        const char *newline = memchr(p, '\n', end - p);
        if (newline == NULL) {
            if (data.n <= limit && bound == data.n) {
                *block = data;  /* no blank line: a truncated or header-only message */
                return 1;
            }
            return 0;
        }
        Py_ssize_t at = newline - data.p;
        int blank = 0;
        if (newline + 1 < end && newline[1] == '\n') blank = 2;
        else if (newline + 2 < end && newline[1] == '\r' && newline[2] == '\n') blank = 3;
        if (blank) {
            if (at > limit - 8) return 0;
            if (blank == 3 && at + 3 < data.n && data.p[at + 3] == '\n') at += 2;
            block->p = data.p;
            block->n = at + 1;
            return 1;
        }
        p = newline + 1;
    }
}

static int only_space(span s) {
    for (Py_ssize_t i = 0; i < s.n; i++) {
        if (!is_space((unsigned char)s.p[i])) return 0;
    }
    return 1;
}

/* headers.looks_like_header when the block does not start with a From_ line. */
static int starts_with_field(span block) {
    Py_ssize_t pos = 0;
    while (pos < block.n) {
        unsigned char c = (unsigned char)block.p[pos];
        if (c < '!' || c > '~' || c == ':') break;
        pos++;
    }
    if (pos == 0) return 0;
    while (pos < block.n && (block.p[pos] == ' ' || block.p[pos] == '\t')) pos++;
    return pos < block.n && block.p[pos] == ':';
}

/* scan_row_python(member, data, limit, want), with data made from the span when not given. */
static PyObject *fallback(PyObject *member, span data, PyObject *data_object, Py_ssize_t limit,
                          Py_ssize_t want) {
    PyObject *args[4] = {member, data_object, PyLong_FromSsize_t(limit), PyLong_FromSsize_t(want)};
    PyObject *result = NULL;
    if (args[1] == NULL) args[1] = PyBytes_FromStringAndSize(data.p, data.n);
    else Py_INCREF(args[1]);
    if (args[1] != NULL && args[2] != NULL && args[3] != NULL)
        result = PyObject_Vectorcall(py_fallback, args, 4, NULL);
    Py_XDECREF(args[1]);
    Py_XDECREF(args[2]);
    Py_XDECREF(args[3]);
    return result;
}

/* The row of one message (see scan_row); data_object is the bytes behind data, or NULL. */
static PyObject *row_for(PyObject *member, span data, PyObject *data_object, Py_ssize_t limit,
                         Py_ssize_t want) {
    span whole = data;
    if (data.n >= 5 && memcmp(data.p, "From ", 5) == 0) {
        const char *newline = memchr(data.p, '\n', data.n);
        if (newline == NULL) return fallback(member, whole, data_object, limit, want);
        data.n -= newline + 1 - data.p;
        data.p = newline + 1;
    }
    span block;
    if (!usual_header_block(data, limit, &block) || block.n == 0 || only_space(block))
        return fallback(member, whole, data_object, limit, want);
    if ((block.n >= 5 && memcmp(block.p, "From ", 5) == 0)
        || (block.n >= 6 && memcmp(block.p, ">From ", 6) == 0) || !starts_with_field(block))
        return fallback(member, whole, data_object, limit, want);
    int truncated = block.n == data.n && data.n < want;
    fields f;
    if (collect_fields(block, &f)) return fallback(member, whole, data_object, limit, want);

    int64_t epoch = 0;
    PyObject *flag = s_empty, *owner = NULL, *source = s_empty;
    int parsed = 0;
    if (f.n_received > 0) {
        span top = f.received[0];
        const char *semi = NULL;
        for (Py_ssize_t i = top.n; i > 0; i--) {
            if (top.p[i - 1] == ';') { semi = top.p + i - 1; break; }
        }
        if (semi != NULL) {
            span text = {semi + 1, top.p + top.n - semi - 1};
            parsed = parse_date(strip(text), &epoch, &flag, &owner);
            if (parsed < 0) return NULL;
            if (parsed) source = s_received;
        }
    }
    if (!parsed && f.first[F_DATE].p != NULL) {
        parsed = parse_date(strip(f.first[F_DATE]), &epoch, &flag, &owner);
        if (parsed < 0) return NULL;
        if (parsed) source = s_date;
    }
    if (!parsed) flag = s_empty;

    PyObject *row = PyTuple_New(11);
    if (row == NULL) {
        Py_XDECREF(owner);
        return NULL;
    }
    Py_INCREF(member);
    PyTuple_SET_ITEM(row, 0, member);
    PyObject *reason = parsed ? s_empty : s_no_timestamp;
    Py_INCREF(reason);
    PyTuple_SET_ITEM(row, 1, reason);
    PyObject *truncated_flag = truncated ? Py_True : Py_False;
    Py_INCREF(truncated_flag);
    PyTuple_SET_ITEM(row, 2, truncated_flag);
    PyObject *arrival;
    if (parsed) {
        arrival = PyLong_FromLongLong(epoch);
    } else {
        arrival = Py_None;
        Py_INCREF(arrival);
    }
    Py_INCREF(source);
    Py_INCREF(flag);
    Py_XDECREF(owner);
    PyTuple_SET_ITEM(row, 4, source);
    PyTuple_SET_ITEM(row, 5, flag);
    if (arrival == NULL) goto error;
    PyTuple_SET_ITEM(row, 3, arrival);
    span mailer = f.first[F_X_MAILER].p != NULL ? f.first[F_X_MAILER] : f.first[F_USER_AGENT];
    PyObject *values[5] = {
        message_id(f.first[F_MESSAGE_ID]), NULL, NULL, NULL, NULL,
    };
    if (values[0] == NULL) goto error;
    PyTuple_SET_ITEM(row, 6, values[0]);
    if ((values[1] = from_domain(f.first[F_FROM])) == NULL) goto error;
    PyTuple_SET_ITEM(row, 7, values[1]);
    if ((values[2] = subject_hash(f.first[F_SUBJECT])) == NULL) goto error;
    PyTuple_SET_ITEM(row, 8, values[2]);
    if ((values[3] = sender_ip(&f)) == NULL) goto error;
    PyTuple_SET_ITEM(row, 9, values[3]);
    if ((values[4] = optional_call(py_mailer, mailer)) == NULL) goto error;
    PyTuple_SET_ITEM(row, 10, values[4]);
    return row;
error:
    Py_DECREF(row);  /* unset items are NULL, which tuple deallocation skips */
    return NULL;
}

static int configured(void) {
    if (py_fallback != NULL) return 1;
    PyErr_SetString(PyExc_RuntimeError, "spamlab.mail._scan.configure() was not called");
    return 0;
}

static PyObject *scan_row(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "scan_row(member, data, header_limit, want)");
        return NULL;
    }
    if (!configured()) return NULL;
    Py_ssize_t limit = PyLong_AsSsize_t(args[2]);
    Py_ssize_t want = PyLong_AsSsize_t(args[3]);
    if ((limit == -1 || want == -1) && PyErr_Occurred()) return NULL;
    if (!PyBytes_Check(args[1])) return PyObject_Vectorcall(py_fallback, args, 4, NULL);
    span data = {PyBytes_AS_STRING(args[1]), PyBytes_GET_SIZE(args[1])};
    return row_for(args[0], data, args[1], limit, want);
}

/* containers.head_is_enough */
static int head_is_enough(span head, Py_ssize_t want, Py_ssize_t first_read) {
    if (head.n < first_read || want <= first_read) return 1;
    int blank = 0;
    for (const char *p = head.p, *end = head.p + head.n; !blank;) {
        const char *newline = memchr(p, '\n', end - p);
        if (newline == NULL) break;
        if (newline + 1 < end && newline[1] == '\n') blank = 1;
        else if (newline + 2 < end && newline[1] == '\r' && newline[2] == '\n') blank = 1;
        p = newline + 1;
    }
    return blank && !only_space(head);
}

/* Offset of the next "From " at or after position that follows LF LF or LF CR LF at or after
 * start (containers._SEPARATOR), with the whole match before stop; -1 if none. */
static Py_ssize_t next_separator(const char *buffer, Py_ssize_t position, Py_ssize_t start,
                                 Py_ssize_t stop) {
    while (position + 5 <= stop) {
        const char *hit = memchr(buffer + position, 'F', stop - 4 - position);
        if (hit == NULL) return -1;
        Py_ssize_t at = hit - buffer;
        if (memcmp(hit, "From ", 5) == 0 && at >= 1 && buffer[at - 1] == '\n'
            && ((at - 2 >= start && buffer[at - 2] == '\n')
                || (at - 3 >= start && buffer[at - 2] == '\r' && buffer[at - 3] == '\n')))
            return at;
        position = at + 1;
    }
    return -1;
}

static PyObject *mbox_rows(const char *buffer, Py_ssize_t size, Py_ssize_t start, Py_ssize_t stop,
                           PyObject *label, Py_ssize_t limit, Py_ssize_t want,
                           Py_ssize_t first_read_size) {
    PyObject *rows = PyList_New(0);
    if (rows == NULL) return NULL;
    Py_ssize_t first = next_separator(buffer, start, start, stop);
    int starts_with_from = start + 5 <= size && memcmp(buffer + start, "From ", 5) == 0;
    if (starts_with_from) {
        first = start;
    } else {  /* text before the first separator is a message when it is not only whitespace */
        span before = {buffer + start, (first == -1 ? stop : first) - start};
        if (before.n > 0 && !only_space(before)) first = start;
    }
    Py_ssize_t read_size = want < first_read_size ? want : first_read_size;
    while (first != -1) {
        Py_ssize_t next = next_separator(buffer, first == start ? start : first + 5, start, stop);
        Py_ssize_t last = next == -1 ? stop : next;
        Py_ssize_t body = first;
        if (first + 5 <= size && memcmp(buffer + first, "From ", 5) == 0) {
            const char *newline = memchr(buffer + first, '\n', last - first);
            body = newline == NULL ? last : newline - buffer + 1;
        }
        span head = {buffer + body, (body + read_size < last ? body + read_size : last) - body};
        if (!head_is_enough(head, want, first_read_size))
            head.n = (body + want < last ? body + want : last) - body;
        PyObject *member = PyUnicode_FromFormat("%U%zd", label, first);
        PyObject *row = member == NULL ? NULL : row_for(member, head, NULL, limit, want);
        Py_XDECREF(member);
        if (row == NULL || PyList_Append(rows, row) < 0) {
            Py_XDECREF(row);
            Py_DECREF(rows);
            return NULL;
        }
        Py_DECREF(row);
        first = next;
    }
    return rows;
}

static PyObject *scan_mbox(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *source, *label;
    Py_ssize_t start, stop, limit, want, first_read_size;
    if (!PyArg_ParseTuple(args, "OnnUnnn:scan_mbox", &source, &start, &stop, &label, &limit, &want,
                          &first_read_size))
        return NULL;
    if (!configured()) return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(source, &view, PyBUF_SIMPLE) < 0) return NULL;
    PyObject *rows = NULL;
    if (start < 0 || stop > view.len || start > stop || first_read_size < 1) {
        PyErr_Format(PyExc_ValueError, "scan_mbox: bad range %zd..%zd of a %zd-byte buffer",
                     start, stop, view.len);
    } else {
        rows = mbox_rows(view.buf, view.len, start, stop, label, limit, want, first_read_size);
    }
    PyBuffer_Release(&view);
    return rows;
}

static PyObject *configure(PyObject *Py_UNUSED(module), PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"fallback", "parse_date_text", "message_id", "subject_hash",
                               "mailer", "public_ip", NULL};
    PyObject *callables[6];
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOO:configure", keywords, &callables[0],
                                     &callables[1], &callables[2], &callables[3],
                                     &callables[4], &callables[5]))
        return NULL;
    PyObject **slots[6] = {&py_fallback, &py_parse_date, &py_message_id, &py_subject_hash,
                           &py_mailer, &py_public_ip};
    for (int i = 0; i < 6; i++) {
        if (!PyCallable_Check(callables[i])) {
            PyErr_Format(PyExc_TypeError, "configure: %s must be callable", keywords[i]);
            return NULL;
        }
    }
    for (int i = 0; i < 6; i++) {
        Py_INCREF(callables[i]);
        Py_XSETREF(*slots[i], callables[i]);
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"scan_row", (PyCFunction)(void (*)(void))scan_row, METH_FASTCALL,
     "scan_row(member, data, header_limit, want) -> row; same result as "
     "spamlab.mail.headers.scan_row_python."},
    {"scan_mbox", (PyCFunction)scan_mbox, METH_VARARGS,
     "scan_mbox(buffer, start, stop, label, header_limit, want, first_read) -> rows of the "
     "messages between two offsets of an mbox, as spamlab.mail.containers reads them."},
    {"configure", (PyCFunction)(void (*)(void))configure, METH_VARARGS | METH_KEYWORDS,
     "Set the Python helpers that define the unusual cases."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "_scan", "Compiled fast path of spamlab.mail.headers.scan_row.", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scan(void) {
    s_empty = PyUnicode_InternFromString("");
    s_received = PyUnicode_InternFromString("received");
    s_date = PyUnicode_InternFromString("date");
    s_missing = PyUnicode_InternFromString("missing");
    s_absurd = PyUnicode_InternFromString("absurd");
    s_no_timestamp = PyUnicode_InternFromString("no_timestamp");
    if (!s_empty || !s_received || !s_date || !s_missing || !s_absurd || !s_no_timestamp)
        return NULL;
    return PyModule_Create(&module_definition);
}
