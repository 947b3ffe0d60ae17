#!/usr/bin/python3
"""samemsg.py DELIVERED ORIGINAL -- check that DELIVERED (a CRLF message
from te_sink_message) is ORIGINAL (a corpus file) plus only the header
fields Postfix and the signer put on top (Received, DKIM-Signature).

ORIGINAL is first brought into the form any SMTP path gives it: CRLF line
ends, a final line end added, and what Postfix's smtpd was observed to do
to a CR not followed by LF (dropped at the end of a line, a space inside
it).  Prints the first difference; exit 0 when equal, 1 when not, 2 on
usage or I/O errors.
"""
import re
import sys

ADDED = re.compile(rb"^(Received|DKIM-Signature):", re.I)


def normal(data):
    if not data:
        return b""
    text = data[:-1] if data.endswith(b"\n") else data
    out = []
    for line in text.split(b"\n"):
        line = line.rstrip(b"\r").replace(b"\r", b" ")
        out.append(line + b"\r\n")
    return b"".join(out)


def strip_added(msg):
    lines = msg.split(b"\r\n")
    i = 0
    while i < len(lines) and ADDED.match(lines[i]):
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    return b"\r\n".join(lines[i:])


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: samemsg.py DELIVERED ORIGINAL\n")
        return 2
    try:
        with open(sys.argv[1], "rb") as f:
            got = strip_added(f.read())
        with open(sys.argv[2], "rb") as f:
            want = normal(f.read())
    except OSError as e:
        sys.stderr.write("samemsg.py: %s\n" % e)
        return 2
    if got == want:
        return 0
    n = next((i for i in range(min(len(got), len(want)))
              if got[i] != want[i]), min(len(got), len(want)))
    print("differ at byte %d of %d/%d: got %r, want %r" % (
        n, len(got), len(want), got[max(0, n - 30):n + 30],
        want[max(0, n - 30):n + 30]))
    return 1


if __name__ == "__main__":
    sys.exit(main())
