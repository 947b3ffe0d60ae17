#!/usr/bin/python3
"""dkimpy-verify -- verify every DKIM-Signature of stored messages with
dkimpy (an implementation outpost did not write), with DNS stubbed.

usage: dkimpy-verify.py MESSAGE DNSFILE
       dkimpy-verify.py MESSAGE... DNSFILE      (several messages)

DNSFILE holds lines "NAME<TAB>TXT" (NAME like sel._domainkey.example.com,
with or without the final dot).  Prints one line per signature, top to
bottom: "pass" or "fail: REASON"; with several messages each line starts
with "MESSAGE: ".  Exit 0 when every signature passes (and every message
has at least one), 1 when any fails, 2 on usage or file errors.
"""
import logging
import sys

import dkim


class Last(logging.Handler):
    """Keeps the last error dkimpy logged, to explain a False verdict."""
    msg = None

    def emit(self, record):
        if record.levelno >= logging.ERROR:
            self.msg = record.getMessage()


LAST = Last()
LOG = logging.getLogger("dkimpy-verify")
LOG.addHandler(LAST)
LOG.propagate = False


def load_dns(path):
    records = {}
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\r\n")
            if not line:
                continue
            name, _, txt = line.partition(b"\t")
            records[name.rstrip(b".").lower()] = txt
    return records


def signatures(msg):
    headers, _ = dkim.rfc822_parse(msg)
    return sum(1 for name, _ in headers if name.lower() == b"dkim-signature")


def verify(msg, records):
    def dnsfunc(name, timeout=5):
        return records.get(name.rstrip(b".").lower())

    results = []
    for i in range(signatures(msg)):
        d = dkim.DKIM(msg, logger=LOG)
        LAST.msg = None
        try:
            ok = d.verify(idx=i, dnsfunc=dnsfunc)
            results.append("pass" if ok else "fail: %s" %
                           (LAST.msg or "signature did not verify"))
        except Exception as e:                  # dkimpy raises on bad input
            results.append("fail: %s" % e)
    if not results:
        results.append("fail: no DKIM-Signature")
    return results


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    try:
        records = load_dns(argv[-1])
        msgs = [(p, open(p, "rb").read()) for p in argv[1:-1]]
    except OSError as e:
        sys.stderr.write("dkimpy-verify: %s\n" % e)
        return 2
    status = 0
    for path, msg in msgs:
        for r in verify(msg, records):
            if r != "pass":
                status = 1
            print(("%s: %s" % (path, r)) if len(msgs) > 1 else r)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
