/*
 * outpostctl -- the verb table, and the one way a command line becomes a
 * handler call: find the entry, parse its options, check the positional
 * arguments and what the first one names, connect to Redis if asked.
 * The usage text is printed from the same table.  See ctl.h.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "mailaddr.h"
#include "dkimkey.h"
#include "redis.h"
#include "schema.h"

#define R	CTL_REDIS
#define W	(CTL_REDIS | CTL_WRITE)

static const struct ctl_verb verbs[] = {
	{ "domain", "add", 1, 1, "s", CTL_DOMAIN, domain_add,
	    "DOMAIN [--selector SEL]" },
	{ "domain", "rotate", 1, 1, "s", CTL_DOMAIN, domain_rotate,
	    "DOMAIN [--selector SEL]" },
	{ "domain", "activate", 2, 2, "", CTL_DOMAIN, domain_activate,
	    "DOMAIN SEL" },
	{ "domain", "retire", 2, 2, "", CTL_DOMAIN, domain_retire,
	    "DOMAIN SEL" },
	{ "domain", "list", 0, 0, "", 0, domain_list, "" },
	{ "domain", "show", 1, 1, "", CTL_DOMAIN, domain_show, "DOMAIN" },
	{ "domain", "verify", 0, 1, "A", W | CTL_DOMAIN, domain_verify,
	    "DOMAIN | --all" },
	{ "config", NULL, 0, 0, "A", 0, config_show, "[--all]" },
	{ "init", NULL, 0, 0, "", R, ctl_init, "" },
	{ "migrate", NULL, 0, 0, "", R, ctl_migrate, "" },
	{ "verify", NULL, 0, INT_MAX, "k", 0, msg_verify,
	    "[--key SEL._domainkey.DOMAIN=FILE]... [FILE|-]..." },
	{ "user", "add", 1, 1, "pd", W | CTL_USER, user_add,
	    "NAME [--plan PLAN] [--domain DOMAIN]..." },
	{ "user", "set", 1, 1 + CTL_MAX_LIMIT_ARGS, "p", W | CTL_USER,
	    user_set, "NAME [--plan PLAN] [LIMIT...]" },
	{ "user", "show", 1, 1, "", R | CTL_USER, user_show, "NAME" },
	{ "user", "list", 0, 0, "", R, user_list, "" },
	{ "user", "suspend", 1, 1, "r", W | CTL_USER, user_suspend,
	    "NAME [--reason TEXT]" },
	{ "user", "resume", 1, 1, "", W | CTL_USER, user_resume, "NAME" },
	{ "user", "del", 1, 1, "", W | CTL_USER, user_del, "NAME" },
	{ "user", "allow", 2, 2, "", W | CTL_USER, user_allow, "NAME DOMAIN" },
	{ "user", "deny", 2, 2, "a", W | CTL_USER, user_deny,
	    "NAME DOMAIN [--any]" },
	{ "plan", "set", 2, 1 + CTL_MAX_LIMIT_ARGS, "", W | CTL_PLAN,
	    plan_set, "PLAN LIMIT..." },
	{ "plan", "show", 1, 1, "", R | CTL_PLAN, plan_show, "PLAN" },
	{ "plan", "list", 0, 0, "", R, plan_list, "" },
	{ "plan", "del", 1, 1, "", W | CTL_PLAN, plan_del, "PLAN" },
	{ "suppress", "add", 1, 1, "urt", W, sup_add,
	    "ADDRESS [--user NAME] [--reason REASON] [--ttl DURATION]" },
	{ "suppress", "check", 1, 1, "u", R, sup_check,
	    "ADDRESS [--user NAME]" },
	{ "suppress", "del", 1, 1, "u", W, sup_del, "ADDRESS [--user NAME]" },
	{ "suppress", "list", 0, 0, "u", R, sup_list, "[--user NAME]" },
	{ "suppress", "export", 0, 0, "u", R, sup_export, "[--user NAME]" },
	{ "suppress", "import", 1, 1, "u", W, sup_import,
	    "FILE|- [--user NAME]" },
	{ "suppress", "migrate", 0, 0, "", R, sup_migrate, "" },
	{ "log", NULL, 0, 0, "uRFQSben", R | CTL_WHO, log_show,
	    "[--user NAME] [--rcpt ADDRESS] [--from ADDRESS] [--queue-id ID] "
	    "[--status STATUS] [--since T] [--until T] [--limit N]" },
	{ "stats", NULL, 0, 0, "ubN", R | CTL_WHO, stats_show,
	    "[--user NAME] [--since T] [--top N]" },
};
#define NVERBS	(sizeof(verbs) / sizeof(verbs[0]))

static const char notes[] =
    "LIMIT: messages|recipients|bytes=COUNT[K|M|G]/WINDOW, WINDOW 30s, 1m, "
    "1h, 1d ... or month;\n"
    "  DIMENSION=none[/WINDOW] removes an override or a plan's limit\n"
    "REASON: hard-bounce, complaint, unsubscribe or manual\n"
    "STATUS: delivered, deferred, bounced, expired or refused\n"
    "T: a duration back from now (30m, 2h, 7d) or an ISO 8601 UTC time "
    "(2026-12-01T10:00:00Z, 2026-12-01)\n";

static const struct option longopts[] = {
	{ "plan", required_argument, NULL, 'p' },
	{ "domain", required_argument, NULL, 'd' },
	{ "reason", required_argument, NULL, 'r' },
	{ "ttl", required_argument, NULL, 't' },
	{ "user", required_argument, NULL, 'u' },
	{ "any", no_argument, NULL, 'a' },
	{ "selector", required_argument, NULL, 's' },
	{ "all", no_argument, NULL, 'A' },
	{ "key", required_argument, NULL, 'k' },
	{ "rcpt", required_argument, NULL, 'R' },
	{ "from", required_argument, NULL, 'F' },
	{ "queue-id", required_argument, NULL, 'Q' },
	{ "status", required_argument, NULL, 'S' },
	{ "since", required_argument, NULL, 'b' },
	{ "until", required_argument, NULL, 'e' },
	{ "limit", required_argument, NULL, 'n' },
	{ "top", required_argument, NULL, 'N' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 }
};

static void
print_verb(FILE *fp, const struct ctl_verb *v)
{
	fprintf(fp, "%s%s%s%s%s", v->group, v->verb ? " " : "",
	    v->verb ? v->verb : "", v->usage[0] ? " " : "", v->usage);
}

int
ctl_usage(const char *why)
{
	size_t	 i;

	if (why != NULL)
		fprintf(stderr, "outpostctl: %s\n", why);
	fprintf(stderr, "usage: outpostctl [-c FILE] [--json] COMMAND ...\n");
	for (i = 0; i < NVERBS; i++) {
		fputs("  ", stderr);
		print_verb(stderr, &verbs[i]);
		fputc('\n', stderr);
	}
	fputs(notes, stderr);
	return EXIT_USAGE;
}

/* "outpostctl: GROUP VERB: WHY" and the verb's usage line; 2. */
static int
verb_usage(const struct ctl_verb *v, const char *why)
{
	fprintf(stderr, "outpostctl: %s%s%s: %s\nusage: outpostctl ", v->group,
	    v->verb ? " " : "", v->verb ? v->verb : "", why);
	print_verb(stderr, v);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

static int
store_opt(const struct ctl_verb *v, int ch, struct ctl_opts *o)
{
	switch (ch) {
	case 'p': o->plan = optarg; break;
	case 'r': o->reason = optarg; break;
	case 't': o->ttl = optarg; break;
	case 'u': o->user = optarg; break;
	case 's': o->selector = optarg; break;
	case 'a': o->any = 1; break;
	case 'A': o->all = 1; break;
	case 'R': o->rcpt = optarg; break;
	case 'F': o->from = optarg; break;
	case 'Q': o->qid = optarg; break;
	case 'S': o->status = optarg; break;
	case 'b': o->since = optarg; break;
	case 'e': o->until = optarg; break;
	case 'n': o->limit = optarg; break;
	case 'N': o->top = optarg; break;
	case 'd':
		if (o->ndomains == CTL_MAX_DOMAINS) {
			fprintf(stderr, "outpostctl: %s %s: at most %d --domain "
			    "options\n", v->group, v->verb, CTL_MAX_DOMAINS);
			return -1;
		}
		o->domains[o->ndomains++] = optarg;
		break;
	case 'k':
		if (o->nkeys == CTL_MAX_KEYS) {
			fprintf(stderr, "outpostctl: %s: at most %d --key "
			    "options\n", v->group, CTL_MAX_KEYS);
			return -1;
		}
		o->keys[o->nkeys++] = optarg;
		break;
	}
	return 0;
}

/*
 * The options of verb v; argv[first..argc) are its arguments.  Positional
 * arguments end up in o->args.  0, or -1 with the error printed.
 */
static int
parse_opts(struct ctl *ctl, const struct ctl_verb *v, int argc, char **argv,
    int first, struct ctl_opts *o)
{
	char	**av = argv + first - 1;	/* av[0] stands for the verb */
	int	 ac = argc - first + 1, ch, idx;

	memset(o, 0, sizeof(*o));
	optind = 0;		/* glibc starts afresh (main parsed with "+") */
	opterr = 0;
	while ((ch = getopt_long(ac, av, "", longopts, &idx)) != -1) {
		if (ch == 'j') {
			ctl->json = 1;
			continue;
		}
		if (ch == '?' && optopt != 0 && strncmp(av[optind - 1], "--",
		    2) == 0) {
			fprintf(stderr, "outpostctl: %s%s%s: option %s needs a "
			    "value\n", v->group, v->verb ? " " : "", v->verb ?
			    v->verb : "", av[optind - 1]);
			return -1;
		}
		if (ch == '?' || strchr(v->opts, ch) == NULL) {
			fprintf(stderr, "outpostctl: %s%s%s: unknown option "
			    "\"%s%s\"\n", v->group, v->verb ? " " : "",
			    v->verb ? v->verb : "", ch == '?' ? "" : "--",
			    ch == '?' ? av[optind - 1] : longopts[idx].name);
			return -1;
		}
		if (store_opt(v, ch, o) < 0)
			return -1;
	}
	o->args = av + optind;
	o->nargs = ac - optind;
	return 0;
}

/* The entry for argv[0] (group) and argv[1] (verb); NULL after a usage
 * error was printed. */
static const struct ctl_verb *
find_verb(int argc, char **argv)
{
	size_t	 i;
	int	 group = 0;

	for (i = 0; i < NVERBS; i++) {
		if (strcmp(argv[0], verbs[i].group) != 0)
			continue;
		group = 1;
		if (verbs[i].verb == NULL)
			return &verbs[i];
		if (argc > 1 && strcmp(argv[1], verbs[i].verb) == 0)
			return &verbs[i];
	}
	if (!group) {
		char	 why[256];

		snprintf(why, sizeof(why), "unknown command \"%s\"", argv[0]);
		ctl_usage(why);
	} else if (argc < 2)
		ctl_bad_usage("%s: no verb given", argv[0]);
	else
		ctl_bad_usage("%s: unknown verb \"%s\"", argv[0], argv[1]);
	return NULL;
}

/* What the first argument names; 0, or the exit status. */
static int
check_first(struct ctl *ctl, const struct ctl_verb *v, struct ctl_opts *o)
{
	char	 err[256];

	if (o->user != NULL && !((v->flags & CTL_WHO) && schema_who_valid(o->user))
	    && !ctl_name_ok("user", o->user))
		return EXIT_USAGE;
	if (o->nargs == 0)
		return 0;
	if ((v->flags & CTL_USER) && !ctl_name_ok("user", o->args[0]))
		return EXIT_USAGE;
	if ((v->flags & CTL_PLAN) && !ctl_name_ok("plan", o->args[0]))
		return EXIT_USAGE;
	if (!(v->flags & CTL_DOMAIN))
		return 0;
	if (mailaddr_domain_norm(o->args[0], o->domain, sizeof(o->domain),
	    err, sizeof(err)) < 0)
		return ctl_refuse(ctl, "domain \"%s\": %s", o->args[0], err);
	if (!mailaddr_domain_is_hostname(o->domain))
		return ctl_refuse(ctl, "domain \"%s\": not a host name (DKIM "
		    "needs labels of [a-z0-9-])", o->domain);
	return 0;
}

/*
 * After a change: the marker, SET NX (lib/schema.h).  A failure does not
 * undo the change; it is said, with what to do.
 */
static void
mark(struct ctl *ctl)
{
	int	 created;

	if (ctl_mark(ctl, ctl->r, &created) < 0)
		ctl_warn("the change was made, but the schema marker could not "
		    "be written (%s): run outpostctl init, or the daemons "
		    "answer on_error", redis_errstr(ctl->r));
}

int
ctl_run(struct ctl *ctl, int argc, char **argv)
{
	const struct ctl_verb	*v;
	struct ctl_opts		 o;
	char			 why[64];
	int			 rc;

	if ((v = find_verb(argc, argv)) == NULL)
		return EXIT_USAGE;
	if (parse_opts(ctl, v, argc, argv, v->verb ? 2 : 1, &o) < 0)
		return EXIT_USAGE;
	if (o.nargs < v->min || o.nargs > v->max) {
		if (v->min == v->max)
			snprintf(why, sizeof(why), "expected %d argument%s",
			    v->min, v->min == 1 ? "" : "s");
		else
			snprintf(why, sizeof(why), "wrong number of arguments");
		return verb_usage(v, why);
	}
	if ((rc = check_first(ctl, v, &o)) != 0)
		return rc;
	if ((v->flags & CTL_REDIS) && (ctl->r = ctl_redis(ctl)) == NULL)
		return EXIT_REFUSED;
	rc = v->fn(ctl, &o);
	if (rc == EXIT_OK && (v->flags & CTL_WRITE))
		mark(ctl);
	ctl->r = redis_free(ctl->r);
	return rc;
}
