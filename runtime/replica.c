/* replica.c: block replication (Spark's MEMORY_AND_DISK_2): a receiver's
 * blocks are sent to a replica process, which keeps them in a write-ahead
 * log (wal.c) until a checkpoint covers them, and gives them back to a
 * restarted program.
 *
 * The protocol (version 1), over TCP.  Every frame is
 *
 *     [u32 length][u32 crc32][u8 type][payload]
 *
 * little-endian; length counts the type byte and the payload (1 to
 * DS__FRAME_MAX), crc32 is zlib's over the same bytes.  A reader trusts
 * no length: it refuses one out of range, grows its buffer only as the
 * bytes arrive, and checks the checksum and the type before it looks at
 * the payload.  A bad frame is answered with ERR(reason) and the
 * connection is closed.
 *
 *   client -> replica                     replica -> client
 *   HELLO    u32 version, app name bytes  OK, or ERR(reason) and close
 *   BLOCK    i32 src, i64 time_ms,        ACK once it is appended to the app's
 *            i64 nrecs, the bytes         log (ds__wal_append), or ERR(reason)
 *   TRUNCATE i64 upto                     ACK (ds__wal_truncate), or ERR(reason)
 *   FETCH    i64 after                    BLOCK frames (every record with
 *                                         time_ms > after, in log order), then
 *                                         END(u64 count); or ERR(reason).  The
 *                                         client believes a BLOCK only as the log
 *                                         would: nrecs lines, time_ms > after
 *   ERR      reason text (UTF-8, no NUL)
 *
 * HELLO comes first and once.  The replica keeps each app's blocks in
 * DIR/<app>/, the app name with every byte outside [A-Za-z0-9._-], and a
 * leading '.', written %XX: no name leaves DIR or collides with another.  The replica's log is
 * written without fsync (DS__WAL_SYNC_OFF): an ACK means the block is in
 * the replica's log, which survives the replica process being killed but
 * not its machine crashing at the same time as the program's.
 *
 * The client (ds__repl): one connection, made lazily by the first call and
 * again after a failure, with back-off (DS__BACKOFF_MIN doubling to _MAX);
 * a call during the back-off fails at once with -EAGAIN, so a receiver
 * never waits on a replica that is away.  Every wait (connect, send,
 * reply) is a poll of at most DS__REPL_TIMEOUT_MS without progress.  It
 * says "unreachable" once when the replica goes away and "replicating
 * again" once when an exchange succeeds after that.
 *
 * The server (ds__replica_serve): the calling thread accepts; each
 * connection has a thread of its own (signals blocked: SIGINT and SIGTERM
 * reach the accepting thread, in ppoll).  At shutdown the accepting thread
 * writes to the stop pipe, which every connection thread polls, and joins
 * them.  One ds__wal per app, shared by its connections (wal.c is
 * thread-safe), opened on the first HELLO and closed at shutdown.
 *
 * Threads and locks:
 *   ds__repl: r->lock, a leaf, held for a whole exchange (a request and
 *     its reply: bounded by the poll timeouts), so that the receivers'
 *     threads take turns on the one connection.  fetch's fn runs under it.
 *   server: srv->lock guards the app table and every connection's done
 *     flag; it is taken before the lock inside a ds__wal (ds__wal_open runs
 *     under it), never after.  A connection's fd and frame buffer belong to
 *     its thread; the connection list belongs to the accepting thread. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#define DS__REPL_VERSION 1
#define DS__FRAME_MAX ((uint32_t)256 << 20)  /* bytes of type + payload */
#define DS__FRAME_HEAD 8                    /* length, crc32 */
#define DS__REPL_TIMEOUT_MS 5000            /* the client's waits, each */
#define DS__SERVE_TIMEOUT_MS 30000          /* the server's waits inside a frame, each */
#define DS__APP_MAX 255                     /* bytes of an app name */
#define DS__REASON_MAX 200                  /* bytes of an ERR's reason */
#define DS__SERVE_CONNS 256                 /* connections served at once */
#define DS__BLOCK_HEAD 20                   /* a BLOCK's src, time_ms, nrecs */

enum {
	DS__F_HELLO = 1,
	DS__F_OK,
	DS__F_ERR,
	DS__F_BLOCK,
	DS__F_ACK,
	DS__F_TRUNCATE,
	DS__F_FETCH,
	DS__F_END,
	DS__F_LAST = DS__F_END,
};

static const char *ds__frame_name(int type)
{
	static const char *const names[] = {"?", "HELLO", "OK", "ERR", "BLOCK", "ACK", "TRUNCATE", "FETCH", "END"};
	return type >= 1 && type <= DS__F_LAST ? names[type] : "?";
}

/* ---- bytes ------------------------------------------------------------------- */





