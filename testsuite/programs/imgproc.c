/* imgproc: image processing on a generated 80x60 RGB image held in malloc'd
 * buffers: a separable 5-tap Gaussian blur (integer, clamped edges), a box
 * blur by running sums into float planes, a bilinear resize to 3/4 size
 * (float), a Sobel edge magnitude with a histogram, a 3x3 median filter
 * (sorting network) on one channel, and colour grading of the resized image
 * through a 33x33x33 3D lookup table (per-seed tone curve and saturation,
 * nearest grid point, entries packed in 32 bits). Every stage keeps its
 * result: 330 KiB of heap.
 * Usage: imgproc SEED
 * Prints the image size, per-channel means and FNV-1a checksums after each
 * step, the edge histogram and a few sample pixels. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 80
#define H 60
#define LUT 33 /* grid points per axis of the 3D colour table */
#define BOX 3

static uint32_t rng_state;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static uint32_t fnv(const uint8_t *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static void stats(const char *what, const uint8_t *img, int w, int h) {
    unsigned long sum[3] = {0, 0, 0};
    for (int i = 0; i < w * h; i++)
        for (int c = 0; c < 3; c++) sum[c] += img[3 * i + c];
    printf("%-8s %dx%d mean=(%.3f, %.3f, %.3f) fnv=%08x\n", what, w, h, (double)sum[0] / (w * h),
           (double)sum[1] / (w * h), (double)sum[2] / (w * h), fnv(img, (size_t)w * h * 3));
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* A smooth pattern (circles, gradients) plus noise and a few rectangles. */
static void generate(uint8_t *img, int w, int h, uint32_t seed) {
    rng_state = seed * 2654435761u + 12345;
    if (!rng_state) rng_state = 1;
    float cx = (float)(rng() % w), cy = (float)(rng() % h);
    float freq = 0.05f + (rng() % 100) / 1000.0f;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float dx = x - cx, dy = y - cy;
            float d = sqrtf(dx * dx + dy * dy);
            int r = (int)(127.5f + 127.0f * sinf(d * freq));
            int g = (x * 255) / (w - 1);
            int b = ((x ^ y) & 31) * 8;
            int noise = (int)(rng() % 33) - 16;
            uint8_t *p = &img[3 * (y * w + x)];
            p[0] = (uint8_t)clampi(r + noise, 0, 255);
            p[1] = (uint8_t)clampi(g + noise / 2, 0, 255);
            p[2] = (uint8_t)clampi(b, 0, 255);
        }
    int rects = 3 + rng() % 4;
    for (int k = 0; k < rects; k++) {
        int x0 = rng() % w, y0 = rng() % h, rw = 4 + rng() % 24, rh = 4 + rng() % 24;
        uint8_t col[3] = {(uint8_t)rng(), (uint8_t)rng(), (uint8_t)rng()};
        for (int y = y0; y < y0 + rh && y < h; y++)
            for (int x = x0; x < x0 + rw && x < w; x++) memcpy(&img[3 * (y * w + x)], col, 3);
    }
}

/* Separable Gaussian [1 4 6 4 1] / 16 in each direction, edges clamped. */
static void blur(const uint8_t *src, uint8_t *dst, uint16_t *tmp, int w, int h) {
    static const int k[5] = {1, 4, 6, 4, 1};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                int s = 0;
                for (int i = -2; i <= 2; i++) s += k[i + 2] * src[3 * (y * w + clampi(x + i, 0, w - 1)) + c];
                tmp[3 * (y * w + x) + c] = (uint16_t)s;
            }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                int s = 0;
                for (int i = -2; i <= 2; i++) s += k[i + 2] * tmp[3 * (clampi(y + i, 0, h - 1) * w + x) + c];
                dst[3 * (y * w + x) + c] = (uint8_t)((s + 128) >> 8);
            }
}

/* Bilinear resize with pixel centers aligned. */
static void resize(const uint8_t *src, int w, int h, uint8_t *dst, int nw, int nh) {
    float sx = (float)w / nw, sy = (float)h / nh;
    for (int y = 0; y < nh; y++) {
        float fy = (y + 0.5f) * sy - 0.5f;
        if (fy < 0) fy = 0;
        int y0 = (int)fy, y1 = y0 + 1 < h ? y0 + 1 : h - 1;
        float ty = fy - y0;
        for (int x = 0; x < nw; x++) {
            float fx = (x + 0.5f) * sx - 0.5f;
            if (fx < 0) fx = 0;
            int x0 = (int)fx, x1 = x0 + 1 < w ? x0 + 1 : w - 1;
            float tx = fx - x0;
            for (int c = 0; c < 3; c++) {
                float a = src[3 * (y0 * w + x0) + c], b = src[3 * (y0 * w + x1) + c];
                float d = src[3 * (y1 * w + x0) + c], e = src[3 * (y1 * w + x1) + c];
                float top = a + (b - a) * tx, bot = d + (e - d) * tx;
                dst[3 * (y * nw + x) + c] = (uint8_t)lrintf(top + (bot - top) * ty);
            }
        }
    }
}

