/* lz77: a compression round trip. Generates SIZE bytes of compressible data
 * (10-11.75 KiB by default: words from a vocabulary, repeated phrases from up
 * to 10000 bytes back, runs and some noise) from a seed, compresses it with
 * an LZ77 coder (hash chains over a 32 KiB window: a head table of 2^16
 * positions, 256 KiB as with zlib's memLevel 9, and a link per input position
 * on the heap; lazy matching; a search ends after 16 candidates or at a
 * 32-byte match; tokens in groups of eight behind a flag byte, a match is a
 * 16-bit offset and an 8-bit length of 3-258 bytes), printing a line per
 * 4 KiB of input, decompresses it again, checks that the result is identical
 * and prints the sizes and CRC-32s.
 * Usage: lz77 SEED [SIZE]
 * Exit code 3 when the round trip does not reproduce the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 32768
#define MIN_MATCH 3
#define MAX_MATCH (MIN_MATCH + 255)
#define HASH_BITS 16
#define MAX_CHAIN 16
#define NICE_MATCH 32 /* a match this long ends the search */
#define BLOCK 4096 /* input bytes a progress line covers */

static uint32_t rng_state;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static const char *vocab[] = {"the", "of", "and", "a", "to", "in", "is", "you", "that", "it", "he", "was",
                              "for", "on", "are", "as", "with", "his", "they", "I", "at", "be", "this",
                              "have", "from", "or", "one", "had", "by", "word", "but", "not", "what",
                              "all", "were", "we", "when", "your", "can", "said", "there", "use",
                              "compression", "window", "match", "literal", "offset", "length"};

static size_t generate(uint8_t *out, size_t size) {
    size_t n = 0;
    size_t nv = sizeof vocab / sizeof vocab[0];
    while (n < size) {
        uint32_t kind = rng() % 16;
        if (kind < 11) {
            const char *w = vocab[rng() % nv];
            size_t l = strlen(w);
            for (size_t i = 0; i < l && n < size; i++) out[n++] = (uint8_t)w[i];
            if (n < size) out[n++] = rng() % 12 ? ' ' : '\n';
        } else if (kind < 13 && n > 64) {
            /* repeat an earlier phrase */
            size_t back = 1 + rng() % (n < 10000 ? n : 10000);
            size_t l = 8 + rng() % 40;
            for (size_t i = 0; i < l && n < size; i++, n++) out[n] = out[n - back];
        } else if (kind < 14) {
            size_t l = 4 + rng() % 30;
            uint8_t c = (uint8_t)('A' + rng() % 26);
            for (size_t i = 0; i < l && n < size; i++) out[n++] = c;
        } else {
            size_t l = 1 + rng() % 12;
            for (size_t i = 0; i < l && n < size; i++) out[n++] = (uint8_t)rng();
        }
    }
    return n;
}

static uint32_t hash3(const uint8_t *p) { return ((p[0] << 16 | p[1] << 8 | p[2]) * 2654435761u) >> (32 - HASH_BITS); }

typedef struct {
    int32_t *head; /* 1 << HASH_BITS */
    int32_t *prev; /* one per input position */
} chains;

static void insert(chains *c, const uint8_t *in, size_t pos, size_t n) {
    if (pos + MIN_MATCH > n) return;
    uint32_t h = hash3(in + pos);
    c->prev[pos] = c->head[h];
    c->head[h] = (int32_t)pos;
}

static size_t longest(const chains *c, const uint8_t *in, size_t pos, size_t n, size_t *offset) {
    size_t best = 0;
    if (pos + MIN_MATCH > n) return 0;
    int32_t cand = c->head[hash3(in + pos)];
    size_t limit = n - pos < MAX_MATCH ? n - pos : MAX_MATCH;
    for (int chain = 0; cand >= 0 && chain < MAX_CHAIN; chain++, cand = c->prev[cand]) {
        size_t dist = pos - (size_t)cand;
        if (dist > WINDOW - 1 || dist == 0) break;
        size_t l = 0;
        while (l < limit && in[cand + l] == in[pos + l]) l++;
        if (l > best) {
            best = l;
            *offset = dist;
            if (l == limit || l >= NICE_MATCH) break;
        }
    }
    return best >= MIN_MATCH ? best : 0;
}