/* "Connection refused" -> "connection refused", for the middle of a line. */
static void ds__lower_first(char *m)
{
	if (m[0] >= 'A' && m[0] <= 'Z' && !(m[1] >= 'A' && m[1] <= 'Z'))
		m[0] = (char)(m[0] + 32);
}

/* ---- frames ------------------------------------------------------------------ */

/* A frame read, in a buffer its reader owns and reuses. */
typedef struct ds__frame {
	unsigned char *buf; /* type + payload; owned */
	size_t cap;         /* bytes allocated at buf */
	int type;
	const unsigned char *p; /* the payload: buf + 1 */
	size_t n;               /* its bytes */
} ds__frame;

static void ds__frame_close(ds__frame *f)
{
	free(f->buf);
	memset(f, 0, sizeof *f);
}

/* Waits until fd is ready for events: 0, -ETIMEDOUT after timeout_ms (-1:
 * never), -ECANCELED when stopfd (-1: none) is readable, or -errno. */
static int ds__wait(int fd, short events, int timeout_ms, int stopfd)
{
	struct pollfd p[2] = {{fd, events, 0}, {stopfd, POLLIN, 0}};
	int64_t deadline = timeout_ms < 0 ? -1 : ds__mono_us() / 1000 + timeout_ms;
	for (;;) {
		int wait = -1;
		if (deadline >= 0) {
			int64_t left = deadline - ds__mono_us() / 1000;
			wait = left < 0 ? 0 : (int)left;
		}
		int rc = poll(p, stopfd >= 0 ? 2 : 1, wait);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return -ETIMEDOUT;
		if (stopfd >= 0 && p[1].revents)
			return -ECANCELED;
		return 0; /* ready, or POLLERR/POLLHUP: the next call says which */
	}
}

/* Reads exactly n bytes into p.  0; 1 when the peer closed before the
 * first byte and eof_ok; else -errno (-ECONNRESET: closed in the middle). */
static int ds__recv_all(int fd, void *p, size_t n, int first_ms, int timeout_ms, int stopfd, bool eof_ok)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = recv(fd, (char *)p + got, n - got, MSG_DONTWAIT);
		if (k > 0) {
			got += (size_t)k;
			continue;
		}
		if (k == 0)
			return got == 0 && eof_ok ? 1 : -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int rc = ds__wait(fd, POLLIN, got == 0 ? first_ms : timeout_ms, stopfd);
		if (rc < 0)
			return rc;
	}
	return 0;
}

#define DS__WHY_MAX 64
/* Reads one frame into f.  first_ms bounds the wait for its first byte
 * (-1: none), timeout_ms each wait after that.  0; 1: the peer closed
 * between frames; -EPROTO with why[DS__WHY_MAX] set: a bad frame; else
 * -errno. */
static int ds__frame_read(int fd, ds__frame *f, int first_ms, int timeout_ms, int stopfd, char *why)
{
	unsigned char head[DS__FRAME_HEAD];
	int rc = ds__recv_all(fd, head, sizeof head, first_ms, timeout_ms, stopfd, true);
	if (rc != 0)
		return rc;
	uint32_t len = ds__get32(head), crc = ds__get32(head + 4);
	if (len == 0 || len > DS__FRAME_MAX) {
		snprintf(why, DS__WHY_MAX, "bad frame length %u (1 to %u)", len, DS__FRAME_MAX);
		return -EPROTO;
	}
	/* Grow as the bytes arrive: a length alone allocates at most 64 KiB. */
	size_t got = 0;
	while (got < len) {
		size_t want = f->cap < len ? f->cap : len;
		if (want == got) {
			size_t cap = f->cap ? f->cap * 2 : 65536;
			if (cap > len)
				cap = len;
			f->buf = ds__xrealloc(f->buf, cap);
			f->cap = cap;
			want = cap;
		}
		rc = ds__recv_all(fd, f->buf + got, want - got, timeout_ms, timeout_ms, stopfd, false);
		if (rc != 0)
			return rc;
		got = want;
	}
	if ((uint32_t)crc32(0, f->buf, len) != crc) {
		snprintf(why, DS__WHY_MAX, "bad frame checksum");
		return -EPROTO;
	}
	if (f->buf[0] < 1 || f->buf[0] > DS__F_LAST) {
		snprintf(why, DS__WHY_MAX, "unknown frame type %d", f->buf[0]);
		return -EPROTO;
	}
	f->type = f->buf[0];
	f->p = f->buf + 1;
	f->n = len - 1;
	return 0;
}

/* After a big frame, gives the memory back. */
static void ds__frame_shrink(ds__frame *f)
{
	if (f->cap > ((size_t)4 << 20)) {
		free(f->buf);
		f->buf = NULL;
		f->cap = 0;
	}
}

/* Sends the frame type, head (hlen bytes), data (dlen bytes).  0 or -errno
 * (-EMSGSIZE: over DS__FRAME_MAX; -ETIMEDOUT: no progress in timeout_ms). */
