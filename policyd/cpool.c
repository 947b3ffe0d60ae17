/*
 * cpool -- the memory of policy connections, in slabs of their own.
 *
 * Each connection's record (struct conn and its libevent events) is one
 * fixed-size slot.  Slots come from CPOOL_SLAB-byte slabs mapped with
 * mmap(2), not from the heap: there, thousands of records interleave with
 * what libevent keeps per descriptor number for ever, so that after a
 * wave of connections the freed records fragment the heap and the RSS
 * never comes back (10,000 idle connections left 11 MB behind, which
 * malloc_trim could not return).  A slab whose last slot is freed is
 * unmapped at once, except one kept as a spare so that a connection
 * opening and closing in a loop does not map and unmap every time.
 *
 *   cpool_new(size)      a pool of slots of size bytes (zeroed, aligned
 *                        to 16); fatal when out of memory, like xmalloc
 *   cpool_get(p)         one zeroed slot; fatal when out of memory
 *   cpool_put(p, slot)   gives it back; NULL-safe
 *   cpool_free(p)        unmaps every slab (slots must all be back);
 *                        NULL-safe, returns NULL
 */
#include <sys/mman.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "policyd.h"
#include "xmalloc.h"

#define CPOOL_SLAB	(64 * 1024)

struct slab {
	struct slab	*prev, *next;	/* pool's list of slabs with room */
	void		*free;		/* free slots, linked through them */
	size_t		 used, fresh;	/* slots in use; never handed out */
};

struct cpool {
	struct slab	*room;		/* slabs with a free slot */
	struct slab	*spare;		/* an empty slab kept mapped */
	size_t		 size, per;	/* slot size, slots per slab */
};

/* Every slot starts with its slab, so that cpool_put finds it. */
#define SLOT_HDR	16
#define SLAB_HDR	((sizeof(struct slab) + 15) & ~(size_t)15)

struct cpool *
cpool_new(size_t size)
{
	struct cpool	*p = xcalloc(1, sizeof(*p));

	p->size = (size + SLOT_HDR + 15) & ~(size_t)15;
	p->per = (CPOOL_SLAB - SLAB_HDR) / p->size;
	if (p->per == 0)
		fatal("cpool: a slot of %zu bytes does not fit a slab", size);
	return p;
}

static void
unlink_slab(struct cpool *p, struct slab *b)
{
	if (b->prev != NULL)
		b->prev->next = b->next;
	else if (p->room == b)
		p->room = b->next;
	if (b->next != NULL)
		b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

static void
link_slab(struct cpool *p, struct slab *b)
{
	b->prev = NULL;
	b->next = p->room;
	if (p->room != NULL)
		p->room->prev = b;
	p->room = b;
}

static struct slab *
map_slab(struct cpool *p)
{
	struct slab	*b;

	if ((b = p->spare) != NULL) {
		p->spare = NULL;
		return b;
	}
	b = mmap(NULL, CPOOL_SLAB, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED)
		fatal("cpool: mmap of %d bytes: out of memory", CPOOL_SLAB);
	memset(b, 0, sizeof(*b));
	return b;
}

void *
cpool_get(struct cpool *p)
{
	struct slab	*b;
	char		*slot;

	if (p->room == NULL)
		link_slab(p, map_slab(p));
	b = p->room;
	if (b->free != NULL) {
		slot = b->free;
		memcpy(&b->free, slot + SLOT_HDR, sizeof(void *));
	} else
		slot = (char *)b + SLAB_HDR + b->fresh++ * p->size;
	if (++b->used == p->per)
		unlink_slab(p, b);
	memset(slot, 0, p->size);
	memcpy(slot, &b, sizeof(b));
	return slot + SLOT_HDR;
}

void
cpool_put(struct cpool *p, void *v)
{
	char		*slot;
	struct slab	*b;

	if (v == NULL)
		return;
	slot = (char *)v - SLOT_HDR;
	memcpy(&b, slot, sizeof(b));
	memcpy(slot + SLOT_HDR, &b->free, sizeof(void *));
	b->free = slot;
	if (b->used-- == p->per)
		link_slab(p, b);
	if (b->used > 0)
		return;
	unlink_slab(p, b);
	if (p->spare == NULL) {
		memset(b, 0, sizeof(*b));
		p->spare = b;
	} else
		munmap(b, CPOOL_SLAB);
}

struct cpool *
cpool_free(struct cpool *p)
{
	struct slab	*b;

	if (p == NULL)
		return NULL;
	while ((b = p->room) != NULL) {
		unlink_slab(p, b);
		munmap(b, CPOOL_SLAB);
	}
	if (p->spare != NULL)
		munmap(p->spare, CPOOL_SLAB);
	free(p);
	return NULL;
}
