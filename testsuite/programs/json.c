/* json: a recursive-descent JSON parser and serializer. Reads one JSON
 * document from stdin into a growing buffer, builds a tree of malloc'd
 * nodes (objects and arrays grow with realloc; strings are decoded, \uXXXX
 * escapes and surrogate pairs included, to UTF-8, runs of plain bytes
 * copied at once; numbers go through strtod), then serializes it compactly
 * into one growing buffer and with every object's keys sorted (qsort) into
 * another, both kept: prints the start of each (all of a short one), their
 * lengths (which must agree) and FNV-1a hashes (of 32-bit words), node
 * counts by type, the depth and the sum of all numbers. Strings that need
 * no escapes are written in one copy. With the test's documents of 38-59 KiB
 * the heap peaks at 270-470 KiB.
 * Usage: json < document
 * Invalid input: a message with the byte offset on stderr, exit code 1;
 * exit code 2 when the two serializations differ in length. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

typedef struct node {
    enum kind kind;
    double num;
    char *str; /* J_STRING: the decoded bytes */
    size_t len;
    struct node **items; /* J_ARRAY: elements; J_OBJECT: values */
    struct node **keys;  /* J_OBJECT: J_STRING keys */
    size_t count, cap;
    int plain; /* J_STRING: no byte needs escaping on output */
} node;

static const char *src;
static size_t pos, srclen;
static unsigned long counts[7];
static int max_depth;

static void fail(const char *what) {
    fprintf(stderr, "json: error at byte %zu: %s\n", pos, what);
    exit(1);
}

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n);
    if (!p) fail("out of memory");
    return p;
}

static node *new_node(enum kind k) {
    node *n = calloc(1, sizeof(node));
    if (!n) fail("out of memory");
    n->kind = k;
    counts[k]++;
    return n;
}

static void ws(void) {
    while (pos < srclen && (src[pos] == ' ' || src[pos] == '\t' || src[pos] == '\n' || src[pos] == '\r')) pos++;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static unsigned hex4(void) {
    if (pos + 4 > srclen) fail("short \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(src[pos + i]);
        if (h < 0) fail("bad \\u escape");
        v = v << 4 | (unsigned)h;
    }
    pos += 4;
    return v;
}

static void put_bytes(node *s, const char *b, size_t n) {
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->str = xrealloc(s->str, s->cap);
    }
    memcpy(s->str + s->len, b, n);
    s->len += n;
    s->str[s->len] = 0;
}

static void put_utf8(node *s, unsigned cp) {
    char b[4];
    if (cp < 0x20 || cp == '"' || cp == '\\') s->plain = 0;
    size_t n;
    if (cp < 0x80) { b[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { b[0] = (char)(0xc0 | cp >> 6); b[1] = (char)(0x80 | (cp & 63)); n = 2; }
    else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | cp >> 12); b[1] = (char)(0x80 | (cp >> 6 & 63)); b[2] = (char)(0x80 | (cp & 63)); n = 3;
    } else {
        b[0] = (char)(0xf0 | cp >> 18); b[1] = (char)(0x80 | (cp >> 12 & 63));
        b[2] = (char)(0x80 | (cp >> 6 & 63)); b[3] = (char)(0x80 | (cp & 63)); n = 4;
    }
    put_bytes(s, b, n);
}

