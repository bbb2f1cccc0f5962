/* text: the one sanitiser for every byte string that someone else chose
 * (packets, API and ctl arguments, config values, stored rows) before it is
 * kept as evidence or written to JSON, a mail, the page or a terminal.
 * Pure: no allocation, no I/O. */
#ifndef SW_TEXT_H
#define SW_TEXT_H

#include <stddef.h>

/* Every mode gives valid UTF-8: each ill-formed subsequence (stray byte,
 * overlong, surrogate, truncated character) becomes U+FFFD; control bytes
 * (C0, DEL) become "\t", "\n", "\r" or "\xHH" text; C1 controls, bidi
 * controls and invisible format characters (U+202E, U+200B, U+FEFF...) become
 * "<U+202E>" text.  The plain form is a fixed point: sanitising it again
 * changes nothing. */
enum text_mode {
	TEXT_PLAIN, /* one line of text: evidence, mail, page, a terminal field */
	TEXT_JSON,  /* the plain form with " and \ escaped: the inside of a JSON string */
	TEXT_LINES, /* whole lines for a terminal: the plain form, but LF and TAB kept */
};

/* Worst-case output for n input bytes ("\x1b" in JSON is 5 bytes a byte),
 * terminating NUL included. */
#define TEXT_SAFE_MAX(n) ((n) * 5 + 1)

/* Writes the safe form of s (n bytes, any content, NULs included) into dst
 * (cap bytes; NUL-terminated when cap > 0), cut only between whole
 * characters or escapes.  Returns the length of the whole safe form, as
 * snprintf does: a result >= cap means dst holds a cut prefix of it. */
size_t text_safe(char *dst, size_t cap, const char *s, size_t n, enum text_mode mode);

#endif
