/*
 * prom_int -- what prom.c and prom_proc.c share: the kinds of family and
 * a growing text buffer that escapes as the exposition format wants.
 *
 *   pbuf_puts(b, s) / pbuf_printf(b, fmt, ...)   append (b->oom on
 *                                                failure; later appends
 *                                                do nothing)
 *   pbuf_label(b, name, value)   name="value", value escaped: \\ \" \n
 *   pbuf_head(b, name, help, type)
 *                                "# HELP name help" (help escaped: \\ \n)
 *                                and "# TYPE name type"
 *   prom_proc_render(b, version) the process_* families and
 *                                outpost_build_info{version}
 */
#ifndef OUTPOST_PROM_INT_H
#define OUTPOST_PROM_INT_H

#include <stddef.h>

enum prom_kind { PK_COUNTER, PK_GAUGE, PK_HISTOGRAM };

struct pbuf {
	char	*s;
	size_t	 len, cap;
	int	 oom;
};

void	 pbuf_puts(struct pbuf *, const char *);
void	 pbuf_printf(struct pbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 pbuf_label(struct pbuf *, const char *, const char *);
void	 pbuf_head(struct pbuf *, const char *, const char *, const char *);
void	 prom_proc_render(struct pbuf *, const char *);

#endif
