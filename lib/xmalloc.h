/*
 * xmalloc -- allocation for the daemons and outpostctl: out of memory is
 * fatal (logged, exit 1).  Library parsers do not use these; they return
 * an error instead.
 */
#ifndef OUTPOST_XMALLOC_H
#define OUTPOST_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);

#endif