static int ds__frame_write(int fd, int type, const void *head, size_t hlen, const void *data, size_t dlen,
                           int timeout_ms, int stopfd)
{
	if (hlen > DS__FRAME_MAX - 1 || dlen > DS__FRAME_MAX - 1 - hlen)
		return -EMSGSIZE;
	unsigned char fh[DS__FRAME_HEAD + 1];
	uint32_t len = (uint32_t)(1 + hlen + dlen);
	fh[DS__FRAME_HEAD] = (unsigned char)type;
	uLong crc = crc32(0, fh + DS__FRAME_HEAD, 1);
	if (hlen)
		crc = crc32(crc, head, (uInt)hlen);
	if (dlen)
		crc = crc32(crc, data, (uInt)dlen);
	ds__put32(fh, len);
	ds__put32(fh + 4, (uint32_t)crc);
	struct iovec iov[3] = {{fh, sizeof fh}, {(void *)head, hlen}, {(void *)data, dlen}};
	int i = 0;
	while (i < 3) {
		if (iov[i].iov_len == 0) {
			i++;
			continue;
		}
		struct msghdr m = {0};
		m.msg_iov = iov + i;
		m.msg_iovlen = (size_t)(3 - i);
		ssize_t k = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			int rc = ds__wait(fd, POLLOUT, timeout_ms, stopfd);
			if (rc < 0)
				return rc;
			continue;
		}
		for (; i < 3 && (size_t)k >= iov[i].iov_len; i++)
			k -= (ssize_t)iov[i].iov_len;
		if (i < 3) {
			iov[i].iov_base = (char *)iov[i].iov_base + k;
			iov[i].iov_len -= (size_t)k;
		}
	}
	return 0;
}

static int ds__frame_block(int fd, int src, int64_t time_ms, const char *data, size_t len, int64_t nrecs,
                           int timeout_ms, int stopfd)
{
	unsigned char h[DS__BLOCK_HEAD];
	ds__put32(h, (uint32_t)src);
	ds__put64(h + 4, (uint64_t)time_ms);
	ds__put64(h + 12, (uint64_t)nrecs);
	return ds__frame_write(fd, DS__F_BLOCK, h, sizeof h, data, len, timeout_ms, stopfd);
}

/* A BLOCK's fields; false when the payload is too short or nrecs < 0. */
static bool ds__parse_block(const ds__frame *f, int *src, int64_t *time_ms, int64_t *nrecs)
{
	if (f->n < DS__BLOCK_HEAD)
		return false;
	*src = (int)(int32_t)ds__get32(f->p);
	*time_ms = (int64_t)ds__get64(f->p + 4);
	*nrecs = (int64_t)ds__get64(f->p + 12);
	return *nrecs >= 0;
}

/* An ERR frame's reason as a C string (printable ASCII, at most
 * DS__REASON_MAX bytes). */
static void ds__err_text(const ds__frame *f, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n && n + 1 < cap && n < DS__REASON_MAX; i++)
		out[n++] = f->p[i] >= 0x20 && f->p[i] < 0x7f ? (char)f->p[i] : '?';
	out[n] = 0;
}

/* ---- the client -------------------------------------------------------------- */

enum { DS__SAID_NOTHING, DS__SAID_AWAY, DS__SAID_REFUSED };

struct ds__repl {
	/* set by ds__repl_open, then read-only */
	const char *cmd;
	char *hostport; /* as given, for messages */
	char *host;     /* for getaddrinfo */
	char port[8];
	char *app;
	/* guarded by lock, held for a whole exchange */
	pthread_mutex_t lock;
	int fd;           /* -1: not connected */
	int64_t retry_at; /* monotonic ms: no connection attempt before it */
	int64_t backoff;  /* ms: the next retry delay */
	int said;         /* DS__SAID_*: what was said since the last success */
	ds__frame f;      /* the replies */
};

int ds__repl_open(ds__repl **rp, const char *hostport, const char *app, const char *cmd)
{
	*rp = NULL;
	char *host;
	int port;
	size_t alen = strlen(app);
	if (alen == 0 || alen > DS__APP_MAX)
		return -EINVAL;
	if (ds__split_hostport(hostport, &host, &port) < 0)
		return -EINVAL;
	if (port == 0 || host[0] == 0) {
		free(host);
		return -EINVAL;
	}
	ds__repl *r = ds__xcalloc(1, sizeof *r);
	r->cmd = cmd;
	r->hostport = ds__xstrdup(hostport);
	r->host = host;
	snprintf(r->port, sizeof r->port, "%d", port);
	r->app = ds__xstrdup(app);
	pthread_mutex_init(&r->lock, NULL);
	r->fd = -1;
	r->backoff = DS__BACKOFF_MIN;
	*rp = r;
	return 0;
}

/* The connection failed (err, in words why): closed, said once, and the
 * next attempt put off.  Returns err. */
