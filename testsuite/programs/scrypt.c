/* scrypt: the memory-hard key derivation function of RFC 7914 (salsa20/8,
 * BlockMix, ROMix over N * 128 * r bytes of heap, PBKDF2-HMAC-SHA256 around
 * it), with SHA-256 implemented here, over a per-VM password.
 * Usage: scrypt PASSWORD
 * Checks the RFC 7914 test vector (P="", S="", N=16, r=1, p=1) first, then
 * prints scrypt(PASSWORD, "vv-NaCl", N=SCRYPT_N, r=SCRYPT_R, p=1, 32 bytes) in
 * hex and the size of the ROMix array. Exit code 2 when the self-test
 * fails. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRYPT_N 512
#define SCRYPT_R 2

typedef struct {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t used;
} sha256_ctx;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(uint32_t h[8], const uint8_t *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g; g = f; f = e; e = d + t1;
        d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d;
    h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha256_init(sha256_ctx *c) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, iv, sizeof iv);
    c->len = 0;
    c->used = 0;
}

static void sha256_update(sha256_ctx *c, const void *data, size_t n) {
    const uint8_t *p = data;
    c->len += n;
    while (n > 0) {
        size_t take = 64 - c->used;
        if (take > n) take = n;
        memcpy(c->buf + c->used, p, take);
        c->used += take;
        p += take;
        n -= take;
        if (c->used == 64) {
            sha256_block(c->h, c->buf);
            c->used = 0;
        }
    }
}

static void sha256_final(sha256_ctx *c, uint8_t out[32]) {
    uint64_t bits = c->len * 8;
    uint8_t pad = 0x80;
    sha256_update(c, &pad, 1);
    pad = 0;
    while (c->used != 56) sha256_update(c, &pad, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(c, len, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

static void sha256(const void *data, size_t n, uint8_t out[32]) {
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, data, n);
    sha256_final(&c, out);
}

/* HMAC with the key's inner and outer states computed once. */
typedef struct {
    sha256_ctx inner, outer;
} hmac_key;

static void hmac_setup(hmac_key *k, const uint8_t *key, size_t n) {
    uint8_t block[64] = {0}, pad[64];
    if (n > 64) sha256(key, n, block);
    else memcpy(block, key, n);
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x36;
    sha256_init(&k->inner);
    sha256_update(&k->inner, pad, 64);
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x5c;
    sha256_init(&k->outer);
    sha256_update(&k->outer, pad, 64);
}

static void hmac(const hmac_key *k, const uint8_t *m1, size_t n1, const uint8_t *m2, size_t n2, uint8_t out[32]) {
    sha256_ctx c = k->inner;
    uint8_t ih[32];
    sha256_update(&c, m1, n1);
    sha256_update(&c, m2, n2);
    sha256_final(&c, ih);
    c = k->outer;
    sha256_update(&c, ih, 32);
    sha256_final(&c, out);
}

static void pbkdf2_sha256(const uint8_t *pw, size_t pwlen, const uint8_t *salt, size_t saltlen, unsigned iters,
                          uint8_t *out, size_t outlen) {
    hmac_key k;
    hmac_setup(&k, pw, pwlen);
    for (uint32_t block = 1; outlen > 0; block++) {
        uint8_t be[4] = {(uint8_t)(block >> 24), (uint8_t)(block >> 16), (uint8_t)(block >> 8), (uint8_t)block};
        uint8_t u[32], t[32];
        hmac(&k, salt, saltlen, be, 4, u);
        memcpy(t, u, 32);
        for (unsigned i = 1; i < iters; i++) {
            hmac(&k, u, 32, NULL, 0, u);
            for (int j = 0; j < 32; j++) t[j] ^= u[j];
        }
        size_t take = outlen < 32 ? outlen : 32;
        memcpy(out, t, take);
        out += take;
        outlen -= take;
    }
}

static uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