static node *parse_string(void) {
    node *s = new_node(J_STRING);
    s->cap = 16;
    s->str = xrealloc(NULL, s->cap);
    s->str[0] = 0;
    s->plain = 1;
    pos++; /* opening quote */
    for (;;) {
        if (pos >= srclen) fail("unterminated string");
        unsigned char c = (unsigned char)src[pos++];
        if (c == '"') break;
        if (c < 0x20) fail("control character in string");
        if (c != '\\') {
            /* a run of plain bytes (UTF-8 passes through) in one copy */
            size_t start = pos - 1, end = pos, n = srclen; /* locals: src may alias pos */
            const char *p = src;
            while (end < n && p[end] != '"' && p[end] != '\\' && (unsigned char)p[end] >= 0x20) end++;
            pos = end;
            put_bytes(s, src + start, end - start);
            continue;
        }
        if (pos >= srclen) fail("unterminated escape");
        char e = src[pos++];
        switch (e) {
        case '"': put_utf8(s, '"'); break;
        case '\\': put_utf8(s, '\\'); break;
        case '/': put_utf8(s, '/'); break;
        case 'b': put_utf8(s, '\b'); break;
        case 'f': put_utf8(s, '\f'); break;
        case 'n': put_utf8(s, '\n'); break;
        case 'r': put_utf8(s, '\r'); break;
        case 't': put_utf8(s, '\t'); break;
        case 'u': {
            unsigned cp = hex4();
            if (cp >= 0xd800 && cp < 0xdc00) {
                if (pos + 2 > srclen || src[pos] != '\\' || src[pos + 1] != 'u') fail("lone high surrogate");
                pos += 2;
                unsigned lo = hex4();
                if (lo < 0xdc00 || lo >= 0xe000) fail("bad low surrogate");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp < 0xe000) {
                fail("lone low surrogate");
            }
            put_utf8(s, cp);
            break;
        }
        default: fail("bad escape");
        }
    }
    return s;
}

static node *parse_number(void) {
    size_t start = pos;
    if (src[pos] == '-') pos++;
    if (pos < srclen && src[pos] == '0') pos++;
    else if (pos < srclen && src[pos] >= '1' && src[pos] <= '9') while (pos < srclen && src[pos] >= '0' && src[pos] <= '9') pos++;
    else fail("bad number");
    if (pos < srclen && src[pos] == '.') {
        pos++;
        if (pos >= srclen || src[pos] < '0' || src[pos] > '9') fail("bad fraction");
        while (pos < srclen && src[pos] >= '0' && src[pos] <= '9') pos++;
    }
    if (pos < srclen && (src[pos] == 'e' || src[pos] == 'E')) {
        pos++;
        if (pos < srclen && (src[pos] == '+' || src[pos] == '-')) pos++;
        if (pos >= srclen || src[pos] < '0' || src[pos] > '9') fail("bad exponent");
        while (pos < srclen && src[pos] >= '0' && src[pos] <= '9') pos++;
    }
    char buf[64];
    size_t n = pos - start;
    if (n >= sizeof buf) fail("number too long");
    memcpy(buf, src + start, n);
    buf[n] = 0;
    node *v = new_node(J_NUMBER);
    v->num = strtod(buf, NULL);
    return v;
}

static void push(node *parent, node *key, node *value) {
    if (parent->count == parent->cap) {
        parent->cap = parent->cap ? parent->cap * 2 : 4;
        parent->items = xrealloc(parent->items, parent->cap * sizeof(node *));
        if (key) parent->keys = xrealloc(parent->keys, parent->cap * sizeof(node *));
    }
    if (key) parent->keys[parent->count] = key;
    parent->items[parent->count++] = value;
}

static int literal(const char *word) {
    size_t n = strlen(word);
    if (pos + n <= srclen && memcmp(src + pos, word, n) == 0) {
        pos += n;
        return 1;
    }
    return 0;
}

