/*
 * rcl -- drive lib/redis (the synchronous client) from a test script,
 * one request a line on stdin, one answer a line on stdout (flushed), so
 * a shell can hold one client, and so one slot map, across a resharding.
 *
 *   rcl CONF
 *
 *   ARG...              redis_commandv
 *   | ARG...            redis_appendv (pipelined; prints nothing)
 *   =                   redis_get_reply for every command appended
 *   eval KEY N          INCRBY KEY N as a script (redis_eval, 1 key)
 *   scan GLOB           redis_scan: every key, one a line, then "."
 *   nnodes              redis_nnodes
 *
 * Replies: a string or status as is, :N for an integer, (nil), an array
 * as [a b ...], ERR TEXT for an error (redis_errstr).  Arguments are
 * split on spaces.  Exit 1 when CONF cannot be used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "redis.h"

#define MAXARGS	64

static const char	*incr_lua =
    "return redis.call('INCRBY', KEYS[1], ARGV[1])";

static void
print_reply(const redisReply *rep)
{
	size_t	 i;

	switch (rep->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
		fwrite(rep->str, 1, rep->len, stdout);
		break;
	case REDIS_REPLY_INTEGER:
		printf(":%lld", rep->integer);
		break;
	case REDIS_REPLY_NIL:
		printf("(nil)");
		break;
	case REDIS_REPLY_ARRAY:
		putchar('[');
		for (i = 0; i < rep->elements; i++) {
			if (i > 0)
				putchar(' ');
			print_reply(rep->element[i]);
		}
		putchar(']');
		break;
	default:
		printf("?");
	}
}

static void
answer(struct redis *r, redisReply *rep)
{
	if (rep == NULL)
		printf("ERR %s", redis_errstr(r));
	else {
		print_reply(rep);
		freeReplyObject(rep);
	}
	putchar('\n');
	fflush(stdout);
}

static int
print_key(void *arg, const redisReply *k)
{
	(void)arg;
	printf("%.*s\n", (int)k->len, k->str);
	return 0;
}

static void
one_line(struct redis *r, char **av, int ac, int *pending)
{
	if (ac == 1 && strcmp(av[0], "=") == 0) {
		for (; *pending > 0; (*pending)--)
			answer(r, redis_get_reply(r));
	} else if (strcmp(av[0], "|") == 0 && ac > 1) {
		if (redis_appendv(r, ac - 1, (const char **)av + 1, NULL) == 0)
			(*pending)++;
		else
			answer(r, NULL);
	} else if (strcmp(av[0], "eval") == 0 && ac == 3)
		answer(r, redis_eval(r, incr_lua, 1, 2, (const char **)av + 1,
		    NULL));
	else if (strcmp(av[0], "scan") == 0 && ac == 2) {
		if (redis_scan(r, av[1], print_key, NULL) < 0)
			printf("ERR %s\n", redis_errstr(r));
		printf(".\n");
		fflush(stdout);
	} else if (strcmp(av[0], "nnodes") == 0) {
		printf("%d\n", redis_nnodes(r));
		fflush(stdout);
	} else
		answer(r, redis_commandv(r, ac, (const char **)av, NULL));
}

int
main(int argc, char **argv)
{
	struct conf	 conf;
	struct redis	*r;
	char		 line[4096], err[512], *av[MAXARGS], *p;
	int		 ac, pending = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: rcl CONF\n");
		return 2;
	}
	if (conf_load(&conf, argv[1], err, sizeof(err)) < 0 ||
	    (r = redis_new(&conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "rcl: %s\n", err);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		for (ac = 0, p = strtok(line, " "); p != NULL && ac < MAXARGS;
		    p = strtok(NULL, " "))
			av[ac++] = p;
		if (ac > 0)
			one_line(r, av, ac, &pending);
	}
	redis_free(r);
	conf_free(&conf);
	return 0;
}
