/* serverless_hash: a resident serverless guest, written the way the original VectorVisor's
 * serverless guests are: it imports env.serverless_invoke / env.serverless_response and loops
 * forever, one request per iteration. The answer to a request: its length, word count, SHA-256
 * in hex, and its first 48 bytes upper-cased. Requests that start with "trap" hit an
 * unreachable instruction; "exit N" exits with code N. Both first set `salt`, which every
 * later answer would show: a VM that served such a request must be restarted from its initial
 * memory, or its next answers differ from a fresh instance's. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../programs/sha256.h"

__attribute__((import_module("env"), import_name("serverless_invoke")))
int serverless_invoke(char *buf, int cap);
__attribute__((import_module("env"), import_name("serverless_response")))
void serverless_response(char *buf, int len);

static char request[64 * 1024];
static char answer[512];
static int salt = 0;

int main(void) {
    for (;;) {
        int len = serverless_invoke(request, sizeof request);
        if (len >= 4 && memcmp(request, "trap", 4) == 0) {
            salt = 1;
            __builtin_trap();
        }
        if (len >= 5 && memcmp(request, "exit ", 5) == 0) {
            salt = 2;
            request[len < (int)sizeof request ? len : (int)sizeof request - 1] = '\0';
            exit(atoi(request + 5));
        }
        int words = 0, in_word = 0;
        for (int i = 0; i < len; i++) {
            if (isspace((unsigned char)request[i])) {
                in_word = 0;
            } else if (!in_word) {
                in_word = 1;
                words++;
            }
        }
        uint8_t digest[32];
        sha256(request, (size_t)len, digest);
        char hex[65];
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", digest[i]);
        char head[49];
        int n = len < 48 ? len : 48;
        for (int i = 0; i < n; i++)
            head[i] = (char)toupper((unsigned char)request[i]);
        head[n] = '\0';
        int out = snprintf(answer, sizeof answer, "len=%d words=%d sha256=%s salt=%d head=%s\n", len, words, hex, salt,
                           head);
        serverless_response(answer, out);
    }
}