static int ds__repl_fail(ds__repl *r, int err, const char *why)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	if (r->said != DS__SAID_AWAY) {
		char m[256];
		snprintf(m, sizeof m, "%s", why);
		ds__lower_first(m);
		ds__msg(r->cmd, "replica %s: unreachable (%s): going on unreplicated", r->hostport, m);
	}
	r->said = DS__SAID_AWAY;
	r->retry_at = ds__mono_us() / 1000 + r->backoff;
	r->backoff = ds__backoff_next(r->backoff);
	return err;
}

static int ds__repl_fail_errno(ds__repl *r, int rc)
{
	if (rc == -ECONNRESET)
		return ds__repl_fail(r, rc, "connection closed by the replica");
	return ds__repl_fail(r, rc, strerror(-rc));
}

/* An exchange succeeded. */
static void ds__repl_ok(ds__repl *r)
{
	if (r->said != DS__SAID_NOTHING)
		ds__msg(r->cmd, "replica %s: replicating again", r->hostport);
	r->said = DS__SAID_NOTHING;
}

/* Connects one address of ai: 0 with r->fd set, or -errno. */
static int ds__repl_dial(ds__repl *r, const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			rc = -errno;
		} else if ((rc = ds__wait(fd, POLLOUT, DS__REPL_TIMEOUT_MS, -1)) == 0) {
			int err = 0;
			socklen_t len = sizeof err;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				err = errno;
			rc = -err;
		}
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	int one = 1; /* a request waits for its reply: no Nagle delay */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	r->fd = fd;
	return 0;
}

/* Makes sure r is connected and greeted: 0, -EAGAIN in the back-off, or
 * the failure (said). */
static int ds__repl_ready(ds__repl *r)
{
	if (r->fd >= 0)
		return 0;
	if (ds__mono_us() / 1000 < r->retry_at)
		return -EAGAIN;
	struct addrinfo hints = {0}, *ais;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	int g = getaddrinfo(r->host, r->port, &hints, &ais);
	if (g != 0) {
		char m[200];
		snprintf(m, sizeof m, "cannot resolve host: %s", gai_strerror(g));
		return ds__repl_fail(r, -EHOSTUNREACH, m);
	}
	int rc = -ECONNREFUSED;
	for (const struct addrinfo *ai = ais; ai && r->fd < 0; ai = ai->ai_next)
		rc = ds__repl_dial(r, ai);
	freeaddrinfo(ais);
	if (r->fd < 0)
		return ds__repl_fail_errno(r, rc);
	size_t alen = strlen(r->app);
	unsigned char v[4];
	ds__put32(v, DS__REPL_VERSION);
	rc = ds__frame_write(r->fd, DS__F_HELLO, v, sizeof v, r->app, alen, DS__REPL_TIMEOUT_MS, -1);
	char why[DS__WHY_MAX];
	if (rc == 0)
		rc = ds__frame_read(r->fd, &r->f, DS__REPL_TIMEOUT_MS, DS__REPL_TIMEOUT_MS, -1, why);
	if (rc == 1)
		rc = -ECONNRESET;
	if (rc == -EPROTO)
		return ds__repl_fail(r, rc, why);
	if (rc < 0)
		return ds__repl_fail_errno(r, rc);
	if (r->f.type == DS__F_ERR) {
		char m[DS__REASON_MAX + 32], e[DS__REASON_MAX + 1];
		ds__err_text(&r->f, e, sizeof e);
		snprintf(m, sizeof m, "it refused us: %s", e);
		return ds__repl_fail(r, -ECONNREFUSED, m);
	}
	if (r->f.type != DS__F_OK)
		return ds__repl_fail(r, -EPROTO, "it answered HELLO with something else than OK");
	r->backoff = DS__BACKOFF_MIN;
	return 0;
}

/* Reads the reply to a request: 0 with r->f holding it, or the failure
 * (said; the connection is closed). */
static int ds__repl_reply(ds__repl *r)
{
	char why[DS__WHY_MAX];
	int rc = ds__frame_read(r->fd, &r->f, DS__REPL_TIMEOUT_MS, DS__REPL_TIMEOUT_MS, -1, why);
	if (rc == 1)
		rc = -ECONNRESET;
	if (rc == -EPROTO)
		return ds__repl_fail(r, rc, why);
	if (rc < 0)
		return ds__repl_fail_errno(r, rc);
	return 0;
}

/* The replica answered ERR to a request: said (once until a success). */
static int ds__repl_refused(ds__repl *r, const char *what)
{
	if (r->said != DS__SAID_REFUSED) {
		char e[DS__REASON_MAX + 1];
		ds__err_text(&r->f, e, sizeof e);
		ds__msg(r->cmd, "replica %s: %s failed (%s): going on unreplicated", r->hostport, what, e);
	}
	r->said = DS__SAID_REFUSED;
	return -EIO;
}