static size_t compress(const uint8_t *in, size_t n, uint8_t *out, unsigned long *matches, unsigned long *literals) {
    chains c;
    c.head = malloc(sizeof(int32_t) << HASH_BITS);
    c.prev = malloc(sizeof(int32_t) * (n + 1));
    for (int i = 0; i < 1 << HASH_BITS; i++) c.head[i] = -1;
    size_t o = 0, flag_at = 0, pos = 0, report = BLOCK;
    int ntok = 8;
    while (pos < n) {
        if (pos >= report) {
            printf("block %2zu: in=%zu out=%zu matches=%lu literals=%lu\n", report / BLOCK, pos, o, *matches, *literals);
            report += BLOCK;
        }
        if (ntok == 8) {
            flag_at = o++;
            out[flag_at] = 0;
            ntok = 0;
        }
        size_t off = 0, len = longest(&c, in, pos, n, &off);
        if (len && len < MAX_MATCH && pos + 1 < n) {
            /* lazy: prefer a longer match one byte later */
            size_t off2 = 0;
            insert(&c, in, pos, n);
            size_t len2 = longest(&c, in, pos + 1, n, &off2);
            if (len2 > len + 1) {
                out[o++] = in[pos++];
                (*literals)++;
                ntok++;
                if (ntok == 8) {
                    flag_at = o++;
                    out[flag_at] = 0;
                    ntok = 0;
                }
                len = len2;
                off = off2;
            } else {
                /* pos is already inserted */
                out[flag_at] |= (uint8_t)(1 << ntok);
                out[o++] = (uint8_t)(off >> 8);
                out[o++] = (uint8_t)off;
                out[o++] = (uint8_t)(len - MIN_MATCH);
                (*matches)++;
                ntok++;
                for (size_t i = 1; i < len; i++) insert(&c, in, pos + i, n);
                pos += len;
                continue;
            }
        }
        if (len) {
            out[flag_at] |= (uint8_t)(1 << ntok);
            out[o++] = (uint8_t)(off >> 8);
            out[o++] = (uint8_t)off;
            out[o++] = (uint8_t)(len - MIN_MATCH);
            (*matches)++;
            for (size_t i = 0; i < len; i++) insert(&c, in, pos + i, n);
            pos += len;
        } else {
            insert(&c, in, pos, n);
            out[o++] = in[pos++];
            (*literals)++;
        }
        ntok++;
    }
    free(c.prev);
    free(c.head);
    return o;
}

static long decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t flags = in[i++];
        for (int t = 0; t < 8 && i < n; t++) {
            if (flags >> t & 1) {
                if (i + 3 > n) return -1;
                size_t off = (size_t)in[i] << 8 | in[i + 1], len = (size_t)in[i + 2] + MIN_MATCH;
                i += 3;
                if (off == 0 || off > o || o + len > cap) return -1;
                for (size_t k = 0; k < len; k++, o++) out[o] = out[o - off];
            } else {
                if (o >= cap) return -1;
                out[o++] = in[i++];
            }
        }
    }
    return (long)o;
}

int main(int argc, char **argv) {
    uint32_t seed = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1;
    size_t size = argc > 2 ? strtoul(argv[2], NULL, 10) : 10240 + (seed % 8) * 256;
    rng_state = seed * 2246822519u + 374761393u;
    if (!rng_state) rng_state = 1;
    crc_init();

    uint8_t *data = malloc(size), *packed = malloc(size + size / 8 + 16), *back = malloc(size);
    if (!data || !packed || !back) return 1;
    size_t n = generate(data, size);
    unsigned long matches = 0, literals = 0;
    size_t clen = compress(data, n, packed, &matches, &literals);
    long dlen = decompress(packed, clen, back, size);
    printf("seed=%u size=%zu packed=%zu ratio=%.4f matches=%lu literals=%lu\n", seed, n, clen, (double)clen / n,
           matches, literals);
    printf("crc(data)=%08x crc(packed)=%08x\n", crc32(data, n), crc32(packed, clen));
    if (dlen != (long)n || memcmp(data, back, n) != 0) {
        printf("round trip FAILED: %ld bytes back\n", dlen);
        return 3;
    }
    printf("round trip ok crc(back)=%08x\n", crc32(back, (size_t)dlen));
    free(back);
    free(packed);
    free(data);
    return 0;
}
