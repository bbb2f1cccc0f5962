/* fuzz_text: libFuzzer harness for text_safe.  The input is any byte
 * string; its first byte picks the output room.  In every mode the output
 * must be valid UTF-8 with no C1 or bidi control (an independent strict
 * walk), hold no control byte (LF and TAB only in TEXT_LINES) and be as long
 * as reported; a cut output must be a prefix of the whole one; the plain and
 * lines forms are fixed points.
 * Any violation traps. */
#include "text.h"
#include "../tests/utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define REQUIRE(c) do { if (!(c)) __builtin_trap(); } while (0)

static char out[TEXT_SAFE_MAX(4096)], again[TEXT_SAFE_MAX(TEXT_SAFE_MAX(4096))], cut[TEXT_SAFE_MAX(4096)];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 4096)
		return 0;
	size_t room = data[0];
	for (int m = TEXT_PLAIN; m <= TEXT_LINES; m++) {
		size_t len = text_safe(out, sizeof out, (const char *)data, size, (enum text_mode)m);
		REQUIRE(len < sizeof out && len == strlen(out));
		REQUIRE(t_valid_utf8((const unsigned char *)out, len));
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)out[i];
			REQUIRE((c >= 0x20 && c != 0x7f) || (m == TEXT_LINES && (c == '\n' || c == '\t')));
		}
		if (m != TEXT_JSON) {
			REQUIRE(text_safe(again, sizeof again, out, len, (enum text_mode)m) == len);
			REQUIRE(memcmp(again, out, len + 1) == 0);
		}
		REQUIRE(text_safe(cut, room + 1, (const char *)data, size, (enum text_mode)m) == len);
		size_t c = strlen(cut);
		REQUIRE(c <= room && memcmp(cut, out, c) == 0);
		REQUIRE(!memmem(out, len, "\xe2\x80\xae", 3) && !memmem(out, len, "\xe2\x81\xa6", 3));
		REQUIRE(t_valid_utf8((const unsigned char *)cut, c));
	}
	return 0;
}
