/* scrypt: the memory-hard key derivation function of RFC 7914 (salsa20/8,
 * BlockMix, ROMix over N * 128 * r bytes of heap, PBKDF2-HMAC-SHA256 around
 * it), with SHA-256 implemented here, over a per-VM password.
 * Usage: scrypt PASSWORD
 * Checks the RFC 7914 test vector (P="", S="", N=16, r=1, p=1) first, then
 * computes scrypt(PASSWORD, "vv-NaCl", N=SCRYPT_N, r=SCRYPT_R, p=1, 32 bytes)
 * with a ROMix array V of 320 KiB, printing a trace line (the first word of
 * X) every TRACE steps of each ROMix loop, and prints the key in hex and the
 * size of V. Exit code 2 when the self-test fails. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRYPT_N 512
#define SCRYPT_R 5
#define TRACE 32

#include "sha256.h"

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

/* ROMix on one 128r-byte block B; v holds N * 32r words, xy 64r words. X
 * and Y take turns as BlockMix's input and output (N is even). With trace,
 * prints the first word of X every TRACE steps of each loop. */
static void romix(uint8_t *B, int r, uint32_t N, uint32_t *v, uint32_t *xy, int trace) {
    size_t words = 32 * (size_t)r;
    uint32_t *x = xy, *y = xy + words;
    for (size_t k = 0; k < words; k++) x[k] = le32(&B[4 * k]);
    for (uint32_t i = 0; i < N; i += 2) {
        memcpy(&v[i * words], x, words * 4);
        blockmix(x, y, r);
        memcpy(&v[(i + 1) * words], y, words * 4);
        blockmix(y, x, r);
        if (trace && (i + 2) % TRACE == 0) printf("romix fill %4u: x0=%08x\n", i + 2, x[0]);
    }
    for (uint32_t i = 0; i < N; i += 2) {
        uint32_t j = x[(2 * r - 1) * 16] & (N - 1);
        for (size_t k = 0; k < words; k++) x[k] ^= v[j * words + k];
        blockmix(x, y, r);
        j = y[(2 * r - 1) * 16] & (N - 1);
        for (size_t k = 0; k < words; k++) y[k] ^= v[j * words + k];
        blockmix(y, x, r);
        if (trace && (i + 2) % TRACE == 0) printf("romix mix  %4u: x0=%08x\n", i + 2, x[0]);
    }
    for (size_t k = 0; k < words; k++) put_le32(&B[4 * k], x[k]);
}

static int scrypt(const uint8_t *pw, size_t pwlen, const uint8_t *salt, size_t saltlen, uint32_t N, int r, int p,
                  uint8_t *out, size_t outlen, int trace) {
    size_t blk = 128 * (size_t)r;
    uint8_t *B = malloc(blk * p);
    uint32_t *v = malloc(blk * N);
    uint32_t *xy = malloc(2 * blk);
    if (!B || !v || !xy) return -1;
    pbkdf2_sha256(pw, pwlen, salt, saltlen, 1, B, blk * p);
    for (int i = 0; i < p; i++) romix(&B[i * blk], r, N, v, xy, trace);
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

    if (scrypt((const uint8_t *)"", 0, (const uint8_t *)"", 0, 16, 1, 1, key, 64, 0)) return 1;
    hex(key, 64, h);
    const char *want = "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
                       "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906";
    if (strcmp(h, want) != 0) {
        fprintf(stderr, "self-test failed: got %s\n", h);
        return 2;
    }
    printf("self-test ok\n");

    if (scrypt((const uint8_t *)pw, strlen(pw), (const uint8_t *)"vv-NaCl", 7, SCRYPT_N, SCRYPT_R, 1, key, 32, 1))
        return 1;
    hex(key, 32, h);
    printf("scrypt(%s, vv-NaCl, N=%d, r=%d, p=1) = %s\n", pw, SCRYPT_N, SCRYPT_R, h);
    printf("memory = %d KiB\n", 128 * SCRYPT_R * SCRYPT_N / 1024);
    return 0;
}