/* A request whose answer is ACK: 0 or -errno. */
static int ds__repl_acked(ds__repl *r, const char *what)
{
	int rc = ds__repl_reply(r);
	if (rc < 0)
		return rc;
	if (r->f.type == DS__F_ERR)
		return ds__repl_refused(r, what);
	if (r->f.type != DS__F_ACK || r->f.n != 0)
		return ds__repl_fail(r, -EPROTO, "it answered with something else than ACK");
	ds__repl_ok(r);
	return 0;
}

int ds__repl_send(ds__repl *r, int src, int64_t time_ms, const char *data, size_t len, int64_t nrecs)
{
	if (len > DS__FRAME_MAX - 1 - DS__BLOCK_HEAD || nrecs < 0)
		return -EMSGSIZE;
	pthread_mutex_lock(&r->lock);
	int rc = ds__repl_ready(r);
	if (rc == 0) {
		rc = ds__frame_block(r->fd, src, time_ms, data, len, nrecs, DS__REPL_TIMEOUT_MS, -1);
		rc = rc < 0 ? ds__repl_fail_errno(r, rc) : ds__repl_acked(r, "storing a block");
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int ds__repl_truncate(ds__repl *r, int64_t upto)
{
	pthread_mutex_lock(&r->lock);
	int rc = ds__repl_ready(r);
	if (rc == 0) {
		unsigned char b[8];
		ds__put64(b, (uint64_t)upto);
		rc = ds__frame_write(r->fd, DS__F_TRUNCATE, b, sizeof b, NULL, 0, DS__REPL_TIMEOUT_MS, -1);
		rc = rc < 0 ? ds__repl_fail_errno(r, rc) : ds__repl_acked(r, "truncating");
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int ds__repl_fetch(ds__repl *r, int64_t after, ds__wal_fn *fn, void *ctx)
{
	pthread_mutex_lock(&r->lock);
	int rc = ds__repl_ready(r);
	if (rc == 0) {
		unsigned char b[8];
		ds__put64(b, (uint64_t)after);
		rc = ds__frame_write(r->fd, DS__F_FETCH, b, sizeof b, NULL, 0, DS__REPL_TIMEOUT_MS, -1);
		if (rc < 0)
			rc = ds__repl_fail_errno(r, rc);
	}
	int64_t n = 0;
	while (rc == 0) {
		if ((rc = ds__repl_reply(r)) < 0)
			break;
		int src;
		int64_t t, nrecs;
		if (r->f.type == DS__F_BLOCK && ds__parse_block(&r->f, &src, &t, &nrecs)) {
			/* what the log would believe, no more: its lines, and after the checkpoint */
			const char *data = (const char *)r->f.p + DS__BLOCK_HEAD;
			size_t len = r->f.n - DS__BLOCK_HEAD;
			if (!ds__wal_payload_ok(data, len, nrecs)) {
				rc = ds__repl_fail(r, -EPROTO, "it sent a block whose lines are not its count");
				break;
			}
			if (t <= after) {
				rc = ds__repl_fail(r, -EPROTO, "it sent a block the checkpoint covers");
				break;
			}
			fn(ctx, src, t, data, len, nrecs);
			n++;
		} else if (r->f.type == DS__F_END && r->f.n == 8) {
			if ((int64_t)ds__get64(r->f.p) != n) {
				rc = ds__repl_fail(r, -EPROTO, "it ended a fetch with another count than it sent");
				break;
			}
			ds__repl_ok(r);
			break;
		} else if (r->f.type == DS__F_ERR) {
			rc = ds__repl_refused(r, "fetching");
		} else {
			rc = ds__repl_fail(r, -EPROTO, "a bad answer to FETCH");
		}
	}
	ds__frame_shrink(&r->f);
	pthread_mutex_unlock(&r->lock);
	if (rc < 0)
		return rc;
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

void ds__repl_adopt(ds__repl *r, int fd)
{
	pthread_mutex_lock(&r->lock);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = fd;
	pthread_mutex_unlock(&r->lock);
}

void ds__repl_close(ds__repl *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	ds__frame_close(&r->f);
	pthread_mutex_destroy(&r->lock);
	free(r->hostport);
	free(r->host);
	free(r->app);
	free(r);
}

/* ---- the server -------------------------------------------------------------- */

typedef struct ds__rapp {
	char *name; /* as the clients send it (any bytes) */
	size_t len;
	ds__wal *wal;
} ds__rapp;

typedef struct ds__rsrv {
	/* set before the first connection, then read-only */
	const char *dir, *cmd;
	int stop[2]; /* pipe: written once at shutdown, polled by every connection */
	/* guarded by lock */
	pthread_mutex_t lock;
	ds__rapp *apps;
	size_t napps, capapps;
} ds__rsrv;

typedef struct ds__rconn {
	struct ds__rconn *next; /* the accepting thread's list */
	ds__rsrv *srv;
	pthread_t thread;
	bool done; /* the thread has finished; guarded by srv->lock */
	/* the connection's thread */
	int fd;
	char peer[64]; /* "ADDR:PORT", for messages */
	ds__wal *wal;  /* after HELLO: the app's log (owned by srv) */
	ds__frame f;
} ds__rconn;

/* The app's directory name under DIR: see the top of the file. */
static char *ds__app_dir(const char *dir, const char *app, size_t alen)
{
	size_t dl = strlen(dir);
	char *p = ds__xmalloc(dl + 1 + 3 * alen + 1), *q = p;
	memcpy(q, dir, dl);
	q += dl;
	*q++ = '/';
	for (size_t i = 0; i < alen; i++) {
		unsigned char c = (unsigned char)app[i];
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		             c == '-' || (c == '.' && i > 0);
		if (plain) {
			*q++ = (char)c;
		} else {
			static const char hex[] = "0123456789ABCDEF";
			*q++ = '%';
			*q++ = hex[c >> 4];
			*q++ = hex[c & 15];
		}
	}
	*q = 0;
	return p;
}

/* The app's log, opened on first use: 0 or -errno. */
static int ds__srv_app(ds__rsrv *s, const char *app, size_t alen, ds__wal **out)
{
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->napps; i++)
		if (s->apps[i].len == alen && memcmp(s->apps[i].name, app, alen) == 0) {
			*out = s->apps[i].wal;
			goto done;
		}
	char *path = ds__app_dir(s->dir, app, alen);
	ds__wal *w;
	rc = ds__wal_open(&w, path, DS__WAL_SYNC_OFF, s->cmd);
	free(path);
	if (rc < 0)
		goto done;
	if (s->napps == s->capapps) {
		s->capapps = s->capapps ? 2 * s->capapps : 8;
		s->apps = ds__xrealloc(s->apps, s->capapps * sizeof *s->apps);
	}
	char *name = ds__xmalloc(alen);
	memcpy(name, app, alen);
	s->apps[s->napps++] = (ds__rapp){name, alen, w};
	*out = w;
done:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int ds__conn_err(ds__rconn *c, const char *reason)
{
	return ds__frame_write(c->fd, DS__F_ERR, reason, strlen(reason), NULL, 0, 1000, c->srv->stop[0]);
}

/* A client broke the protocol: said, answered ERR(reason); the caller closes. */
static void ds__conn_bad(ds__rconn *c, const char *reason)
{
	ds__msg(c->srv->cmd, "replica: %s: %s: closing the connection", c->peer, reason);
	ds__conn_err(c, reason);
}

typedef struct ds__fetch_ctx {
	ds__rconn *c;
	int rc;    /* the first write failure */
	int64_t n; /* blocks sent */
} ds__fetch_ctx;

/* Whether the server is stopping (its stop pipe is readable). */
static bool ds__stopping(const ds__rsrv *s)
{
	struct pollfd p = {s->stop[0], POLLIN, 0};
	return poll(&p, 1, 0) > 0;
}

static void ds__fetch_one(void *ctx, int src, int64_t time_ms, const char *data, size_t len, int64_t nrecs)
{
	ds__fetch_ctx *x = ctx;
	if (x->rc == 0 && ds__stopping(x->c->srv))
		x->rc = -ECANCELED;
	if (x->rc < 0)
		return;
	x->rc = ds__frame_block(x->c->fd, src, time_ms, data, len, nrecs, DS__SERVE_TIMEOUT_MS, x->c->srv->stop[0]);
	if (x->rc == 0)
		x->n++;
}

/* Handles one frame: 0 to go on, -1 to close the connection. */
static int ds__conn_frame(ds__rconn *c)
{
	ds__frame *f = &c->f;
	const char *cmd = c->srv->cmd;
	char m[256];
	if (f->type == DS__F_HELLO) {
		if (c->wal) {
			ds__conn_bad(c, "HELLO twice");
			return -1;
		}
		if (f->n < 4 || f->n - 4 == 0 || f->n - 4 > DS__APP_MAX) {
			ds__conn_bad(c, "HELLO without a version and an app name of 1 to 255 bytes");
			return -1;
		}
		uint32_t v = ds__get32(f->p);
		if (v != DS__REPL_VERSION) {
			snprintf(m, sizeof m, "protocol version %u; this replica speaks version %d", v, DS__REPL_VERSION);
			ds__conn_bad(c, m);
			return -1;
		}
		int rc = ds__srv_app(c->srv, (const char *)f->p + 4, f->n - 4, &c->wal);
		if (rc < 0) {
			snprintf(m, sizeof m, "cannot open the app's log under %s: %s", c->srv->dir, strerror(-rc));
			ds__msg(cmd, "replica: %s: %s", c->peer, m);
			ds__conn_err(c, m);
			return -1;
		}
		return ds__frame_write(c->fd, DS__F_OK, NULL, 0, NULL, 0, DS__SERVE_TIMEOUT_MS, c->srv->stop[0]) < 0 ? -1 : 0;
	}
	if (!c->wal) {
		snprintf(m, sizeof m, "%s before HELLO", ds__frame_name(f->type));
		ds__conn_bad(c, m);
		return -1;
	}
	int rc;
	switch (f->type) {
	case DS__F_BLOCK: {
		int src;
		int64_t t, nrecs;
		if (!ds__parse_block(f, &src, &t, &nrecs)) {
			ds__conn_bad(c, "a BLOCK shorter than its header or with a negative count");
			return -1;
		}
		rc = ds__wal_append(c->wal, src, t, (const char *)f->p + DS__BLOCK_HEAD, f->n - DS__BLOCK_HEAD, nrecs);
		break;
	}
	case DS__F_TRUNCATE:
		if (f->n != 8) {
			ds__conn_bad(c, "a TRUNCATE of another size than 8 bytes");
			return -1;
		}
		rc = ds__wal_truncate(c->wal, (int64_t)ds__get64(f->p));
		break;
	case DS__F_FETCH: {
		if (f->n != 8) {
			ds__conn_bad(c, "a FETCH of another size than 8 bytes");
			return -1;
		}
		ds__fetch_ctx x = {c, 0, 0};
		rc = ds__wal_replay(c->wal, (int64_t)ds__get64(f->p), ds__fetch_one, &x, NULL);
		if (x.rc < 0)
			return -1; /* the client is gone or stuck */
		if (rc >= 0) {
			unsigned char b[8];
			ds__put64(b, (uint64_t)x.n);
			return ds__frame_write(c->fd, DS__F_END, b, sizeof b, NULL, 0, DS__SERVE_TIMEOUT_MS, c->srv->stop[0]) < 0
			           ? -1 : 0;
		}
		break;
	}
	default:
		snprintf(m, sizeof m, "%s from a client", ds__frame_name(f->type));
		ds__conn_bad(c, m);
		return -1;
	}
	if (rc < 0) { /* the log failed: the client hears why and may go on */
		snprintf(m, sizeof m, "%s: %s", ds__frame_name(f->type), strerror(-rc));
		ds__msg(cmd, "replica: %s: %s", c->peer, m);
		return ds__conn_err(c, m) < 0 ? -1 : 0;
	}
	return ds__frame_write(c->fd, DS__F_ACK, NULL, 0, NULL, 0, DS__SERVE_TIMEOUT_MS, c->srv->stop[0]) < 0 ? -1 : 0;
}

static void *ds__conn_main(void *arg)
{
	ds__rconn *c = arg;
	while (!ds__stopping(c->srv)) { /* a busy client does not keep us from stopping */
		char why[DS__WHY_MAX];
		int rc = ds__frame_read(c->fd, &c->f, -1, DS__SERVE_TIMEOUT_MS, c->srv->stop[0], why);
		if (rc == 1 || rc == -ECANCELED)
			break; /* the client left, or we stop */
		if (rc == -EPROTO) {
			ds__conn_bad(c, why);
			break;
		}
		if (rc < 0) {
			ds__msg(c->srv->cmd, "replica: %s: %s: closing the connection", c->peer,
			        rc == -ECONNRESET ? "connection closed in the middle of a frame" : strerror(-rc));
			break;
		}
		rc = ds__conn_frame(c);
		ds__frame_shrink(&c->f);
		if (rc < 0)
			break;
	}
	close(c->fd);
	c->fd = -1;
	ds__frame_close(&c->f);
	pthread_mutex_lock(&c->srv->lock);
	c->done = true;
	pthread_mutex_unlock(&c->srv->lock);
	return NULL;
}

/* Joins the finished connections (all of them when all); returns how many are left. */
static int ds__srv_reap(ds__rsrv *s, ds__rconn **list, bool all)
{
	int left = 0;
	for (ds__rconn **pp = list; *pp;) {
		ds__rconn *c = *pp;
		pthread_mutex_lock(&s->lock);
		bool done = c->done;
		pthread_mutex_unlock(&s->lock);
		if (done || all) {
			pthread_join(c->thread, NULL);
			*pp = c->next;
			free(c);
		} else {
			left++;
			pp = &c->next;
		}
	}
	return left;
}

static void ds__peer_name(const struct sockaddr_storage *a, socklen_t len, char *out, size_t cap)
{
	char h[64], p[8]; /* numeric: an IPv6 address with its scope fits */
	if (getnameinfo((const struct sockaddr *)a, len, h, sizeof h, p, sizeof p, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(out, cap, "?");
	else if (a->ss_family == AF_INET6)
		snprintf(out, cap, "[%s]:%s", h, p);
	else
		snprintf(out, cap, "%s:%s", h, p);
}

/* Binds and listens on host:port (host empty: 127.0.0.1): the socket, or
 * -errno (after a message). */
static int ds__srv_listen(const char *cmd, const char *hostport, const char *host, int port)
{
	const char *why;
	int fd = ds__tcp_listen(host, port, false, &why);
	if (fd < 0) {
		char m[128];
		snprintf(m, sizeof m, "%s", why ? why : strerror(-fd));
		ds__lower_first(m);
		ds__msg(cmd, "replica: cannot listen on %s: %s", hostport, m);
	}
	return fd;
}

static void ds__srv_on_signal(int sig)
{
	(void)sig;
	ds__stop_flag = 1;
}

/* After the last connection: the apps' logs, the lock, the stop pipe. */
static void ds__srv_close(ds__rsrv *s)
{
	for (size_t i = 0; i < s->napps; i++) {
		ds__wal_close(s->apps[i].wal);
		free(s->apps[i].name);
	}
	free(s->apps);
	pthread_mutex_destroy(&s->lock);
	close(s->stop[0]);
	close(s->stop[1]);
}

void ds__replica_serve_fd(int fd, const char *dir, const char *cmd)
{
	ds__rsrv s = {0};
	s.dir = dir;
	s.cmd = cmd;
	if (pipe2(s.stop, O_CLOEXEC) < 0) {
		close(fd);
		return;
	}
	pthread_mutex_init(&s.lock, NULL);
	ds__rconn c = {0};
	c.srv = &s;
	c.fd = fd;
	snprintf(c.peer, sizeof c.peer, "fd %d", fd);
	ds__conn_main(&c);
	ds__srv_close(&s);
}

int ds__replica_serve(const char *listen_hostport, const char *dir, const char *cmd)
{
	char *host;
	int port;
	if (ds__split_hostport(listen_hostport, &host, &port) < 0) {
		ds__msg(cmd, "replica: invalid listen address '%s' (HOST:PORT, PORT 0 to 65535)", listen_hostport);
		return 2;
	}
	if (!dir[0]) {
		free(host);
		ds__msg(cmd, "replica: the directory is empty");
		return 2;
	}
	int rc = ds__mkdirs(dir);
	if (rc < 0) {
		free(host);
		ds__msg(cmd, "replica: cannot use directory '%s': %s", dir, strerror(-rc));
		return 1;
	}
	int lfd = ds__srv_listen(cmd, listen_hostport, host, port);
	if (lfd < 0) {
		free(host);
		return 1;
	}
	struct sockaddr_storage a;
	socklen_t alen = sizeof a;
	getsockname(lfd, (struct sockaddr *)&a, &alen);
	char where[96];
	ds__peer_name(&a, alen, where, sizeof where);
	free(host);

	ds__rsrv s = {0};
	s.dir = dir;
	s.cmd = cmd;
	if (pipe2(s.stop, O_CLOEXEC) < 0) {
		ds__msg(cmd, "replica: %s", strerror(errno));
		close(lfd);
		return 1;
	}
	pthread_mutex_init(&s.lock, NULL);

	/* SIGINT and SIGTERM: blocked but in ppoll, so none is lost between
	 * the check of the flag and the wait. */
	sigset_t block, old, waitmask;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	waitmask = old;
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	struct sigaction sa, old_int, old_term, old_pipe;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ds__srv_on_signal;
	sigemptyset(&sa.sa_mask);
	ds__stop_flag = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);

	printf("replica listening on %s\n", where);
	fflush(stdout);

	ds__rconn *conns = NULL;
	int status = 0;
	while (!ds__stop_flag) {
		struct pollfd p = {lfd, POLLIN, 0};
		int n = ppoll(&p, 1, NULL, &waitmask);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ds__msg(cmd, "replica: %s", strerror(errno));
			status = 1;
			break;
		}
		int left = ds__srv_reap(&s, &conns, false);
		struct sockaddr_storage pa;
		socklen_t plen = sizeof pa;
		int fd = accept4(lfd, (struct sockaddr *)&pa, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			continue; /* the client left already, or out of descriptors: try again later */
		ds__rconn *c = ds__xcalloc(1, sizeof *c);
		c->srv = &s;
		c->fd = fd;
		ds__peer_name(&pa, plen, c->peer, sizeof c->peer);
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (left >= DS__SERVE_CONNS) {
			ds__conn_bad(c, "too many connections");
			close(fd);
			free(c);
			continue;
		}
		rc = ds__thread_start(&c->thread, ds__conn_main, c);
		if (rc < 0) {
			ds__msg(cmd, "replica: %s: cannot start a thread: %s", c->peer, strerror(-rc));
			close(fd);
			free(c);
			continue;
		}
		c->next = conns;
		conns = c;
	}

	ssize_t w = write(s.stop[1], "x", 1);
	(void)w;
	ds__srv_reap(&s, &conns, true);
	ds__srv_close(&s);
	close(lfd);
	/* unblocked first: a signal pending now goes to our handler, not the old one */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	return status;
}
