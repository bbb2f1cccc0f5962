/* fw_int.h: what the firewall backends share with fw.c.  Not for other
 * modules: they use fw.h. */
#ifndef SW_FW_INT_H
#define SW_FW_INT_H

#include "fw.h"

/* One backend: fw.c validates and de-duplicates the arguments (every prefix
 * is well formed, each appears once, n > 0) before calling these. */
struct fw_backend {
	const char *name;
	int (*open)(struct fw *f, char *err, size_t errlen);
	int (*block)(struct fw *f, const struct fw_entry *v, size_t n, char *err, size_t errlen);
	int (*unblock)(struct fw *f, const struct ipprefix *v, size_t n, char *err, size_t errlen);
	int (*list)(struct fw *f, fw_list_fn fn, void *ctx, char *err, size_t errlen);
	int (*flush)(struct fw *f, char *err, size_t errlen);
	void (*close)(struct fw *f, bool remove); /* also frees f->priv */
	/* Replaces the set that passes ahead of the drop rules; v holds no
	 * prefix inside another (n may be 0). */
	int (*allow)(struct fw *f, const struct ipprefix *v, size_t n, char *err, size_t errlen);
};

extern const struct fw_backend fw_nft_backend, fw_ipset_backend;

struct fw {
	const struct fw_backend *be;
	struct fw_config cfg;       /* cfg.ports points to ports below */
	uint8_t ports[8192];
	void *priv;                 /* the backend's state */
};

/* A growing text buffer; after a failed allocation it stays "failed" and
 * keeps what it had. */
struct fw_buf {
	char *p;
	size_t len, cap;
	bool failed;
};

void fwb_printf(struct fw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fwb_append(struct fw_buf *b, const char *s, size_t n);
void fwb_reset(struct fw_buf *b);
void fwb_free(struct fw_buf *b);

/* The next run of set bits in the port bitmap at or after *pos: fills lo and
 * hi, moves *pos past it.  Returns false when there is none. */
bool fw_port_range(const uint8_t map[8192], unsigned *pos, unsigned *lo, unsigned *hi);

/* An IPv4 entry (v4-mapped, plen >= 96)?  A host (plen 128)? */
bool fw_is_v4(const struct ipprefix *p);
static inline bool fw_is_host(const struct ipprefix *p) { return p->plen == 128; }

/* Copies msg into err (errlen bytes), up to its first newline, after a
 * "what: " prefix (what may be NULL). */
void fw_set_err(char *err, size_t errlen, const char *what, const char *msg);

#endif