static node *parse_value(int depth) {
    if (depth > 100) fail("nested too deeply");
    if (depth > max_depth) max_depth = depth;
    ws();
    if (pos >= srclen) fail("unexpected end of input");
    char c = src[pos];
    if (c == '{') {
        node *o = new_node(J_OBJECT);
        pos++;
        ws();
        if (pos < srclen && src[pos] == '}') { pos++; return o; }
        for (;;) {
            ws();
            if (pos >= srclen || src[pos] != '"') fail("expected a key");
            node *k = parse_string();
            ws();
            if (pos >= srclen || src[pos] != ':') fail("expected ':'");
            pos++;
            push(o, k, parse_value(depth + 1));
            ws();
            if (pos < srclen && src[pos] == ',') { pos++; continue; }
            if (pos < srclen && src[pos] == '}') { pos++; return o; }
            fail("expected ',' or '}'");
        }
    }
    if (c == '[') {
        node *a = new_node(J_ARRAY);
        pos++;
        ws();
        if (pos < srclen && src[pos] == ']') { pos++; return a; }
        for (;;) {
            push(a, NULL, parse_value(depth + 1));
            ws();
            if (pos < srclen && src[pos] == ',') { pos++; continue; }
            if (pos < srclen && src[pos] == ']') { pos++; return a; }
            fail("expected ',' or ']'");
        }
    }
    if (c == '"') return parse_string();
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
    if (literal("true")) return new_node(J_TRUE);
    if (literal("false")) return new_node(J_FALSE);
    if (literal("null")) return new_node(J_NULL);
    fail("unexpected character");
    return NULL;
}

/* Output into a growing buffer (moved aside after the first serialization). */
static char *out;
static size_t outlen, outcap;

static void emit(const char *s, size_t n) {
    if (outlen + n + 1 > outcap) {
        outcap = (outlen + n + 1) * 2;
        out = xrealloc(out, outcap);
    }
    memcpy(out + outlen, s, n);
    outlen += n;
    out[outlen] = 0;
}

static void emits(const char *s) { emit(s, strlen(s)); }

static void emit_string(const node *s) {
    emit("\"", 1);
    if (s->plain) {
        emit(s->str, s->len);
        emit("\"", 1);
        return;
    }
    for (size_t i = 0; i < s->len; i++) {
        unsigned char c = (unsigned char)s->str[i];
        char b[8];
        if (c >= 0x20 && c != '"' && c != '\\') {
            /* a run that needs no escapes, in one copy */
            size_t start = i;
            while (i + 1 < s->len && (unsigned char)s->str[i + 1] >= 0x20 && s->str[i + 1] != '"' && s->str[i + 1] != '\\') i++;
            emit(s->str + start, i + 1 - start);
            continue;
        }
        switch (c) {
        case '"': emits("\\\""); break;
        case '\\': emits("\\\\"); break;
        case '\n': emits("\\n"); break;
        case '\t': emits("\\t"); break;
        case '\r': emits("\\r"); break;
        default:
            if (c < 0x20) {
                snprintf(b, sizeof b, "\\u%04x", c);
                emits(b);
            } else {
                emit((const char *)&c, 1);
            }
        }
    }
    emit("\"", 1);
}

static double sum;

static void emit_number(double v) {
    char b[40];
    if (v == (double)(long long)v && v > -1e15 && v < 1e15) snprintf(b, sizeof b, "%lld", (long long)v);
    else snprintf(b, sizeof b, "%.17g", v);
    emits(b);
}

static int sorted;

static int key_order(const void *a, const void *b) {
    const node *const *x = a, *const *y = b;
    const node *kx = x[0], *ky = y[0];
    size_t n = kx->len < ky->len ? kx->len : ky->len;
    int c = memcmp(kx->str, ky->str, n);
    if (c) return c;
    if (kx->len != ky->len) return kx->len < ky->len ? -1 : 1;
    /* equal keys keep their document order: keys were allocated in it */
    return ((uintptr_t)kx > (uintptr_t)ky) - ((uintptr_t)kx < (uintptr_t)ky);
}

