/* cfgedit: the config file as lines, edited in place and written back
 * atomically.  Line classification mirrors config.c's reader (parse_line,
 * trim) and uses its comment rule (cfg_comment_at), so that what cfge_get
 * returns is what cfg_load reads. */
#include "cfgedit.h"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE (16u << 20) /* a config file larger than this is refused */
#define MAX_VALUE 60000      /* config.c refuses lines over 65536 bytes */

struct line {
	char *p;     /* owned; the line's bytes including its '\n' when present */
	size_t len;
};

struct cfge {
	char path[PATH_MAX];
	struct line *v;
	size_t n, cap;
};

enum kind { K_OTHER, K_SECTION, K_KEY };

/* One classified line: name is the section (normalised) or the key; for a
 * key, [vs, ve) is the value inside the line.  An empty value (empty true)
 * spans from '=' + 1 over the blanks up to the line end, or is empty at
 * '=' + 1 when a comment follows, so a new value goes in as " value". */
struct parsed {
	enum kind kind;
	bool empty;
	char name[256];
	size_t eq, vs, ve;
};

static void msg(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* isspace() in the C locale, as config.c's trim() sees it. */
static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Copies p[0..n) into out with runs of blanks folded to one space; false
 * when it does not fit. */
static bool normalise(const char *p, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		bool blank = p[i] == ' ' || p[i] == '\t';
		if (blank && o && out[o - 1] == ' ')
			continue;
		if (o + 1 >= outlen)
			return false;
		out[o++] = blank ? ' ' : p[i];
	}
	out[o] = '\0';
	return true;
}

static void trim_span(const char *p, size_t *s, size_t *e)
{
	while (*s < *e && is_ws(p[*s]))
		(*s)++;
	while (*e > *s && is_ws(p[*e - 1]))
		(*e)--;
}

/* Where the reader cuts the value p[s..e) (config.c's comment rule). */
static size_t comment_cut(const char *p, size_t s, size_t e)
{
	return s + cfg_comment_at(p + s, e - s);
}

static enum kind classify(const struct line *l, struct parsed *out)
{
	const char *p = l->p;
	size_t s = 0, e = l->len;
	out->kind = K_OTHER;
	if (memchr(p, '\0', l->len))
		return K_OTHER;
	trim_span(p, &s, &e);
	if (s == e || p[s] == ';' || p[s] == '#')
		return K_OTHER;
	if (p[s] == '[') {
		const char *close = memchr(p + s, ']', e - s);
		size_t ns = s + 1, ne = close ? (size_t)(close - p) : 0;
		if (!close || ne != e - 1)
			return K_OTHER;
		trim_span(p, &ns, &ne);
		if (!normalise(p + ns, ne - ns, out->name, sizeof out->name))
			return K_OTHER;
		return out->kind = K_SECTION;
	}
	const char *eq = memchr(p + s, '=', e - s);
	if (!eq)
		return K_OTHER;
	size_t ks = s, ke = (size_t)(eq - p);
	trim_span(p, &ks, &ke);
	if (ks == ke || ke - ks >= sizeof out->name)
		return K_OTHER;
	memcpy(out->name, p + ks, ke - ks);
	out->name[ke - ks] = '\0';
	out->eq = (size_t)(eq - p);
	out->vs = out->eq + 1;
	size_t cut = comment_cut(p, out->vs, l->len);
	out->ve = cut;
	trim_span(p, &out->vs, &out->ve);
	out->empty = out->vs == out->ve;
	if (out->empty) {
		size_t end = l->len;
		end -= end > out->eq + 1 && p[end - 1] == '\n';
		end -= end > out->eq + 1 && p[end - 1] == '\r';
		out->vs = out->eq + 1;
		out->ve = cut < l->len ? out->vs : end;
	}
	return out->kind = K_KEY;
}

/* ---- reading ---- */

static int push_line(struct cfge *e, size_t at, const char *p, size_t len)
{
	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 64;
		struct line *nv = realloc(e->v, ncap * sizeof *nv);
		if (!nv)
			return -1;
		e->v = nv;
		e->cap = ncap;
	}
	char *copy = malloc(len + 1);
	if (!copy)
		return -1;
	memcpy(copy, p, len);
	copy[len] = '\0';
	memmove(e->v + at + 1, e->v + at, (e->n - at) * sizeof *e->v);
	e->v[at] = (struct line){ copy, len };
	e->n++;
	return 0;
}

