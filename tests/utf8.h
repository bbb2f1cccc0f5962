/* utf8.h: a strict UTF-8 check for the tests and fuzz harnesses, written
 * apart from src/text.c (decode, then check the code point's range) so that
 * it does not share that code's mistakes. */
#ifndef SW_TEST_UTF8_H
#define SW_TEST_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s (n bytes) is well-formed UTF-8 holding no C1 control. */
static inline bool t_valid_utf8(const unsigned char *s, size_t n)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (k == 0 || i + k > n)
			return false;
		uint32_t cp = k == 1 ? c : c & (0xffu >> (k + 1));
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return false;
		i += k;
	}
	return true;
}

#endif
