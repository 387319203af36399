/* regex: string search over generated text. A small backtracking regular
 * expression matcher (literals, '.', classes [a-z0-9_] and [^...], the
 * escapes \d \w \s, the quantifiers * + ? (greedy), anchors ^ and $) finds
 * all leftmost non-overlapping matches of several patterns; KMP and a naive
 * scan count a literal and must agree, and so must a trigram index of the
 * text (a head table of 2^16 hash buckets, 256 KiB, a link per position and
 * a byte of count per bucket) for the literals of 3 or more bytes.
 * Usage: regex SEED [PATTERN]
 * The text (1.2 to 2 KiB of words, numbers, e-mail-like and date-like tokens)
 * is generated from SEED. Prints per pattern the match count, the first
 * matches and a checksum of all match positions, the index's statistics and
 * the literal counts. Exit code 4 when KMP, the naive scan and the index
 * disagree; 2 for a malformed PATTERN. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng_state;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* A compiled pattern: a sequence of items, each a character set and a
 * quantifier. */
typedef struct {
    uint8_t set[32]; /* bitmap of the bytes this item matches */
    char quant;      /* 0, '*', '+', '?' */
} item;

typedef struct {
    item items[64];
    int n;
    int anchored_start, anchored_end;
} pattern;

static void set_bit(uint8_t *s, int c) { s[c >> 3] |= (uint8_t)(1 << (c & 7)); }
static int has_bit(const uint8_t *s, int c) { return s[c >> 3] >> (c & 7) & 1; }

static void set_escape(uint8_t *s, char e) {
    switch (e) {
    case 'd': for (int c = '0'; c <= '9'; c++) set_bit(s, c); break;
    case 'w':
        for (int c = 0; c < 256; c++)
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') set_bit(s, c);
        break;
    case 's': set_bit(s, ' '); set_bit(s, '\t'); set_bit(s, '\n'); set_bit(s, '\r'); break;
    case 'n': set_bit(s, '\n'); break;
    case 't': set_bit(s, '\t'); break;
    default: set_bit(s, (unsigned char)e);
    }
}

static int compile(const char *re, pattern *p) {
    memset(p, 0, sizeof *p);
    if (*re == '^') { p->anchored_start = 1; re++; }
    while (*re) {
        if (re[0] == '$' && re[1] == 0) { p->anchored_end = 1; break; }
        if (p->n == 64) return -1;
        item *it = &p->items[p->n++];
        if (*re == '.') {
            for (int c = 0; c < 256; c++) if (c != '\n') set_bit(it->set, c);
            re++;
        } else if (*re == '\\') {
            if (!re[1]) return -1;
            set_escape(it->set, re[1]);
            re += 2;
        } else if (*re == '[') {
            int negate = 0;
            uint8_t s[32] = {0};
            re++;
            if (*re == '^') { negate = 1; re++; }
            int first = 1;
            while (*re && (*re != ']' || first)) {
                first = 0;
                if (*re == '\\' && re[1]) { set_escape(s, re[1]); re += 2; continue; }
                int lo = (unsigned char)*re, hi = lo;
                if (re[1] == '-' && re[2] && re[2] != ']') { hi = (unsigned char)re[2]; re += 3; }
                else re++;
                for (int c = lo; c <= hi; c++) set_bit(s, c);
            }
            if (*re != ']') return -1;
            re++;
            for (int i = 0; i < 32; i++) it->set[i] = negate ? (uint8_t)~s[i] : s[i];
        } else if (*re == '*' || *re == '+' || *re == '?') {
            return -1;
        } else {
            set_bit(it->set, (unsigned char)*re);
            re++;
        }
        if (*re == '*' || *re == '+' || *re == '?') it->quant = *re++;
    }
    return 0;
}

static unsigned long steps;

