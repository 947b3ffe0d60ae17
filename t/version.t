#!/bin/bash
# version -- every program answers --version with its name and the one
# version number of the tree (the file VERSION), exit 0.
. "$(dirname "$0")/lib/testenv.sh"
V=$(cat "$TE_ROOT/VERSION")
plan 6
for p in milter/outpost-milter policyd/outpost-policyd ctl/outpostctl; do
	out=$("$TE_ROOT/$p" --version 2>&1)
	ok "${p##*/} --version exits 0" test $? = 0
	is "$out" "${p##*/} $V" "${p##*/} --version prints its name and VERSION"
done
