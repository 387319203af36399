/* mathlib: libm in double and float over inputs derived from argv[1],
 * printed with %.17g / %.9g so any floating-point divergence shows.
 * Usage: mathlib N   (N an integer, e.g. the VM index) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
    /* x in [-32, 32), y in (0, 64], spread over the inputs 0..4095. */
    double x = (double)(n % 4096) / 64.0 - 32.0 + 0.1234567;
    double y = (double)((n * 7 + 13) % 4096) / 64.0 + 0.0078125;

    printf("x=%.17g y=%.17g\n", x, y);
    printf("sin=%.17g cos=%.17g\n", sin(x), cos(x));
    printf("exp=%.17g log=%.17g\n", exp(x / 4.0), log(y));
    printf("pow=%.17g sqrt=%.17g\n", pow(y, x / 8.0), sqrt(y));
    printf("fmod=%.17g floor=%.17g atan2=%.17g\n", fmod(x, y / 3.0 + 0.5), floor(x * 3.3), atan2(x, y - 20.0));

    float xf = (float)x, yf = (float)y;
    printf("f: x=%.9g y=%.9g\n", xf, yf);
    printf("f: sin=%.9g cos=%.9g\n", sinf(xf), cosf(xf));
    printf("f: exp=%.9g log=%.9g\n", expf(xf / 4.0f), logf(yf));
    printf("f: pow=%.9g sqrt=%.9g\n", powf(yf, xf / 8.0f), sqrtf(yf));
    printf("f: fmod=%.9g floor=%.9g atan2=%.9g\n", fmodf(xf, yf / 3.0f + 0.5f), floorf(xf * 3.3f), atan2f(xf, yf - 20.0f));

    /* A short accumulation, so that one divergent step changes the sum. */
    double acc = 0.0;
    float accf = 0.0f;
    for (int i = 0; i < 32; i++) {
        double t = x + i * 0.37;
        acc += sin(t) * exp(-fabs(t) / 16.0) + sqrt(fabs(t)) - fmod(t, 1.5);
        float tf = xf + (float)i * 0.37f;
        accf += cosf(tf) * expf(-fabsf(tf) / 16.0f) + sqrtf(fabsf(tf)) - fmodf(tf, 1.5f);
    }
    printf("acc=%.17g accf=%.9g\n", acc, accf);
    return 0;
}