/* salsa20/8 core, in place on 16 words. */
static void salsa20_8(uint32_t b[16]) {
    uint32_t x[16];
    memcpy(x, b, 64);
    for (int i = 0; i < 8; i += 2) {
        x[4] ^= rotl(x[0] + x[12], 7);  x[8] ^= rotl(x[4] + x[0], 9);
        x[12] ^= rotl(x[8] + x[4], 13); x[0] ^= rotl(x[12] + x[8], 18);
        x[9] ^= rotl(x[5] + x[1], 7);   x[13] ^= rotl(x[9] + x[5], 9);
        x[1] ^= rotl(x[13] + x[9], 13); x[5] ^= rotl(x[1] + x[13], 18);
        x[14] ^= rotl(x[10] + x[6], 7); x[2] ^= rotl(x[14] + x[10], 9);
        x[6] ^= rotl(x[2] + x[14], 13); x[10] ^= rotl(x[6] + x[2], 18);
        x[3] ^= rotl(x[15] + x[11], 7); x[7] ^= rotl(x[3] + x[15], 9);
        x[11] ^= rotl(x[7] + x[3], 13); x[15] ^= rotl(x[11] + x[7], 18);
        x[1] ^= rotl(x[0] + x[3], 7);   x[2] ^= rotl(x[1] + x[0], 9);
        x[3] ^= rotl(x[2] + x[1], 13);  x[0] ^= rotl(x[3] + x[2], 18);
        x[6] ^= rotl(x[5] + x[4], 7);   x[7] ^= rotl(x[6] + x[5], 9);
        x[4] ^= rotl(x[7] + x[6], 13);  x[5] ^= rotl(x[4] + x[7], 18);
        x[11] ^= rotl(x[10] + x[9], 7); x[8] ^= rotl(x[11] + x[10], 9);
        x[9] ^= rotl(x[8] + x[11], 13); x[10] ^= rotl(x[9] + x[8], 18);
        x[12] ^= rotl(x[15] + x[14], 7); x[13] ^= rotl(x[12] + x[15], 9);
        x[14] ^= rotl(x[13] + x[12], 13); x[15] ^= rotl(x[14] + x[13], 18);
    }
    for (int i = 0; i < 16; i++) b[i] += x[i];
}

/* BlockMix_salsa20/8 of 2r 64-byte blocks from b into y (as words). */
static void blockmix(const uint32_t *b, uint32_t *y, int r) {
    uint32_t x[16];
    memcpy(x, &b[(2 * r - 1) * 16], 64);
    for (int i = 0; i < 2 * r; i++) {
        for (int j = 0; j < 16; j++) x[j] ^= b[i * 16 + j];
        salsa20_8(x);
        /* even blocks to the first half, odd blocks to the second */
        memcpy(&y[((i & 1) * r + i / 2) * 16], x, 64);
    }
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

static void put_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* ROMix on one 128r-byte block B; v holds N * 32r words, xy 64r words. */
static void romix(uint8_t *B, int r, uint32_t N, uint32_t *v, uint32_t *xy) {
    size_t words = 32 * (size_t)r;
    uint32_t *x = xy, *y = xy + words;
    for (size_t k = 0; k < words; k++) x[k] = le32(&B[4 * k]);
    for (uint32_t i = 0; i < N; i++) {
        memcpy(&v[i * words], x, words * 4);
        blockmix(x, y, r);
        memcpy(x, y, words * 4);
    }
    for (uint32_t i = 0; i < N; i++) {
        uint32_t j = x[(2 * r - 1) * 16] & (N - 1);
        for (size_t k = 0; k < words; k++) x[k] ^= v[j * words + k];
        blockmix(x, y, r);
        memcpy(x, y, words * 4);
    }
    for (size_t k = 0; k < words; k++) put_le32(&B[4 * k], x[k]);
}

static int scrypt(const uint8_t *pw, size_t pwlen, const uint8_t *salt, size_t saltlen, uint32_t N, int r, int p,
                  uint8_t *out, size_t outlen) {
    size_t blk = 128 * (size_t)r;
    uint8_t *B = malloc(blk * p);
    uint32_t *v = malloc(blk * N);
    uint32_t *xy = malloc(2 * blk);
    if (!B || !v || !xy) return -1;
    pbkdf2_sha256(pw, pwlen, salt, saltlen, 1, B, blk * p);
    for (int i = 0; i < p; i++) romix(&B[i * blk], r, N, v, xy);
    pbkdf2_sha256(pw, pwlen, B, blk * p, 1, out, outlen);
    free(xy);
    free(v);
    free(B);
    return 0;
}

static void hex(const uint8_t *p, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

int main(int argc, char **argv) {
    const char *pw = argc > 1 ? argv[1] : "";
    uint8_t key[64];
    char h[129];

    if (scrypt((const uint8_t *)"", 0, (const uint8_t *)"", 0, 16, 1, 1, key, 64)) return 1;
    hex(key, 64, h);
    const char *want = "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
                       "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906";
    if (strcmp(h, want) != 0) {
        fprintf(stderr, "self-test failed: got %s\n", h);
        return 2;
    }
    printf("self-test ok\n");

    if (scrypt((const uint8_t *)pw, strlen(pw), (const uint8_t *)"vv-NaCl", 7, SCRYPT_N, SCRYPT_R, 1, key, 32))
        return 1;
    hex(key, 32, h);
    printf("scrypt(%s, vv-NaCl, N=%d, r=%d, p=1) = %s\n", pw, SCRYPT_N, SCRYPT_R, h);
    printf("memory = %d KiB\n", 128 * SCRYPT_R * SCRYPT_N / 1024);
    return 0;
}
