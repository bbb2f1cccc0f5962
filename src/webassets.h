/* webassets: the admin page's files embedded by webassets.S: their URL
 * path, content type, bytes and length. */
#ifndef SW_WEBASSETS_H
#define SW_WEBASSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

extern const unsigned char web_index_html[], web_app_js[], web_style_css[], web_favicon_svg[];
extern const uint32_t web_index_html_len, web_app_js_len, web_style_css_len, web_favicon_svg_len;

struct web_asset {
	const char *path;           /* URL path, "/" for the page */
	const char *type;           /* Content-Type */
	const unsigned char *data;  /* in .rodata, lives as long as the program */
	size_t len;
};

/* Fills out with the asset served at path ("/" and "/index.html" are the
 * page); false when there is none. */
static inline bool web_asset_find(const char *path, struct web_asset *out)
{
	if (!strcmp(path, "/") || !strcmp(path, "/index.html"))
		*out = (struct web_asset){ "/", "text/html; charset=utf-8", web_index_html, web_index_html_len };
	else if (!strcmp(path, "/app.js"))
		*out = (struct web_asset){ "/app.js", "text/javascript; charset=utf-8", web_app_js, web_app_js_len };
	else if (!strcmp(path, "/style.css"))
		*out = (struct web_asset){ "/style.css", "text/css; charset=utf-8", web_style_css, web_style_css_len };
	else if (!strcmp(path, "/favicon.svg"))
		*out = (struct web_asset){ "/favicon.svg", "image/svg+xml", web_favicon_svg, web_favicon_svg_len };
	else
		return false;
	return true;
}

#endif
