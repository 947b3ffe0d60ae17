#!/usr/bin/python3
"""verify-dkimpy.py MESSAGE DNSFILE -- verify every DKIM-Signature of
MESSAGE with dkimpy (Debian's python3-dkim), DNS answered from DNSFILE
("NAME<TAB>TXT" lines; a name not listed does not exist).

Prints one line per signature, topmost first:
    i=IDX a=ALG d=DOMAIN s=SELECTOR result=pass|fail [REASON]
Exit 0 when there is at least one signature and every one passes, 1 when
any fails or there is none ("no signatures" is printed), 2 on usage or
I/O errors.
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


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: verify-dkimpy.py MESSAGE DNSFILE\n")
        return 2
    try:
        with open(sys.argv[1], "rb") as f:
            msg = f.read()
        table = load_dns(sys.argv[2])
    except (OSError, ValueError) as e:
        sys.stderr.write("verify-dkimpy.py: %s\n" % e)
        return 2

    def dnsfunc(name, timeout=5):
        return table.get(name.lower().rstrip(b"."))

    log = logging.getLogger("verify-dkimpy")
    log.propagate = False
    last = Last()
    log.addHandler(last)
    try:
        d = dkim.DKIM(msg, logger=log)
    except dkim.DKIMException as e:
        print("unparsable message: %s" % e)
        return 1
    sigs = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
    if not sigs:
        print("no signatures")
        return 1
    bad = 0
    for i, value in enumerate(sigs):
        t = tags(value)
        last.msg = ""
        try:
            good = dkim.DKIM(msg, logger=log).verify(idx=i, dnsfunc=dnsfunc)
            why = last.msg
        except dkim.DKIMException as e:
            good, why = False, str(e)
        if not good:
            bad += 1
        print("i=%d a=%s d=%s s=%s result=%s%s" % (
            i, t.get("a", "?"), t.get("d", "?"), t.get("s", "?"),
            "pass" if good else "fail", "" if good else " " + (why or "?")))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
