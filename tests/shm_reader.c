/* A reader of the ghostedge shared-memory block in plain C11 (docs/shared-memory.md): what a
 * graphics-engine plugin does, and the test of the block's seqlock from another process.
 *
 *   cc -std=c11 -O2 -o shm_reader tests/shm_reader.c        (add -lrt on glibc < 2.34)
 *   ./shm_reader NAME READS [--synthetic]
 *
 * Reads the newest complete frame READS times, as fast as it can, and checks every copy:
 * its checksum, and with --synthetic the pattern the test writer writes (every value a
 * function of the frame id, so that a mix of two frames cannot pass). Prints one JSON line:
 * reads, retries, torn (copies that failed a check: must be 0), distinct frames seen, the
 * last frame id. Exit status 0 when nothing was torn, 1 otherwise, 2 on a usage or open error.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Header (constant after creation). */
#define OFF_MAGIC 0
#define OFF_VERSION 4
#define OFF_SEQUENCE 8
#define OFF_TOTAL_SIZE 16
#define OFF_MAX_DEFENDERS 28
#define OFF_MAX_RECEIVERS 32
#define OFF_MAX_HORIZON 36
#define OFF_ARRAYS 40 /* u32 x 7: defender_ids, receiver_ids, defender_xy, receiver_xy, mean, sigma, metric */
/* The frame (under the seqlock), from OFF_FRAME to the end of the block. */
#define OFF_FRAME 128
#define OFF_FRAME_ID 128
#define OFF_TIME_US 136
#define OFF_N_DEFENDERS 168
#define OFF_N_RECEIVERS 172
#define OFF_HORIZON 176
#define OFF_BALL_X 224
#define OFF_CHECKSUM 240
#define MAGIC 0x4D534547u /* "GESM" */
#define VERSION 1u

static uint32_t u32_at(const unsigned char *p, size_t off) {
    uint32_t v;
    memcpy(&v, p + off, 4);
    return v;
}

/* The copy: 8-byte words of the block from OFF_FRAME on. */
typedef struct {
    uint64_t *w;
    size_t n;
} Copy;

static uint64_t w64(const Copy *c, size_t off) { return c->w[(off - OFF_FRAME) / 8]; }
static uint32_t w32(const Copy *c, size_t off) {
    const uint64_t w = w64(c, off & ~(size_t)7);
    return (uint32_t)((off % 8) ? w >> 32 : w);
}
static double f64(const Copy *c, size_t off) {
    const uint64_t w = w64(c, off);
    double v;
    memcpy(&v, &w, 8);
    return v;
}

/* The seqlock read: sequence (acquire), every word (acquire), sequence again; a copy counts
 * only when both sequence values are the same even number. Returns the retries it took, or -1
 * when nothing has been written yet. Never blocks the writer. */
static long read_frame(const unsigned char *base, Copy *out) {
    const uint64_t *seq = (const uint64_t *)(base + OFF_SEQUENCE);
    const uint64_t *frame = (const uint64_t *)(base + OFF_FRAME);
    for (long attempt = 0;; ++attempt) {
        if (attempt >= 64 && attempt % 16 == 0) sched_yield(); /* let a preempted writer finish */
        const uint64_t s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
        if (s1 == 0) return -1;
        if (s1 & 1u) continue; /* a write in progress */
        for (size_t k = 0; k < out->n; ++k) out->w[k] = __atomic_load_n(frame + k, __ATOMIC_ACQUIRE);
        if (__atomic_load_n(seq, __ATOMIC_RELAXED) == s1) return attempt;
    }
}

typedef struct {
    uint32_t D, R, H;
    size_t arrays[7]; /* byte offsets */
} Layout;

static void fnv(uint64_t *h, uint64_t w) {
    *h ^= w;
    *h *= 0x100000001b3ull;
}

/* FNV-1a 64 over the frame fields before the checksum, then each array's used elements in
 * index order: ids, positions, mean [d][r][k][xy], sigma, metric [d][r]. */
static uint64_t checksum(const Copy *c, const Layout *L) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t off = OFF_FRAME; off < OFF_CHECKSUM; off += 8) fnv(&h, w64(c, off));
    const uint32_t nd = w32(c, OFF_N_DEFENDERS), nr = w32(c, OFF_N_RECEIVERS), hz = w32(c, OFF_HORIZON);
    if (nd > L->D || nr > L->R || hz > L->H) return ~h;
    for (uint32_t d = 0; d < nd; ++d) fnv(&h, w64(c, L->arrays[0] + 8 * d));
    for (uint32_t r = 0; r < nr; ++r) fnv(&h, w64(c, L->arrays[1] + 8 * r));
    for (uint32_t i = 0; i < 2 * nd; ++i) fnv(&h, w64(c, L->arrays[2] + 8 * i));
    for (uint32_t i = 0; i < 2 * nr; ++i) fnv(&h, w64(c, L->arrays[3] + 8 * i));
    for (int a = 4; a <= 5; ++a)
        for (uint32_t d = 0; d < nd; ++d)
            for (uint32_t r = 0; r < nr; ++r)
                for (uint32_t k = 0; k < 2 * hz; ++k)
                    fnv(&h, w64(c, L->arrays[a] + 8 * (((size_t)d * L->R + r) * L->H * 2 + k)));
    for (uint32_t d = 0; d < nd; ++d)
        for (uint32_t r = 0; r < nr; ++r) fnv(&h, w64(c, L->arrays[6] + 8 * ((size_t)d * L->R + r)));
    return h;
}