static int read_all(int fd, char **buf, size_t *len, char *err, size_t errlen, const char *path)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_FILE) {
		msg(err, errlen, "%s: not a regular file of at most 16 MiB", path);
		return -1;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *b = malloc(cap);
	ssize_t r;
	while (b && (r = read(fd, b + n, cap - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || n + (size_t)r > MAX_FILE) {
			msg(err, errlen, "%s: %s", path, r < 0 ? strerror(errno) : "file too large");
			free(b);
			return -1;
		}
		n += (size_t)r;
		if (n == cap) {
			char *nb = realloc(b, cap *= 2);
			if (!nb)
				free(b);
			b = nb;
		}
	}
	if (!b) {
		msg(err, errlen, "%s: out of memory", path);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

struct cfge *cfge_open(const char *path, char *err, size_t errlen)
{
	struct cfge *e = calloc(1, sizeof *e);
	if (!e || strlen(path) >= sizeof e->path - 8) {
		msg(err, errlen, "%s: %s", path, e ? "path too long" : "out of memory");
		free(e);
		return NULL;
	}
	snprintf(e->path, sizeof e->path, "%s", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return e;
	char *buf = NULL;
	size_t len = 0;
	if (fd < 0 || read_all(fd, &buf, &len, err, errlen, path) < 0) {
		if (fd < 0)
			msg(err, errlen, "%s: %s", path, strerror(errno));
		else
			close(fd);
		free(e);
		return NULL;
	}
	close(fd);
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (buf + i)) + 1 : len - i;
		if (push_line(e, e->n, buf + i, n) < 0) {
			msg(err, errlen, "%s: out of memory", path);
			free(buf);
			cfge_close(e);
			return NULL;
		}
		i += n;
	}
	free(buf);
	return e;
}

void cfge_close(struct cfge *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].p);
	free(e->v);
	free(e);
}

/* ---- finding ---- */

/* Where a key lives: its last line, the last key line of the section, the
 * last header of the section (each SIZE_MAX when absent). */
struct where {
	size_t key, last_key, header;
};

static struct where locate(const struct cfge *e, const char *section, const char *key)
{
	struct where w = { SIZE_MAX, SIZE_MAX, SIZE_MAX };
	bool in = false;
	struct parsed ps;
	for (size_t i = 0; i < e->n; i++) {
		enum kind k = classify(&e->v[i], &ps);
		if (k == K_SECTION) {
			in = !strcmp(ps.name, section);
			if (in)
				w.header = i;
		} else if (k == K_KEY && in) {
			w.last_key = i;
			if (!strcmp(ps.name, key))
				w.key = i;
		}
	}
	return w;
}

bool cfge_get(const struct cfge *e, const char *section, const char *key, char *out, size_t outlen)
{
	char sec[256];
	if (!normalise(section, strlen(section), sec, sizeof sec))
		return false;
	struct where w = locate(e, sec, key);
	struct parsed ps;
	if (w.key == SIZE_MAX || classify(&e->v[w.key], &ps) != K_KEY)
		return false;
	size_t n = ps.empty ? 0 : ps.ve - ps.vs;
	if (n >= outlen)
		return false;
	memcpy(out, e->v[w.key].p + ps.vs, n);
	out[n] = '\0';
	return true;
}

/* ---- editing ---- */

static const char *check_names(const char *section, const char *key)
{
	size_t sl = strlen(section);
	if (!sl || sl > 200 || strpbrk(section, "[]\r\n;#=") || section[0] == ' ' || section[0] == '\t' ||
	    section[sl - 1] == ' ' || section[sl - 1] == '\t')
		return "bad section name";
	if (!*key || strlen(key) > 200 ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(key))
		return "bad key name (letters, digits, '_', '.', '-')";
	return NULL;
}

