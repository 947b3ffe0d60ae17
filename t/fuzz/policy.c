/*
 * libFuzzer target: the policy protocol parser.  Feeds the input as a
 * connection would (one request after another), checks the parser's
 * promises: used bytes within the input, an end found only after at least
 * one attribute, never more than POL_REQUEST_MAX consumed.
 */
// fuzz-sources: policyd/proto.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../policyd/policyd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_request	 req;
	char			*buf, err[256];
	size_t			 off = 0, used;
	int			 rc;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	while (off < size) {
		used = 0;
		rc = pol_parse(buf + off, size - off, &req, &used, err,
		    sizeof(err));
		if (rc <= 0)
			break;
		if (used == 0 || used > size - off || used > POL_REQUEST_MAX ||
		    req.nattrs < 1)
			abort();
		off += used;
	}
	free(buf);
	return 0;
}
