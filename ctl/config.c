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
config_show(struct ctl *ctl, struct ctl_opts *o)
{
	struct json	*j;

	if (!ctl->json) {
		conf_print(&ctl->conf, stdout, o->all);
		return EXIT_OK;
	}
	j = ctl_json_open(ctl);
	json_obj_begin(j);
	conf_each(&ctl->conf, o->all, json_one, j);
	json_obj_end(j);
	return ctl_json_close(ctl, j);
}
