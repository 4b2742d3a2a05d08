/* frame_loop.c — a synthetic game loop for bench/frame-deadline.
 *
 *   frame_loop DURATION_S [HZ [WORK_MS]]     the loop (default 144 Hz, 2.5 ms)
 *   frame_loop hog                           a CPU hog: spins until killed
 *
 * Frames sit on a fixed vsync grid: slot k starts at t0 + k*period (period =
 * 1/HZ). The loop sleeps until the next slot with clock_nanosleep(TIMER_ABSTIME)
 * on CLOCK_MONOTONIC, then does WORK_MS of CPU work: it spins in short
 * calibrated chunks until its own thread has consumed WORK_MS of
 * CLOCK_THREAD_CPUTIME_ID, so the work is a fixed amount of CPU time whatever
 * the competition (preemption stretches the wall time, not the work).
 *
 * frame time = work completion - the slot's start (wake-up latency included,
 *              as a late wake-up delays a real frame just the same)
 * missed     = frames whose work completed after their deadline (slot start +
 *              period)
 * A frame that overruns its slot makes the loop skip to the first slot that
 * starts after it completed (as a vsync'd game does); those skipped slots are
 * reported as `skipped` and are not frames.
 * p99_frame_ms = 99th percentile (nearest rank) of the frame times
 * low1_fps     = 1000 / (mean of the worst 1% of frame times, in ms): the
 *                frame rate the loop would have if every frame were as slow
 *                as its slowest 1% (unlike present-to-present 1% lows it is
 *                not capped at HZ: 2.5 ms of work alone gives ~400)
 *
 * Prints one line: key=value pairs. Exits 0, or 2 on bad usage. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ns(clockid_t c)
{
        struct timespec ts;
        clock_gettime(c, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static volatile uint64_t sink;

/* A chunk of pure ALU work the compiler cannot drop. */
static void spin(uint64_t iters)
{
        uint64_t x = sink | 1;
        for (uint64_t i = 0; i < iters; i++)
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        sink = x;
}

static int cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "hog") == 0) {
                for (;;)
                        spin(1u << 30);
        }
        if (argc < 2 || argc > 4) {
                fprintf(stderr, "usage: frame_loop DURATION_S [HZ [WORK_MS]] | frame_loop hog\n");
                return 2;
        }
        double duration = atof(argv[1]);
        double hz = argc > 2 ? atof(argv[2]) : 144.0;
        double work_ms = argc > 3 ? atof(argv[3]) : 2.5;
        if (duration <= 0 || hz <= 0 || work_ms <= 0) {
                fprintf(stderr, "frame_loop: bad arguments\n");
                return 2;
        }
        const int64_t period = (int64_t)(1e9 / hz + 0.5);
        const int64_t work = (int64_t)(work_ms * 1e6 + 0.5);
        const int64_t end_slots = (int64_t)(duration * hz + 0.5);

        /* Calibrate a chunk to ~20 us of thread CPU time: the work checks its
         * CPU clock (a system call) once per chunk, not in a tight loop. */
        uint64_t chunk = 1000;
        for (int i = 0; i < 8; i++) {
                int64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
                spin(chunk);
                int64_t dt = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
                if (dt <= 0)
                        dt = 1;
                uint64_t next = (uint64_t)((double)chunk * 20000.0 / (double)dt);
                chunk = next < 100 ? 100 : next > 10000000 ? 10000000 : next;
        }

        int64_t *ft = calloc((size_t)end_slots + 1, sizeof(*ft));
        if (!ft) {
                fprintf(stderr, "frame_loop: out of memory\n");
                return 1;
        }
        memset(ft, 0, ((size_t)end_slots + 1) * sizeof(*ft)); /* fault the pages in now */

        int64_t frames = 0, missed = 0, skipped = 0;
        int64_t t0 = now_ns(CLOCK_MONOTONIC) + period; /* first slot: one period from now */
        int64_t slot = 0;
        while (slot < end_slots) {
                int64_t start = t0 + slot * period;
                struct timespec ts = {.tv_sec = start / 1000000000, .tv_nsec = start % 1000000000};
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                        ;
                int64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
                do
                        spin(chunk);
                while (now_ns(CLOCK_THREAD_CPUTIME_ID) - c0 < work);
                int64_t done = now_ns(CLOCK_MONOTONIC);
                int64_t t = done - start;
                ft[frames++] = t;
                if (t > period)
                        missed++;
                /* Next slot: the following one, or the first that starts
                 * after this frame completed. */
                int64_t next = slot + 1;
                if (done > t0 + next * period)
                        next = (done - t0) / period + 1;
                skipped += next - slot - 1;
                slot = next;
        }

        qsort(ft, (size_t)frames, sizeof(*ft), cmp_i64);
        size_t rank = (size_t)((frames * 99 + 99) / 100); /* nearest rank: ceil(0.99 n) */
        if (rank < 1)
                rank = 1;
        int64_t p99 = ft[rank - 1];
        size_t worst = (size_t)(frames / 100);
        if (worst < 1)
                worst = 1;
        double sum = 0;
        for (size_t i = 0; i < worst; i++)
                sum += (double)ft[(size_t)frames - 1 - i];
        double low1 = 1000.0 / (sum / (double)worst / 1e6);
        double median = (double)ft[(size_t)frames / 2] / 1e6;
        printf("frames=%lld missed=%lld missed_pct=%.3f p99_frame_ms=%.3f low1_fps=%.1f "
               "median_frame_ms=%.3f max_frame_ms=%.3f skipped=%lld\n",
               (long long)frames, (long long)missed, 100.0 * (double)missed / (double)frames,
               (double)p99 / 1e6, low1, median, (double)ft[frames - 1] / 1e6, (long long)skipped);
        free(ft);
        return 0;
}
