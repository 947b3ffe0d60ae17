/*
 * utf8 -- decode and validate UTF-8 (see utf8.h).
 */
#include "utf8.h"

int
utf8_decode(const unsigned char *s, size_t n, unsigned int *cp)
{
	unsigned int	 c, min;
	int		 len, i;

	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, c &= 0x07, min = 0x10000;
	} else
		return -1;
	if ((size_t)len > n)
		return -1;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return len;
}

int
utf8_valid(const unsigned char *s, size_t n)
{
	unsigned int	 cp;
	size_t		 i;
	int		 len;

	for (i = 0; i < n; i += (size_t)len)
		if ((len = utf8_decode(s + i, n - i, &cp)) < 0)
			return 0;
	return 1;
}
