/* util.c: allocation that cannot fail quietly, clocks, messages.
 * No shared state: safe from any thread. */
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

_Noreturn void ds__oom(void)
{
	static const char m[] = "dstream runtime: out of memory\n";
	ssize_t r = write(2, m, sizeof m - 1);
	(void)r;
	abort();
}

void *ds__xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		ds__oom();
	return p;
}

void *ds__xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		ds__oom();
	return p;
}

void *ds__xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		ds__oom();
	return p;
}

char *ds__xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(ds__xmalloc(n), s, n);
}

int64_t ds__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ds__mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void ds__msg(const char *cmd, const char *fmt, ...)
{
	char line[1024];
	int n = snprintf(line, sizeof line, "%s: ", cmd);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	ssize_t r = write(2, line, len); /* one write: lines from threads never interleave */
	(void)r;
}

int64_t ds__next_cut(int64_t now, int64_t block_ms, int64_t batch_ms)
{
	int64_t a = now - now % block_ms + block_ms;
	int64_t b = now - now % batch_ms + batch_ms;
	return a < b ? a : b;
}

int ds__thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -rc;
}
