/*
 * version -- the one version of every outpost program.
 *
 * The number lives in the file VERSION at the top of the tree; the
 * Makefile passes it as -DOUTPOST_VERSION.  Each program prints
 * "PROGRAM VERSION" for --version and exits 0.
 */
#ifndef OUTPOST_VERSION_H
#define OUTPOST_VERSION_H

#ifndef OUTPOST_VERSION
#define OUTPOST_VERSION "unknown"
#endif

#endif
