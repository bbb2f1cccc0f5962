/* t.h: the tiny test harness shared by tests/test_*.c.
 * CHECK(cond) records one assertion; T_DONE() prints "<prog>: N passed, N failed"
 * and returns the exit status (non-zero on any failure). */
#ifndef SW_T_H
#define SW_T_H

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int t_pass, t_fail;

#define CHECK(cond) do { \
	if (cond) t_pass++; \
	else { t_fail++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_MSG(cond, ...) do { \
	if (cond) t_pass++; \
	else { t_fail++; fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
	       fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
} while (0)

#define T_DONE() (printf("%s: %d passed, %d failed\n", __FILE__, t_pass, t_fail), t_fail ? 1 : 0)

/* Copies len bytes to the very end of a readable page that is followed by a
 * PROT_NONE guard page, so that any read past the end crashes.  The buffer is
 * valid until the next call to t_guarded() (one at a time). */
static inline const void *t_guarded(const void *src, size_t len)
{
	static unsigned char *region;
	static size_t region_len;
	long pg = sysconf(_SC_PAGESIZE);
	size_t data_pages = (len + (size_t)pg - 1) / (size_t)pg;
	if (data_pages == 0)
		data_pages = 1;
	if (region)
		munmap(region, region_len);
	region_len = (data_pages + 1) * (size_t)pg;
	region = mmap(NULL, region_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED) {
		perror("mmap");
		_exit(2);
	}
	mprotect(region + data_pages * (size_t)pg, (size_t)pg, PROT_NONE);
	unsigned char *dst = region + data_pages * (size_t)pg - len;
	memcpy(dst, src, len);
	return dst;
}

#endif
