/* scan.c: this machine's sequential read bandwidth over W3b's input, the
 * ceiling W3b is reported against (issue 14 item 4).
 *
 *   scan FILE RECLEN OFFSET
 *
 * Maps FILE read-only (as the runtime maps a binaryQueueStream's file, with
 * MADV_SEQUENTIAL), then, timed, reads the 4-byte field at OFFSET of every
 * RECLEN-byte record and sums it: a plain loop that touches every cache
 * line of the file once and every page once, page faults included (a fresh
 * mapping each run; the file is in the page cache after the first).  A
 * second timed pass over the same mapping is the scan without the faults.
 * On stdout: "bytes B first_ms F second_ms S sum X". */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int64_t pass(const char *p, size_t n, size_t reclen, size_t off)
{
	int64_t sum = 0;
	for (size_t i = 0; i + reclen <= n; i += reclen) {
		int32_t v;
		memcpy(&v, p + i + off, 4);
		sum += v;
	}
	return sum;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: scan FILE RECLEN OFFSET\n");
		return 2;
	}
	size_t reclen = (size_t)atol(argv[2]), off = (size_t)atol(argv[3]);
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || reclen == 0 || off + 4 > reclen) {
		perror(argv[1]);
		return 1;
	}
	size_t n = (size_t)st.st_size;
	const char *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	madvise((void *)p, n, MADV_SEQUENTIAL);
	double t0 = now_ms();
	int64_t s1 = pass(p, n, reclen, off);
	double t1 = now_ms();
	int64_t s2 = pass(p, n, reclen, off);
	double t2 = now_ms();
	printf("bytes %zu first_ms %.1f second_ms %.1f sum %lld\n", n, t1 - t0, t2 - t1, (long long)(s1 + s2));
	return 0;
}
