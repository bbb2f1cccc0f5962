/* webassets: the admin page's static files (src/web/), embedded in the binary.
 * Each file becomes the bytes web_NAME (followed by a NUL byte that is not
 * counted) and its length web_NAME_len (32 bits).  Paths are relative to the
 * top of the source tree, where make runs; the Makefile rebuilds this object
 * when a file in src/web/ changes.  Listed for C in webassets.h. */
#define ASSET(sym, file)                \
	.section .rodata;               \
	.global sym;                    \
	.balign 16;                     \
sym:                                    \
	.incbin file;                   \
sym##_end:                              \
	.byte 0;                        \
	.global sym##_len;              \
	.balign 4;                      \
sym##_len:                              \
	.int sym##_end - sym

	ASSET(web_index_html, "src/web/index.html")
	ASSET(web_app_js, "src/web/app.js")
	ASSET(web_style_css, "src/web/style.css")
	ASSET(web_favicon_svg, "src/web/favicon.svg")

	.section .note.GNU-stack, "", %progbits
