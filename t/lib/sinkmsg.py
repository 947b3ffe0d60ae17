#!/usr/bin/python3
"""sinkmsg.py DUMP OUT -- turn one smtp-sink dump file (-d) back into the
message as the sink received it: the X-Client-Addr, X-Client-Proto,
X-Helo-Args, X-Mail-Args and X-Rcpt-Args lines smtp-sink puts first and
the empty line it puts last are removed, and LF line ends become CRLF.
Returns 0, 1 when DUMP is not a complete dump, 2 on usage errors.
"""
import re
import sys

SINK_HDR = re.compile(rb"^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|"
                      rb"Rcpt-Args): ")


def message(dump):
    lines = dump.split(b"\n")
    if len(lines) < 3 or lines[-1] != b"" or lines[-2] != b"":
        raise ValueError("not a complete smtp-sink dump")
    lines = lines[:-2]
    i = 0
    while i < len(lines) and SINK_HDR.match(lines[i]):
        i += 1
    if i == 0:
        raise ValueError("no smtp-sink header lines")
    body = lines[i:]
    return b"".join((l[:-1] if l.endswith(b"\r") else l) + b"\r\n"
                    for l in body)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: sinkmsg.py DUMP OUT\n")
        return 2
    try:
        with open(sys.argv[1], "rb") as f:
            msg = message(f.read())
        with open(sys.argv[2], "wb") as f:
            f.write(msg)
    except (OSError, ValueError) as e:
        sys.stderr.write("sinkmsg.py: %s: %s\n" % (sys.argv[1], e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
