// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: a control-socket request, the one input a local client
 * controls. The bytes arrive as the daemon reads them: a prefix first
 * (not yet complete), then all of it with the peer gone. Every answer is
 * "need more", a known request, or an error whose JSON parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "ctlsock.h"

static void check(const uint8_t *data, size_t len, bool complete)
{
	enum ctlsock_request req = -1;
	const char *why = NULL;
	int rc = ctlsock_parse_request((const char *)data, len, complete, &req, &why);

	if (rc == 1 && req != CTLSOCK_REQ_STATUS && req != CTLSOCK_REQ_RELOAD)
		abort();
	if (rc == 0 && complete)
		abort();	/* a closed peer always gets an answer */
	if (rc == -1) {
		char *text = why ? ctlsock_error_json(why) : NULL;
		struct json_object *o = text ? json_tokener_parse(text) : NULL;

		if (!o || !json_object_object_get_ex(o, "error", NULL))
			abort();
		json_object_put(o);
		free(text);
	}
	if (rc < -1 || rc > 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a private copy of exactly size bytes: reads past it are caught */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	check(buf, size ? buf[0] % (size + 1) : 0, false);
	check(buf, size, false);
	check(buf, size, true);
	free(buf);
	return 0;
}