/* The trimmed value, or NULL when config.c would not read it back as is. */
static const char *check_value(const char *value, size_t *s, size_t *e)
{
	*s = 0;
	*e = strlen(value);
	trim_span(value, s, e);
	if (*e - *s > MAX_VALUE)
		return "value too long";
	for (size_t i = *s; i < *e; i++)
		if (((unsigned char)value[i] < 0x20 && value[i] != '\t') || value[i] == 0x7f)
			return "value contains a control character";
	if (*e > *s && (value[*s] == ';' || value[*s] == '#'))
		return "value cannot start with ';' or '#' (read as a comment)";
	if (comment_cut(value, *s, *e) != *e)
		return "value cannot contain ' ;' or ' #' (read as a comment)";
	return NULL;
}

static int replace_line(struct cfge *e, size_t i, const char *v, size_t vlen)
{
	struct line *l = &e->v[i];
	struct parsed ps;
	classify(l, &ps);
	bool space = ps.empty && vlen; /* empty value: "key =" + " v" */
	size_t tail = l->len - ps.ve, len = ps.vs + space + vlen + tail;
	char *p = malloc(len + 1);
	if (!p)
		return -1;
	memcpy(p, l->p, ps.vs);
	if (space)
		p[ps.vs] = ' ';
	memcpy(p + ps.vs + space, v, vlen);
	memcpy(p + ps.vs + space + vlen, l->p + ps.ve, tail);
	p[len] = '\0';
	free(l->p);
	*l = (struct line){ p, len };
	return 0;
}

/* Makes sure line i ends with a newline (the file's last line may not). */
static int end_line(struct cfge *e, size_t i)
{
	struct line *l = &e->v[i];
	if (l->len && l->p[l->len - 1] == '\n')
		return 0;
	char *p = realloc(l->p, l->len + 2);
	if (!p)
		return -1;
	p[l->len++] = '\n';
	p[l->len] = '\0';
	l->p = p;
	return 0;
}

/* Inserts "INDENTkey = value" (newline as in line `like`) at position at. */
static int insert_key(struct cfge *e, size_t at, size_t like, const char *key, const char *v, size_t vlen)
{
	const struct line *l = like == SIZE_MAX ? NULL : &e->v[like];
	size_t ind = 0;
	while (l && ind < l->len && (l->p[ind] == ' ' || l->p[ind] == '\t'))
		ind++;
	bool crlf = l && l->len >= 2 && l->p[l->len - 2] == '\r';
	size_t klen = strlen(key), len = ind + klen + 3 + vlen + 1 + crlf;
	char *p = malloc(len + 1);
	if (!p)
		return -1;
	int n = snprintf(p, len + 1, "%.*s%s = %.*s%s", (int)ind, l ? l->p : "", key, (int)vlen, v, crlf ? "\r\n" : "\n");
	int rc = push_line(e, at, p, (size_t)n);
	free(p);
	return rc;
}

static int append_section(struct cfge *e, const char *section)
{
	char hdr[256];
	if (e->n && end_line(e, e->n - 1) < 0)
		return -1;
	if (e->n) {
		size_t s = 0, end = e->v[e->n - 1].len;
		trim_span(e->v[e->n - 1].p, &s, &end);
		if (s != end && push_line(e, e->n, "\n", 1) < 0)
			return -1;
	}
	int n = snprintf(hdr, sizeof hdr, "[%s]\n", section);
	return push_line(e, e->n, hdr, (size_t)n);
}

int cfge_set(struct cfge *e, const char *section, const char *key, const char *value,
             char *err, size_t errlen)
{
	char sec[256];
	size_t vs, ve;
	const char *m = check_names(section, key);
	if (!m)
		m = check_value(value, &vs, &ve);
	if (m || !normalise(section, strlen(section), sec, sizeof sec)) {
		msg(err, errlen, "[%s] %s: %s", section, key, m ? m : "bad section name");
		return -1;
	}
	struct where w = locate(e, sec, key);
	int rc;
	if (w.key != SIZE_MAX) {
		rc = replace_line(e, w.key, value + vs, ve - vs);
	} else if (w.header != SIZE_MAX) {
		size_t after = w.last_key != SIZE_MAX && w.last_key > w.header ? w.last_key : w.header;
		rc = end_line(e, after);
		if (!rc)
			rc = insert_key(e, after + 1, w.last_key, key, value + vs, ve - vs);
	} else {
		rc = append_section(e, sec);
		if (!rc)
			rc = insert_key(e, e->n, SIZE_MAX, key, value + vs, ve - vs);
	}
	if (rc < 0)
		msg(err, errlen, "out of memory");
	return rc;
}