/* Backtracking: the end of a match of items[i..] at text[at..], or -1. */
static long match_here(const pattern *p, int i, const char *text, long at, long len) {
    steps++;
    if (i == p->n) return (!p->anchored_end || at == len) ? at : -1;
    const item *it = &p->items[i];
    if (it->quant == 0) {
        if (at < len && has_bit(it->set, (unsigned char)text[at])) return match_here(p, i + 1, text, at + 1, len);
        return -1;
    }
    long max = it->quant == '?' ? 1 : len - at;
    long n = 0;
    while (n < max && at + n < len && has_bit(it->set, (unsigned char)text[at + n])) n++;
    long min = it->quant == '+' ? 1 : 0;
    for (; n >= min; n--) {
        long e = match_here(p, i + 1, text, at + n, len);
        if (e >= 0) return e;
    }
    return -1;
}

static void kmp_table(const char *w, long m, long *fail) {
    fail[0] = -1;
    long k = -1;
    for (long i = 1; i < m; i++) {
        while (k >= 0 && w[k + 1] != w[i]) k = fail[k];
        if (w[k + 1] == w[i]) k++;
        fail[i] = k;
    }
}

static long kmp_count(const char *t, long n, const char *w, long m, long *fail) {
    long count = 0, k = -1;
    for (long i = 0; i < n; i++) {
        while (k >= 0 && w[k + 1] != t[i]) k = fail[k];
        if (w[k + 1] == t[i]) k++;
        if (k == m - 1) {
            count++;
            k = fail[k];
        }
    }
    return count;
}

static long naive_count(const char *t, long n, const char *w, long m) {
    long count = 0;
    for (long i = 0; i + m <= n; i++)
        if (memcmp(t + i, w, (size_t)m) == 0) count++;
    return count;
}

static const char *words[] = {"alpha", "beta", "gamma", "delta", "abba", "abab", "the", "cat", "catalog",
                              "data", "date", "error", "warning", "info", "aaab", "x"};

static long put(char *t, long n, const char *s) {
    while (*s) t[n++] = *s++;
    return n;
}