static void serialize(const node *n) {
    switch (n->kind) {
    case J_NULL: emits("null"); break;
    case J_FALSE: emits("false"); break;
    case J_TRUE: emits("true"); break;
    case J_NUMBER: emit_number(n->num); break;
    case J_STRING: emit_string(n); break;
    case J_ARRAY:
        emit("[", 1);
        for (size_t i = 0; i < n->count; i++) {
            if (i) emit(",", 1);
            serialize(n->items[i]);
        }
        emit("]", 1);
        break;
    case J_OBJECT: {
        /* pairs as (key, value) to sort by key */
        node **pairs = xrealloc(NULL, (n->count ? n->count : 1) * 2 * sizeof(node *));
        for (size_t i = 0; i < n->count; i++) {
            pairs[2 * i] = n->keys[i];
            pairs[2 * i + 1] = n->items[i];
        }
        if (sorted) qsort(pairs, n->count, 2 * sizeof(node *), key_order);
        emit("{", 1);
        for (size_t i = 0; i < n->count; i++) {
            if (i) emit(",", 1);
            emit_string(pairs[2 * i]);
            emit(":", 1);
            serialize(pairs[2 * i + 1]);
        }
        emit("}", 1);
        free(pairs);
        break;
    }
    }
}

static void walk(const node *n, size_t *strbytes) {
    if (n->kind == J_NUMBER) sum += n->num;
    if (n->kind == J_STRING) *strbytes += n->len;
    for (size_t i = 0; i < n->count; i++) {
        if (n->keys) walk(n->keys[i], strbytes);
        walk(n->items[i], strbytes);
    }
}

static void release(node *n) {
    for (size_t i = 0; i < n->count; i++) {
        if (n->keys) release(n->keys[i]);
        release(n->items[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->str);
    free(n);
}

/* FNV-1a over the little-endian 32-bit words of p (the last one padded
 * with zeros), then the length. */
static uint32_t fnv(const char *p, size_t n) {
    uint32_t h = 2166136261u, w;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        memcpy(&w, p + i, 4);
        h = (h ^ w) * 16777619u;
    }
    if (i < n) {
        w = 0;
        memcpy(&w, p + i, n - i);
        h = (h ^ w) * 16777619u;
    }
    return (h ^ (uint32_t)n) * 16777619u;
}

/* The serialization s of n bytes: all of it when short, else about its
 * first and last 160 bytes (cut between UTF-8 sequences). */
static void print_start(const char *what, const char *s, size_t n) {
    if (n <= 400) {
        printf("%s%s\n", what, s);
        return;
    }
    size_t head = 160, tail = n - 160;
    while ((s[head] & 0xc0) == 0x80) head--;
    while ((s[tail] & 0xc0) == 0x80) tail++;
    printf("%s%.*s ... %s\n", what, (int)head, s, s + tail);
}

int main(void) {
    size_t cap = 4096, n;
    char *buf = malloc(cap);
    srclen = 0;
    while (buf && (n = fread(buf + srclen, 1, cap - srclen, stdin)) > 0) {
        srclen += n;
        if (srclen == cap) buf = realloc(buf, cap *= 2);
    }
    if (!buf) return 1;
    src = buf;
    pos = 0;
    node *root = parse_value(0);
    ws();
    if (pos != srclen) fail("trailing characters");

    serialize(root);
    char *compact = out;
    size_t len1 = outlen;
    out = NULL;
    outlen = outcap = 0;
    sorted = 1;
    serialize(root);
    print_start("", compact, len1);
    print_start("sorted: ", out, outlen);
    size_t strbytes = 0;
    walk(root, &strbytes);
    printf("input=%zu compact=%zu sorted=%zu fnv=%08x sorted_fnv=%08x\n", srclen, len1, outlen, fnv(compact, len1),
           fnv(out, outlen));
    printf("null=%lu false=%lu true=%lu number=%lu string=%lu array=%lu object=%lu depth=%d\n", counts[0],
           counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], max_depth);
    printf("sum=%.6f strbytes=%zu\n", sum, strbytes);
    if (len1 != outlen) {
        fprintf(stderr, "json: the sorted serialization has %zu bytes, the compact one %zu\n", outlen, len1);
        return 2;
    }
    free(compact);
    release(root);
    free(out);
    free(buf);
    return 0;
}
