#!/usr/bin/python3
"""verify-dkimpy.py [--short] MESSAGE... DNSFILE -- verify every
DKIM-Signature of each MESSAGE with dkimpy (Debian's python3-dkim, an
implementation outpost did not write), DNS answered from DNSFILE
("NAME<TAB>TXT" lines, NAME with or without the final dot; a name not
listed does not exist; '#' lines are comments).

Prints one line per signature, topmost first:
    i=IDX a=ALG d=DOMAIN s=SELECTOR result=pass|fail [REASON]
or with --short:
    pass | fail: REASON
With several messages each line starts with "MESSAGE: ".  A message
without signatures prints "no signatures" ("fail: no DKIM-Signature"
with --short).  Exit 0 when every message has at least one signature and
every one passes, 1 when any fails or is missing, 2 on usage or I/O
errors.
"""
import logging
import sys

import dkim
from dkim.util import parse_tag_value


class Last(logging.Handler):
    """Keeps the last warning or error dkimpy logged: the fail reason."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.msg = ""

    def emit(self, record):
        self.msg = record.getMessage()


LAST = Last()
LOG = logging.getLogger("verify-dkimpy")
LOG.addHandler(LAST)
LOG.propagate = False


def load_dns(path):
    table = {}
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\r\n")
            if not line or line.startswith(b"#"):
                continue
            name, txt = line.split(b"\t", 1)
            table[name.lower().rstrip(b".")] = txt
    return table


def tags(value):
    try:
        t = parse_tag_value(value)
    except Exception:  # a broken tag list is reported by verify below
        return {}
    return {k.decode(): v.decode("ascii", "replace") for k, v in t.items()}


def verify(msg, table, short):
    """Lines to print for one message, and whether all of it passed."""
    def dnsfunc(name, timeout=5):
        return table.get(name.lower().rstrip(b"."))

    try:
        d = dkim.DKIM(msg, logger=LOG)
    except dkim.DKIMException as e:
        return ["fail: unparsable message: %s" % e if short else
                "unparsable message: %s" % e], False
    sigs = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
    if not sigs:
        return ["fail: no DKIM-Signature" if short else "no signatures"], False
    lines, allgood = [], True
    for i, value in enumerate(sigs):
        LAST.msg = ""
        try:
            good = dkim.DKIM(msg, logger=LOG).verify(idx=i, dnsfunc=dnsfunc)
            why = LAST.msg or "signature did not verify"
        except Exception as e:  # dkimpy raises on bad input
            good, why = False, str(e)
        allgood = allgood and good
        if short:
            lines.append("pass" if good else "fail: " + why)
            continue
        t = tags(value)
        lines.append("i=%d a=%s d=%s s=%s result=%s%s" % (
            i, t.get("a", "?"), t.get("d", "?"), t.get("s", "?"),
            "pass" if good else "fail", "" if good else " " + why))
    return lines, allgood


def main(argv):
    short = len(argv) > 1 and argv[1] == "--short"
    args = argv[2:] if short else argv[1:]
    if len(args) < 2:
        sys.stderr.write(__doc__)
        return 2
    try:
        table = load_dns(args[-1])
        msgs = []
        for path in args[:-1]:
            with open(path, "rb") as f:
                msgs.append((path, f.read()))
    except (OSError, ValueError) as e:
        sys.stderr.write("verify-dkimpy.py: %s\n" % e)
        return 2
    status = 0
    for path, msg in msgs:
        lines, good = verify(msg, table, short)
        if not good:
            status = 1
        for line in lines:
            print(("%s: %s" % (path, line)) if len(msgs) > 1 else line)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