static long put_uint(char *t, long n, uint32_t v, int width) {
    char d[12];
    int k = 0;
    do {
        d[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k < width) d[k++] = '0';
    while (k) t[n++] = d[--k];
    return n;
}

static long generate(char *t, long cap) {
    long n = 0;
    while (n < cap - 64) {
        uint32_t k = rng() % 10;
        if (k < 5) {
            long at = n;
            n = put(t, n, words[rng() % 16]);
            if (rng() % 8 == 0) t[at] = (char)(t[at] - 'a' + 'A');
        } else if (k < 7) {
            n = put_uint(t, n, rng() % 100000, 1);
        } else if (k < 8) {
            n = put(t, n, words[rng() % 16]);
            t[n++] = '.';
            n = put(t, n, words[rng() % 16]);
            t[n++] = '@';
            n = put(t, n, words[rng() % 16]);
            n = put(t, n, ".org");
        } else if (k < 9) {
            n = put(t, n, "20");
            n = put_uint(t, n, rng() % 30, 2);
            t[n++] = '-';
            n = put_uint(t, n, 1 + rng() % 12, 2);
            t[n++] = '-';
            n = put_uint(t, n, 1 + rng() % 28, 2);
        } else {
            n = put(t, n, words[rng() % 16]);
            n = put(t, n, words[rng() % 16]);
        }
        t[n++] = rng() % 9 ? ' ' : '\n';
    }
    t[n] = 0;
    return n;
}

static void search(const char *re, const char *text, long len) {
    pattern p;
    if (compile(re, &p)) {
        printf("bad pattern %s\n", re);
        exit(2);
    }
    long count = 0, at = 0;
    uint32_t sum = 0;
    char first[3][24];
    unsigned long before = steps;
    while (at <= len) {
        long e = match_here(&p, 0, text, at, len);
        if (e < 0) {
            if (p.anchored_start) break;
            at++;
            continue;
        }
        if (count < 3) {
            long l = e - at < 23 ? e - at : 23;
            memcpy(first[count], text + at, (size_t)l);
            first[count][l] = 0;
            for (long i = 0; i < l; i++) if (first[count][i] == '\n') first[count][i] = '|';
        }
        count++;
        sum = sum * 31 + (uint32_t)at * 7 + (uint32_t)(e - at);
        if (p.anchored_start) break;
        at = e > at ? e : at + 1;
    }
    printf("/%s/ matches=%ld sum=%08x steps=%lu", re, count, sum, steps - before);
    for (long i = 0; i < count && i < 3; i++) printf(" [%s]", first[i]);
    printf("\n");
}

/* The trigram index: head[h] is the last position whose 3 bytes hash to h
 * (-1: none), next[p] the position before p with the same hash, fill[h] how
 * many positions hash to h (at most 255). */
#define TRI_BITS 16

typedef struct {
    int32_t *head, *next;
    uint8_t *fill;
} trigrams;

static uint32_t tri_hash(const char *p) {
    uint32_t k = (uint32_t)(uint8_t)p[0] << 16 | (uint32_t)(uint8_t)p[1] << 8 | (uint8_t)p[2];
    return (k * 2654435761u) >> (32 - TRI_BITS);
}

static int tri_build(trigrams *t, const char *text, long len) {
    t->head = malloc(sizeof(int32_t) << TRI_BITS);
    t->next = malloc(sizeof(int32_t) * (size_t)(len > 0 ? len : 1));
    t->fill = calloc((size_t)1 << TRI_BITS, 1);
    if (!t->head || !t->next || !t->fill) return -1;
    memset(t->head, 0xff, sizeof(int32_t) << TRI_BITS);
    for (long p = 0; p + 3 <= len; p++) {
        uint32_t h = tri_hash(text + p);
        t->next[p] = t->head[h];
        t->head[h] = (int32_t)p;
        if (t->fill[h] < 255) t->fill[h]++;
    }
    return 0;
}

/* Occurrences of w (m >= 3 bytes) through the index. */
static long tri_count(const trigrams *t, const char *text, const char *w, long m) {
    long count = 0;
    for (int32_t p = t->head[tri_hash(w)]; p >= 0; p = t->next[p])
        if (memcmp(text + p, w, (size_t)m) == 0) count++;
    return count;
}

int main(int argc, char **argv) {
    uint32_t seed = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 0;
    rng_state = seed * 2654435761u ^ 0x9e3779b9u;
    if (!rng_state) rng_state = 1;
    long cap = 1280 + (long)(seed % 4) * 256;
    char *text = malloc((size_t)cap + 1);
    if (!text) return 1;
    long len = generate(text, cap);
    printf("text=%ld bytes\n", len);

    if (argc > 2) {
        search(argv[2], text, len);
    } else {
        static const char *patterns[] = {"\\d\\d\\d\\d-\\d\\d-\\d\\d", "\\w+@\\w+\\.org", "cat\\w*", "a+b",
                                         "[^ \\n]+ing", "^\\w+", "e.?r", "[A-Z][a-z]+", "\\d+\\s", "[a-z]+log$"};
        for (int i = 0; i < (int)(sizeof patterns / sizeof patterns[0]); i++) search(patterns[i], text, len);
    }

    trigrams tri;
    if (tri_build(&tri, text, len)) return 1;
    long used = 0, fullest = 0;
    for (long h = 0; h < 1L << TRI_BITS; h++) {
        used += tri.fill[h] != 0;
        if (tri.fill[h] > tri.fill[fullest]) fullest = h;
    }
    printf("trigrams=%ld buckets=%ld fullest=%ld (%u, \"%.3s\")\n", len >= 3 ? len - 2 : 0, used, fullest,
           tri.fill[fullest], tri.head[fullest] >= 0 ? text + tri.head[fullest] : "");

    static const char *lits[] = {"abab", "aab", "ta", "catalog", "0"};
    for (int i = 0; i < 5; i++) {
        long m = (long)strlen(lits[i]);
        long *fail = malloc(sizeof(long) * (size_t)m);
        kmp_table(lits[i], m, fail);
        long a = kmp_count(text, len, lits[i], m, fail), b = naive_count(text, len, lits[i], m);
        long c = m >= 3 ? tri_count(&tri, text, lits[i], m) : b;
        printf("\"%s\" kmp=%ld naive=%ld", lits[i], a, b);
        if (m >= 3) printf(" index=%ld", c);
        printf("\n");
        free(fail);
        if (a != b || b != c) return 4;
    }
    free(tri.fill);
    free(tri.next);
    free(tri.head);
    free(text);
    return 0;
}
