/* util.c: the compilation arena and growable pointer arrays.
 *
 * The arena is a list of chunks with a bump pointer; every compiler
 * allocation lives until arena_free_all at the end of the compilation
 * (QBE util.c alloc/freeall).  Memory is zeroed and 16-byte aligned.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ast.h"

enum { CHUNK_SIZE = 64 * 1024, ALIGN = 16 };

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
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "dstreamc: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "dstreamc: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Removes a private temporary directory (mkdtemp) and the plain files in it. */
void remove_tmpdir(const char *dir)
{
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

/* NAME under $TMPDIR, else /tmp (a mkdtemp/mkstemps pattern). */
char *tmp_path(const char *name)
{
	const char *tmp = getenv("TMPDIR");
	return arena_printf("%s/%s", tmp && *tmp ? tmp : "/tmp", name);
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
