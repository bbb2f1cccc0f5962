/* cfgedit: edits the INI config file in place for the admin page's
 * "Save & Apply" and for `sipwarden passwd`.
 *
 * The file is held as its lines; comments, blank lines and every line not
 * edited are written back byte for byte.  Keys and values are read exactly as
 * config.c reads them (a ';' or '#' after a space or tab starts a comment,
 * values are trimmed).  Sections are addressed by their header text without
 * the brackets: "general", "instance pbx1" (runs of blanks count as one). */
#ifndef SW_CFGEDIT_H
#define SW_CFGEDIT_H

#include <stdbool.h>
#include <stddef.h>

struct cfge;

/* Reads path into a new editor; a missing file is an empty one.  Returns
 * NULL with a message in err on a read error.  Free with cfge_close. */
struct cfge *cfge_open(const char *path, char *err, size_t errlen);
void cfge_close(struct cfge *e);

/* Copies the value of key in section (its last occurrence, as the loader
 * uses it) into out.  Returns false when the key is absent or out too small. */
bool cfge_get(const struct cfge *e, const char *section, const char *key, char *out, size_t outlen);
/* Sets key to value (trimmed): replaces the value on the key's last line,
 * keeping its indentation and trailing comment; else appends the key after
 * the section's last key line, creating the section at the end of the file.
 * Returns 0, or -1 with a message (a value the reader could not read back
 * unchanged, a bad key or section name, out of memory). */
int cfge_set(struct cfge *e, const char *section, const char *key, const char *value,
             char *err, size_t errlen);
/* Removes every line of key in section; returns how many were removed. */
int cfge_del(struct cfge *e, const char *section, const char *key);
/* Writes the file atomically: PATH.tmp.PID (same directory, owner and mode,
 * never wider: no set-id bits, no group bits when the group cannot be kept),
 * fsync, the previous file kept as PATH.bak, rename over PATH, fsync of the
 * directory.  Returns 0, or -1 with a message; on failure PATH is untouched. */
int cfge_write(struct cfge *e, char *err, size_t errlen);

#endif
