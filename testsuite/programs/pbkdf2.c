/* pbkdf2: SHA-256 (implemented here), HMAC-SHA256 and PBKDF2-HMAC-SHA256
 * over a per-VM password, plus a SHA-256 hash chain kept in a heap table.
 * Usage: pbkdf2 PASSWORD
 * Checks SHA-256 and PBKDF2 against known test vectors first (FIPS 180-2,
 * RFC 7914 section 11), then prints PBKDF2(PASSWORD, "vv-salt", ITERATIONS,
 * 64 bytes) in hex. From the key, a hash chain link[i+1] = SHA-256(link[i] ||
 * i) goes into a direct-mapped heap table of SLOTS 32-byte slots (320 KiB,
 * slot = first 32 bits of the link mod SLOTS) until a link lands on an
 * occupied slot (a birthday collision, after about 130 links); prints the two
 * colliding links, then reads the whole table back: the filled slots and XOR
 * of each 32 KiB segment, and the XOR of all.
 * Exit code 2 when a self-test fails. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITERATIONS 64
#define SLOTS 10240u
#define SEGMENT 1024u

#include "sha256.h"

static void hex(const uint8_t *p, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

static int check(const char *what, const uint8_t *got, size_t n, const char *want) {
    char h[257];
    hex(got, n, h);
    if (strcmp(h, want) != 0) {
        fprintf(stderr, "self-test %s failed: got %s want %s\n", what, h, want);
        return 1;
    }
    return 0;
}

static int self_test(void) {
    uint8_t d[64];
    int bad = 0;
    sha256("abc", 3, d);
    bad += check("sha256(abc)", d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256("", 0, d);
    bad += check("sha256()", d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256(m, strlen(m), d);
    bad += check("sha256(448 bits)", d, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    pbkdf2_sha256((const uint8_t *)"passwd", 6, (const uint8_t *)"salt", 4, 1, d, 64);
    bad += check("pbkdf2(passwd, salt, 1)", d, 64,
                 "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                 "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
    return bad;
}

int main(int argc, char **argv) {
    const char *pw = argc > 1 ? argv[1] : "";
    if (self_test()) return 2;
    printf("self-test ok\n");

    uint8_t key[64];
    char h[129];
    pbkdf2_sha256((const uint8_t *)pw, strlen(pw), (const uint8_t *)"vv-salt", 7, ITERATIONS, key, sizeof key);
    hex(key, sizeof key, h);
    printf("pbkdf2(%s, vv-salt, %d) = %s\n", pw, ITERATIONS, h);

    /* The hash chain in a direct-mapped heap table: table[s] holds the link
     * that maps to slot s, used[s] that link's number + 1. */
    uint8_t (*table)[32] = calloc(SLOTS, 32);
    uint16_t *used = calloc(SLOTS, sizeof(uint16_t));
    if (!table || !used) return 1;
    uint8_t link[32];
    memcpy(link, key, 32);
    unsigned i = 0, slot;
    for (;; i++) {
        slot = ((uint32_t)link[0] << 24 | (uint32_t)link[1] << 16 | (uint32_t)link[2] << 8 | link[3]) % SLOTS;
        if (used[slot]) break; /* by link SLOTS at the latest */
        memcpy(table[slot], link, 32);
        used[slot] = (uint16_t)(i + 1);
        uint8_t msg[36];
        memcpy(msg, link, 32);
        msg[32] = (uint8_t)i; msg[33] = (uint8_t)(i >> 8); msg[34] = 0; msg[35] = 0;
        sha256(msg, sizeof msg, link);
    }
    hex(table[slot], 32, h);
    printf("chain: link %u lands on link %u in slot %u\n  %s\n", i, used[slot] - 1u, slot, h);
    hex(link, 32, h);
    printf("  %s\n", h);

    /* The table read back in segments, in words: fold holds the bytes of the
     * XOR of all slots in memory order. */
    uint32_t fold[8] = {0};
    unsigned filled = 0;
    for (unsigned s0 = 0; s0 < SLOTS; s0 += SEGMENT) {
        uint32_t seg[8] = {0};
        unsigned n = 0;
        for (unsigned s = s0; s < s0 + SEGMENT; s++) {
            n += used[s] != 0;
            for (int j = 0; j < 8; j++) {
                uint32_t w;
                memcpy(&w, &table[s][4 * j], 4);
                seg[j] ^= w;
            }
        }
        printf("slots %5u-%5u: %2u filled, xor %08x\n", s0, s0 + SEGMENT - 1, n, seg[0] ^ seg[1] ^ seg[2] ^ seg[3] ^ seg[4] ^ seg[5] ^ seg[6] ^ seg[7]);
        for (int j = 0; j < 8; j++) fold[j] ^= seg[j];
        filled += n;
    }
    hex((const uint8_t *)fold, 32, h);
    printf("table %u KiB, %u slots filled, xor = %s\n", SLOTS * 32 / 1024, filled, h);
    free(used);
    free(table);
    return 0;
}