#define SORT2(a, b) do { if (v[a] > v[b]) { uint8_t t_ = v[a]; v[a] = v[b]; v[b] = t_; } } while (0)

/* The median of 9 values by the classic 19-exchange network. */
static uint8_t median9(uint8_t *v) {
    SORT2(1, 2); SORT2(4, 5); SORT2(7, 8); SORT2(0, 1); SORT2(3, 4); SORT2(6, 7);
    SORT2(1, 2); SORT2(4, 5); SORT2(7, 8); SORT2(0, 3); SORT2(5, 8); SORT2(4, 7);
    SORT2(3, 6); SORT2(1, 4); SORT2(2, 5); SORT2(4, 7); SORT2(4, 2); SORT2(6, 4);
    SORT2(4, 2);
    return v[4];
}

/* Box blur of radius BOX of channel c by running sums into a float plane,
 * edges clamped; tmp holds w * h floats. */
static void box_blur(const uint8_t *src, int c, float *plane, float *tmp, int w, int h) {
    for (int y = 0; y < h; y++) {
        const uint8_t *row = src + 3 * y * w + c;
        float s = 0;
        for (int i = -BOX; i <= BOX; i++) s += row[3 * clampi(i, 0, w - 1)];
        for (int x = 0; x < w; x++) {
            tmp[y * w + x] = s;
            s += row[3 * clampi(x + BOX + 1, 0, w - 1)] - row[3 * clampi(x - BOX, 0, w - 1)];
        }
    }
    for (int x = 0; x < w; x++) {
        float s = 0;
        for (int i = -BOX; i <= BOX; i++) s += tmp[clampi(i, 0, h - 1) * w + x];
        for (int y = 0; y < h; y++) {
            plane[y * w + x] = s / ((2 * BOX + 1) * (2 * BOX + 1));
            s += tmp[clampi(y + BOX + 1, 0, h - 1) * w + x] - tmp[clampi(y - BOX, 0, h - 1) * w + x];
        }
    }
}

/* The grading table: for every grid point (r, g, b) of LUT^3, the colour
 * after a tone curve (contrast around the middle, per seed) and a
 * saturation change (sat / 256), packed as 0x00BBGGRR; integer arithmetic.
 * Prints the running FNV-1a of the entries every 11 values of r. */
static void build_lut(uint32_t *lut, float contrast, int sat) {
    uint32_t h = 2166136261u;
    int curve[LUT];
    for (int i = 0; i < LUT; i++) {
        float v = (float)i / (LUT - 1);
        curve[i] = (int)lrintf(255.0f * (v + contrast * v * (1 - v) * (2 * v - 1)));
    }
    for (int r = 0; r < LUT; r++) {
        for (int g = 0; g < LUT; g++) {
            int cr = curve[r], cg = curve[g], lum_rg = 77 * cr + 150 * cg;
            for (int b = 0; b < LUT; b++) {
                int cb = curve[b], lum = (lum_rg + 29 * cb) >> 8;
                uint32_t R = (uint32_t)clampi(lum + ((sat * (cr - lum)) >> 8), 0, 255);
                uint32_t G = (uint32_t)clampi(lum + ((sat * (cg - lum)) >> 8), 0, 255);
                uint32_t B = (uint32_t)clampi(lum + ((sat * (cb - lum)) >> 8), 0, 255);
                *lut = R | G << 8 | B << 16;
                h = (h ^ *lut++) * 16777619u;
            }
        }
        if (r % 11 == 10) printf("lut r=%2d-%2d fnv=%08x\n", r - 10, r, h);
    }
}

