/* util.c: allocation that cannot fail quietly, clocks, messages, addresses.
 * No shared state: safe from any thread. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

const char *ds__prog_name = "dstream";

/* Out of memory: not a bug, so no abort().  The program stops at once with
 * exit 1 and a line that says so (formatted on the stack: malloc may be
 * what failed), without running atexit handlers or flushing what another
 * thread is writing.  Every output is committed by a rename and every
 * checkpoint is whole, so what is visible is whole, and a restart goes on
 * from the last checkpoint (lang/SPEC.md §16.6). */
_Noreturn void ds__oom(void)
{
	char m[256], lim[96] = "";
	struct rlimit rl;
	if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		snprintf(lim, sizeof lim, " (its address space is limited to %llu MiB: ulimit -v)",
			 (unsigned long long)(rl.rlim_cur >> 20));
	int n = snprintf(m, sizeof m, "%s: out of memory%s: stopping (with a checkpoint, a restart goes on from the last one)\n",
			 ds__prog_name, lim);
	ssize_t r = write(2, m, n > 0 && (size_t)n < sizeof m ? (size_t)n : sizeof m - 1);
	(void)r;
	_exit(1);
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

int ds__msg_fd = 2;

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
	ssize_t r = write(ds__msg_fd, line, len); /* one write: lines from threads never interleave */
	(void)r;
}

bool ds__nap(int64_t ms)
{
	for (int64_t end = ds__mono_us() + ms * 1000; ds__mono_us() < end;) {
		if (ds__stop_flag)
			return false;
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return !ds__stop_flag;
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
	/* a fault's signal cannot wait: blocked, it kills the process instead of
	 * reaching binrec.c's SIGBUS handler (a worker reading a mapped file
	 * that shrank) */
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGSEGV);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -rc;
}

int ds__open_input(const char *path, struct stat *st)
{
	/* O_NONBLOCK: opening a FIFO must not wait for its writer where a
	 * signal cannot stop the wait (our handlers restart system calls) */
	int fd = ds__fopen(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) != 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	if (S_ISDIR(st->st_mode)) {
		close(fd);
		return -EISDIR;
	}
	if (S_ISFIFO(st->st_mode)) {
		/* Linux reports neither POLLIN nor POLLHUP before a writer has
		 * opened the FIFO: wait for one, a tenth of a second at a time */
		struct pollfd pf = {fd, POLLIN, 0};
		for (;;) {
			if (ds__stop_flag) {
				close(fd);
				return -EINTR;
			}
			int k = poll(&pf, 1, 100);
			if (k > 0)
				break;
			if (k < 0 && errno != EINTR) {
				int rc = -errno;
				close(fd);
				return rc;
			}
		}
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

const char *ds__file_type(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device"
	     : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

void ds__src_msg(const char *cmd, const ds_source_desc *d, const char *fmt, ...)
{
	char m[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	ds__msg(cmd, "%s%s%s: %s", d->loc ? d->loc : "", d->loc ? ": " : "", ds__source_kind_name(d), m);
}

/* Reads up to n bytes at off (or at the file position when off < 0);
 * returns the bytes read (short only at the end of the file) or -errno. */
ssize_t ds__read_full(int fd, char *buf, size_t n, off_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = off < 0 ? ds__fread(fd, buf + got, n - got) : ds__fpread(fd, buf + got, n - got, off + (off_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* Writes all n bytes (looping on short writes); 0 or -errno. */
int ds__write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = ds__fwrite(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* mkdir -p: path and its missing parents (0777 less the umask); 0 or -errno. */
int ds__mkdirs(const char *path)
{
	if (!*path)
		return -ENOENT;
	char *p = ds__xstrdup(path);
	int rc = 0;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != 0)
			continue;
		char c = *s;
		*s = 0;
		if (ds__fmkdir(p, 0777) != 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	struct stat st; /* it may have been there, as a file */
	if (rc == 0 && stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	return rc;
}

uint32_t ds__crc32(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;
	while (n > 0) { /* zlib takes uInt lengths; crc32(crc, NULL, 0) would be 0, not crc */
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
		crc = (uint32_t)crc32(crc, b, k);
		b += k;
		n -= k;
	}
	return crc;
}

size_t ds__rss_bytes(void)
{
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[128];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	unsigned long long size = 0, rss = 0;
	if (sscanf(buf, "%llu %llu", &size, &rss) != 2)
		return 0;
	return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}

/* "HOST:PORT" or "[V6]:PORT" into host (empty when none was given) and a
 * port 0..65535.  -EINVAL when it is neither. */
int ds__split_hostport(const char *hp, char **host, int *port)
{
	const char *colon = strrchr(hp, ':');
	if (!colon || !colon[1])
		return -EINVAL;
	const char *h = hp, *he = colon;
	if (h[0] == '[') {
		if (he == h + 1 || he[-1] != ']')
			return -EINVAL;
		h++, he--;
	} else if (memchr(h, ':', (size_t)(he - h))) {
		return -EINVAL; /* a bare IPv6 address: needs its brackets */
	}
	int64_t v;
	const char *p = colon + 1;
	for (v = 0; *p >= '0' && *p <= '9' && v <= 65535; p++)
		v = v * 10 + (*p - '0');
	if (*p || v > 65535 || p - colon > 6)
		return -EINVAL;
	*host = ds__xmalloc((size_t)(he - h) + 1);
	memcpy(*host, h, (size_t)(he - h));
	(*host)[he - h] = 0;
	*port = (int)v;
	return 0;
}

int ds__tcp_listen(const char *host, int port, bool nonblock, const char **why)
{
	char ps[8];
	snprintf(ps, sizeof ps, "%d", port);
	struct addrinfo hints = {0}, *ais;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	*why = NULL;
	int g = getaddrinfo(host[0] ? host : "127.0.0.1", ps, &hints, &ais);
	if (g != 0) {
		*why = gai_strerror(g);
		return -EINVAL;
	}
	int err = EADDRNOTAVAIL, fd = -1;
	for (const struct addrinfo *ai = ais; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		int one = 1; /* a restarted server takes its port back at once */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ais);
	return fd >= 0 ? fd : -err;
}

const char *ds__source_kind_name(const ds_source_desc *d)
{
	switch (d->kind) {
	case DS_SRC_SOCKET: return "socketTextStream";
	case DS_SRC_TEXTDIR: return "textFileStream";
	case DS_SRC_QUEUE: return "queueStream";
	case DS_SRC_TEXTFILE: return "textFile";
	case DS_SRC_RECEIVER: return "receiverStream";
	case DS_SRC_BINDIR: return "binaryRecordsStream";
	case DS_SRC_BINQUEUE: return "binaryQueueStream";
	case DS_SRC_BINFILE: return "binaryRecords";
	case DS_SRC_KAFKA: return d->kafka_records ? "kafkaRecordStream" : "kafkaStream";
	}
	return "?";
}

void ds__json_str(ds_buf *b, const char *s)
{
	ds_buf_putc(b, '"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			ds_buf_putc(b, '\\');
			ds_buf_putc(b, (char)c);
		} else if (c == '\n') {
			ds_buf_put(b, "\\n", 2);
		} else if (c < 0x20) {
			char e[8];
			snprintf(e, sizeof e, "\\u%04x", c);
			ds_buf_put(b, e, 6);
		} else {
			ds_buf_putc(b, (char)c);
		}
	}
	ds_buf_putc(b, '"');
}
