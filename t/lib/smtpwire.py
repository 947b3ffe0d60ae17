#!/usr/bin/python3
"""smtpwire.py IN OUT -- write the SMTP DATA form of message file IN to OUT.

Every line gets a CRLF ending (LF and CRLF input alike; a CR not followed
by LF stays inside its line), a missing final line end is added, lines
starting with "." get another "." (RFC 5321 4.5.2), and the terminating
"." is appended without its CRLF (swaks --no-data-fixup adds it).

A message with the header "X-Test-Wire: raw" keeps its line ends as they
are on the wire (bare LF lines reach Postfix as bare LF); only the dot
stuffing and the terminator are applied.  Returns 0, or 1 on an I/O error.
"""
import re
import sys


def wire(data):
    raw = re.search(rb"(?im)^X-Test-Wire:[ \t]*raw[ \t]*\r?$", data) is not None
    if raw:
        lines = data.split(b"\n")
        last = lines.pop()
        out = [b"." + l if l.startswith(b".") else l for l in lines]
        body = b"\n".join(out) + b"\n" if out else b""
        if last:
            body += (b"." + last if last.startswith(b".") else last) + b"\r\n"
        return body + b"."
    text = data[:-1] if data.endswith(b"\n") else data
    lines = text.split(b"\n") if data else []
    out = []
    for l in lines:
        if l.endswith(b"\r"):
            l = l[:-1]
        if l.startswith(b"."):
            l = b"." + l
        out.append(l + b"\r\n")
    return b"".join(out) + b"."


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: smtpwire.py IN OUT\n")
        return 2
    try:
        with open(sys.argv[1], "rb") as f:
            data = f.read()
        with open(sys.argv[2], "wb") as f:
            f.write(wire(data))
    except OSError as e:
        sys.stderr.write("smtpwire.py: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