/* The test writer's pattern (tests/test_shm.py, synthetic_frame): value = id * 1000 + array
 * * 100 + dense index * 0.5 for the float arrays; ids id * 100 + d and -(id * 100 + r). */
static int synthetic_ok(const Copy *c, const Layout *L) {
    const int64_t id = (int64_t)w64(c, OFF_FRAME_ID);
    const uint32_t nd = w32(c, OFF_N_DEFENDERS), nr = w32(c, OFF_N_RECEIVERS), hz = w32(c, OFF_HORIZON);
    if ((int64_t)w64(c, OFF_TIME_US) != id * 100000) return 0;
    if (f64(c, OFF_BALL_X) != (double)id * 1000.0 + 600.0) return 0;
    for (uint32_t d = 0; d < nd; ++d) {
        if ((int64_t)w64(c, L->arrays[0] + 8 * d) != id * 100 + d) return 0;
        for (uint32_t r = 0; r < nr; ++r)
            for (uint32_t k = 0; k < 2 * hz; ++k) {
                const size_t dense = ((size_t)d * nr + r) * hz * 2 + k;
                const size_t at = ((size_t)d * L->R + r) * L->H * 2 + k;
                if (f64(c, L->arrays[4] + 8 * at) != (double)id * 1000.0 + 300.0 + (double)dense * 0.5) return 0;
                if (f64(c, L->arrays[5] + 8 * at) != (double)id * 1000.0 + 400.0 + (double)dense * 0.5) return 0;
            }
    }
    for (uint32_t r = 0; r < nr; ++r)
        if ((int64_t)w64(c, L->arrays[1] + 8 * r) != -(id * 100 + r)) return 0;
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s NAME READS [--synthetic]\n", argv[0]);
        return 2;
    }
    char name[256];
    snprintf(name, sizeof name, "%s%s", argv[1][0] == '/' ? "" : "/", argv[1]);
    const long reads = atol(argv[2]);
    const int synthetic = argc > 3 && strcmp(argv[3], "--synthetic") == 0;
    const int fd = shm_open(name, O_RDONLY, 0);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror("shm_open");
        return 2;
    }
    const unsigned char *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    uint64_t total;
    memcpy(&total, base + OFF_TOTAL_SIZE, 8);
    if (__atomic_load_n((const uint32_t *)(base + OFF_MAGIC), __ATOMIC_ACQUIRE) != MAGIC ||
        u32_at(base, OFF_VERSION) != VERSION || total > (uint64_t)st.st_size) {
        fprintf(stderr, "%s: not a ghostedge shared-memory block of version %u\n", name, VERSION);
        return 2;
    }
    Layout L = {u32_at(base, OFF_MAX_DEFENDERS), u32_at(base, OFF_MAX_RECEIVERS), u32_at(base, OFF_MAX_HORIZON), {0}};
    for (int i = 0; i < 7; ++i) L.arrays[i] = u32_at(base, OFF_ARRAYS + 4 * i);
    Copy c = {NULL, (size_t)(total - OFF_FRAME) / 8};
    c.w = malloc(c.n * 8);
    long retries = 0, torn = 0, distinct = 0, done = 0;
    int64_t last = INT64_MIN;
    while (done < reads) {
        const long r = read_frame(base, &c);
        if (r < 0) { /* nothing written yet */
            const struct timespec pause = {0, 100000};
            nanosleep(&pause, NULL);
            continue;
        }
        retries += r;
        ++done;
        if (w64(&c, OFF_CHECKSUM) != checksum(&c, &L) || (synthetic && !synthetic_ok(&c, &L))) ++torn;
        const int64_t id = (int64_t)w64(&c, OFF_FRAME_ID);
        if (id != last) ++distinct;
        last = id;
    }
    printf("{\"reads\": %ld, \"retries\": %ld, \"torn\": %ld, \"distinct_frames\": %ld, \"last_frame_id\": %lld}\n",
           done, retries, torn, distinct, (long long)last);
    free(c.w);
    return torn == 0 ? 0 : 1;
}
