/*
 * outpostctl config -- print the settings in effect that differ from the
 * defaults (like postconf -n); --all prints every setting.  With --json:
 * one object, setting name -> value text.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "json.h"

static void
json_one(const char *name, const char *value, void *j)
{
	json_kv_str(j, name, value);
}

int
cmd_config(struct ctl *ctl, int argc, char **argv)
{
	struct json	*j;
	int		 all = 0, i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (strcmp(argv[i], "--json") == 0)
			ctl->json = 1;
		else
			return ctl_usage("usage: outpostctl config [--all]");
	}
	if (!ctl->json) {
		conf_print(&ctl->conf, stdout, all);
		return EXIT_OK;
	}
	if ((j = json_new(stdout)) == NULL)
		return EXIT_REFUSED;
	json_obj_begin(j);
	conf_each(&ctl->conf, all, json_one, j);
	json_obj_end(j);
	rc = json_end(j);
	json_free(j);
	return rc == 0 ? EXIT_OK : EXIT_REFUSED;
}
