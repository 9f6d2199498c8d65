/* util.c: the compilation arena and growable pointer arrays.
 *
 * The arena is a list of chunks with a bump pointer; every compiler
 * allocation lives until arena_free_all at the end of the compilation
 * (QBE util.c alloc/freeall).  Memory is zeroed and 16-byte aligned.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ast.h"

enum { CHUNK_SIZE = 64 * 1024, ALIGN = 16 };

static volatile pid_t running_child; /* run_command's, while it waits; else 0 (signals) */

typedef struct Chunk {
	struct Chunk *next;
	size_t used; /* bytes of data[] handed out */
	size_t cap;  /* bytes of data[] */
	_Alignas(ALIGN) unsigned char data[];
} Chunk;

static Chunk *chunks; /* the current chunk first */

static Chunk *chunk_new(size_t cap)
{
	Chunk *c = calloc(1, sizeof(Chunk) + cap);
	if (!c) {
		fprintf(stderr, "dstreamc: out of memory\n");
		exit(2);
	}
	c->cap = cap;
	return c;
}

void *arena_alloc(size_t n)
{
	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (n == 0)
		n = ALIGN;
	if (n > CHUNK_SIZE / 4) {
		/* A big block gets a chunk of its own, behind the current one, so
		 * the current chunk's free space is not wasted. */
		Chunk *c = chunk_new(n);
		c->used = n;
		if (chunks) {
			c->next = chunks->next;
			chunks->next = c;
		} else {
			chunks = c;
		}
		return c->data;
	}
	if (!chunks || chunks->cap - chunks->used < n) {
		Chunk *c = chunk_new(CHUNK_SIZE);
		c->next = chunks;
		chunks = c;
	}
	void *p = chunks->data + chunks->used;
	chunks->used += n;
	return p;
}

char *arena_strndup(const char *s, size_t n)
{
	char *p = arena_alloc(n + 1);
	memcpy(p, s, n);
	return p; /* p[n] is already 0 */
}

char *arena_strdup(const char *s)
{
	return arena_strndup(s, strlen(s));
}

char *arena_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ASSERT(n >= 0);
	char *p = arena_alloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void arena_free_all(void)
{
	while (chunks) {
		Chunk *next = chunks->next;
		free(chunks);
		chunks = next;
	}
}

bool vec_has(const Vec *vec, const void *p)
{
	for (int i = 0; i < vec->n; i++)
		if (vec->v[i] == p)
			return true;
	return false;
}

void vec_push(Vec *vec, void *p)
{
	if (vec->n == vec->cap) {
		int cap = vec->cap ? vec->cap * 2 : 4;
		void **v = arena_alloc((size_t)cap * sizeof *v);
		if (vec->n)
			memcpy(v, vec->v, (size_t)vec->n * sizeof *v);
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n++] = p;
}

/* Runs argv with execvp and waits: no shell, so no quoting of paths. */
int run_command(char **argv)
{
	return run_command_to(argv, NULL);
}

int run_command_to(char **argv, const char *errpath)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "dstreamc: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (errpath) {
			int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (fd < 0 || dup2(fd, 2) < 0)
				_exit(127);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "dstreamc: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	running_child = pid;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			running_child = 0;
			return -1;
		}
	running_child = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- temporary files ------------------------------------------------------
 *
 * Every path tmp_path hands out is remembered until tmp_remove or
 * remove_tmpdir forgets it; whatever is still there when dstreamc exits
 * (atexit) or is killed by SIGINT, SIGTERM, SIGHUP, SIGQUIT or SIGABRT
 * (die) is removed then.  The signal handler uses system calls only: a
 * directory's files are listed with getdents64 and removed with unlinkat.
 * A path is registered before mkstemps/mkdtemp fills in its name; a name
 * that does not exist yet is simply not there to remove.
 */
enum { MAX_TMP = 256 };
static char *volatile tmp_paths[MAX_TMP]; /* NULL: a free slot */

static void tmp_forget(const char *path)
{
	for (int i = 0; i < MAX_TMP; i++)
		if (tmp_paths[i] == path)
			tmp_paths[i] = NULL;
}

/* Removes path, a file or a directory of files. Async-signal-safe. */
static void tmp_unlink(const char *path)
{
	if (unlink(path) == 0 || errno != EISDIR)
		return;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[4096];
		ssize_t n;
		while ((n = getdents64(fd, buf, sizeof buf)) > 0)
			for (ssize_t off = 0; off < n;) {
				struct dirent64 *e = (struct dirent64 *)(buf + off);
				if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
					unlinkat(fd, e->d_name, 0);
				off += e->d_reclen;
			}
		close(fd);
	}
	rmdir(path);
}

static void tmp_remove_all(void)
{
	int saved = errno;
	for (int i = MAX_TMP - 1; i >= 0; i--) {
		char *p = tmp_paths[i];
		if (p) {
			tmp_paths[i] = NULL;
			tmp_unlink(p);
		}
	}
	errno = saved;
}

static void tmp_on_signal(int sig)
{
	pid_t child = running_child;
	if (child > 0) { /* cc first: it would write its output after we cleaned up */
		kill(child, sig == SIGABRT ? SIGTERM : sig);
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
	}
	tmp_remove_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

void tmp_cleanup_install(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT};
	atexit(tmp_remove_all);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa = {.sa_handler = tmp_on_signal};
		struct sigaction old;
		sigemptyset(&sa.sa_mask);
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue; /* nohup, or a shell's background job: keep ignoring */
		sigaction(sigs[i], &sa, NULL);
	}
}

void tmp_keep(const char *path)
{
	tmp_forget(path);
}

void tmp_remove(const char *path)
{
	tmp_forget(path);
	unlink(path);
}

/* Removes a private temporary directory (mkdtemp) and the plain files in it. */
void remove_tmpdir(const char *dir)
{
	tmp_forget(dir);
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlink(arena_printf("%s/%s", dir, e->d_name));
		closedir(d);
	}
	rmdir(dir);
}

/* NAME under $TMPDIR, else /tmp (a mkdtemp/mkstemps pattern), remembered
 * for removal at exit or on a signal. */
char *tmp_path(const char *name)
{
	const char *tmp = getenv("TMPDIR");
	char *p = arena_printf("%s/%s", tmp && *tmp ? tmp : "/tmp", name);
	for (int i = 0; i < MAX_TMP; i++)
		if (!tmp_paths[i]) {
			tmp_paths[i] = p;
			break;
		}
	return p;
}

/* s as text inside a generated comment (C's slash-star, LLVM's ';'): a
 * user's path, app name or string can hold star-slash, slash-star or a line
 * end, which would end the comment (and compile what follows, or break the
 * build).  They become star-backslash-slash, slash-backslash-star and
 * "\n"; other control bytes are written \xHH. */
char *comment_text(const char *s)
{
	size_t n = strlen(s);
	char *out = arena_alloc(4 * n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c == '*' && s[i + 1] == '/') || (c == '/' && s[i + 1] == '*')) {
			*o++ = (char)c;
			*o++ = '\\';
		} else if (c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (c < 0x20 || c == 0x7f) {
			o += sprintf(o, "\\x%02X", c);
		} else {
			*o++ = (char)c;
		}
	}
	*o = 0;
	return out;
}