/* Looks n RGB pixels up in the table, at the nearest grid point. */
static void grade(const uint32_t *lut, const uint8_t *src, uint8_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = &src[3 * i];
        int r = (p[0] * (LUT - 1) + 127) / 255, g = (p[1] * (LUT - 1) + 127) / 255, b = (p[2] * (LUT - 1) + 127) / 255;
        uint32_t c = lut[(r * LUT + g) * LUT + b];
        dst[3 * i] = (uint8_t)c;
        dst[3 * i + 1] = (uint8_t)(c >> 8);
        dst[3 * i + 2] = (uint8_t)(c >> 16);
    }
}

int main(int argc, char **argv) {
    uint32_t seed = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 0;
    int nw = W * 3 / 4, nh = H * 3 / 4;
    uint8_t *img = malloc(W * H * 3), *blurred = malloc(W * H * 3), *small = malloc(nw * nh * 3);
    uint16_t *tmp = malloc(W * H * 3 * sizeof(uint16_t));
    float *mag = malloc(nw * nh * sizeof(float));
    uint8_t *med = malloc(nw * nh), *graded = malloc(nw * nh * 3);
    uint32_t *lut = malloc(sizeof(uint32_t) * LUT * LUT * LUT);
    float *planes = malloc(3 * W * H * sizeof(float)), *ftmp = malloc(W * H * sizeof(float));
    if (!img || !blurred || !small || !tmp || !mag || !med || !planes || !ftmp || !lut || !graded) return 1;

    generate(img, W, H, seed);
    stats("image", img, W, H);
    blur(img, blurred, tmp, W, H);
    stats("blurred", blurred, W, H);
    for (int c = 0; c < 3; c++) {
        box_blur(img, c, planes + c * W * H, ftmp, W, H);
        double sum = 0, sq = 0;
        for (int i = 0; i < W * H; i++) {
            double v = planes[c * W * H + i];
            sum += v;
            sq += v * v;
        }
        printf("box c%d mean=%.6f var=%.6f p0=%.9g\n", c, sum / (W * H), sq / (W * H) - (sum / (W * H)) * (sum / (W * H)),
               planes[c * W * H + (seed % (W * H))]);
    }
    resize(blurred, W, H, small, nw, nh);
    stats("resized", small, nw, nh);

    /* Sobel on the luma of the resized image. */
    int hist[8] = {0};
    double total = 0, maxmag = 0;
    for (int y = 0; y < nh; y++)
        for (int x = 0; x < nw; x++) {
            float gx = 0, gy = 0;
            static const int sx[3][3] = {{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}};
            for (int j = -1; j <= 1; j++)
                for (int i = -1; i <= 1; i++) {
                    const uint8_t *p = &small[3 * (clampi(y + j, 0, nh - 1) * nw + clampi(x + i, 0, nw - 1))];
                    float l = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
                    gx += sx[j + 1][i + 1] * l;
                    gy += sx[i + 1][j + 1] * l;
                }
            float m = sqrtf(gx * gx + gy * gy);
            mag[y * nw + x] = m;
            total += m;
            if (m > maxmag) maxmag = m;
            int bin = (int)(m / 64.0f);
            hist[bin > 7 ? 7 : bin]++;
        }
    printf("sobel mean=%.6f max=%.6f hist=", total / (nw * nh), maxmag);
    for (int i = 0; i < 8; i++) printf("%d%c", hist[i], i < 7 ? ',' : '\n');

    /* 3x3 median of the red channel, through qsort of each window. */
    for (int y = 0; y < nh; y++)
        for (int x = 0; x < nw; x++) {
            uint8_t win[9];
            int n = 0;
            for (int j = -1; j <= 1; j++)
                for (int i = -1; i <= 1; i++)
                    win[n++] = small[3 * (clampi(y + j, 0, nh - 1) * nw + clampi(x + i, 0, nw - 1))];
            med[y * nw + x] = median9(win);
        }
    printf("median fnv=%08x\n", fnv(med, (size_t)nw * nh));

    build_lut(lut, 0.2f + (seed % 7) * 0.1f, 154 + (int)(seed % 5) * 51);
    grade(lut, small, graded, (size_t)nw * nh);
    stats("graded", graded, nw, nh);
    for (int k = 0; k < 4; k++) {
        int x = (int)((seed * 7 + k * 13) % nw), y = (int)((seed * 3 + k * 29) % nh);
        const uint8_t *p = &small[3 * (y * nw + x)];
        printf("px(%d,%d)=%d,%d,%d mag=%.4f\n", x, y, p[0], p[1], p[2], mag[y * nw + x]);
    }
    free(graded); free(lut); free(ftmp); free(planes); free(med); free(mag); free(tmp); free(small); free(blurred); free(img);
    return 0;
}