int cfge_del(struct cfge *e, const char *section, const char *key)
{
	char sec[256];
	struct parsed ps;
	bool in = false;
	int removed = 0;
	if (!normalise(section, strlen(section), sec, sizeof sec))
		return 0;
	for (size_t i = 0; i < e->n;) {
		enum kind k = classify(&e->v[i], &ps);
		if (k == K_SECTION)
			in = !strcmp(ps.name, sec);
		if (k != K_KEY || !in || strcmp(ps.name, key)) {
			i++;
			continue;
		}
		free(e->v[i].p);
		memmove(e->v + i, e->v + i + 1, (e->n - i - 1) * sizeof *e->v);
		e->n--;
		removed++;
	}
	return removed;
}

/* ---- writing ---- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Gives the new file fd the owner and permission bits of like, never more:
 * no set-id or sticky bits, and where the group cannot be kept (a writer
 * that may not chown) no group bits either, so no one reads the file who
 * could not read the old one.  Returns 0 or -1 (errno). */
static int same_mode(int fd, const struct stat *like)
{
	mode_t m = like->st_mode & 0777;
	if (fchown(fd, like->st_uid, like->st_gid) < 0) {
		if (errno != EPERM)
			return -1;
		if (fchown(fd, (uid_t)-1, like->st_gid) < 0)
			m &= ~(mode_t)0070;
	}
	return fchmod(fd, m);
}

/* Creates path exclusively with like's mode and owner (0600 when like is
 * NULL), writes the buffers and fsyncs.  On failure removes it; errno tells
 * why. */
static int write_new(const char *path, const struct line *v, size_t n, const struct stat *like)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int rc = like ? same_mode(fd, like) : fchmod(fd, 0600);
	for (size_t i = 0; !rc && i < n; i++)
		rc = write_all(fd, v[i].p, v[i].len);
	if (!rc)
		rc = fsync(fd);
	int saved = errno;
	if (close(fd) < 0 && !rc)
		rc = -1, saved = errno;
	if (rc) {
		unlink(path);
		errno = saved;
	}
	return rc;
}

/* Keeps the current file as bak: a hard link, or a copy where links fail. */
static int backup(const char *path, const char *bak, const struct stat *st, char *err, size_t errlen)
{
	if (unlink(bak) < 0 && errno != ENOENT) {
		msg(err, errlen, "%s: %s", bak, strerror(errno));
		return -1;
	}
	if (link(path, bak) == 0)
		return 0;
	struct cfge *old = cfge_open(path, err, errlen);
	if (!old)
		return -1;
	int rc = write_new(bak, old->v, old->n, st);
	if (rc)
		msg(err, errlen, "%s: %s", bak, strerror(errno));
	cfge_close(old);
	return rc;
}

static void sync_dir(const char *path)
{
	char d[PATH_MAX];
	snprintf(d, sizeof d, "%s", path);
	int fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int cfge_write(struct cfge *e, char *err, size_t errlen)
{
	char target[PATH_MAX], tmp[PATH_MAX + 24], bak[PATH_MAX + 8];
	struct stat st;
	if (!realpath(e->path, target))
		snprintf(target, sizeof target, "%s", e->path); /* new file */
	bool have = stat(target, &st) == 0 && S_ISREG(st.st_mode);
	/* one temporary file per process: the daemon's Save & Apply and a
	 * `sipwarden passwd` at the same moment each write a whole file (the
	 * later rename wins) instead of removing each other's */
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", target, (long)getpid());
	snprintf(bak, sizeof bak, "%s.bak", target);
	if (unlink(tmp) < 0 && errno != ENOENT && errno != EISDIR) {
		msg(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (write_new(tmp, e->v, e->n, have ? &st : NULL) < 0) {
		msg(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (have && backup(target, bak, &st, err, errlen) < 0) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, target) < 0) {
		msg(err, errlen, "%s: %s", target, strerror(errno));
		unlink(tmp);
		return -1;
	}
	sync_dir(target);
	return 0;
}
