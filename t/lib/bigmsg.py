#!/usr/bin/python3
"""bigmsg.py OUT [BYTES] -- write a deterministic message of about BYTES
(default 9,000,000) to OUT: From Alice <alice@example.com>, X-Test-Id
"big-9mb", a text part and a base64 part of seeded pseudo-random bytes.
The same arguments give the same bytes on every run.  Returns 0, or 1 on
an I/O error.
"""
import base64
import random
import sys


def build(size):
    rnd = random.Random(9)
    head = (b"From: Alice <alice@example.com>\n"
            b"To: Bob <bob@example.org>\n"
            b"Date: Fri, 27 Nov 2026 10:00:00 +0000\n"
            b"Message-ID: <big-9mb@corpus.outpost.test>\n"
            b"X-Test-Id: big-9mb\n"
            b"Subject: a 9 MB message\n"
            b"MIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=\"big\"\n\n"
            b"--big\nContent-Type: text/plain\n\nA large attachment follows.\n\n"
            b"--big\nContent-Type: application/octet-stream\n"
            b"Content-Transfer-Encoding: base64\n\n")
    tail = b"\n--big--\n"
    need = size - len(head) - len(tail)
    raw = rnd.randbytes(need * 3 // 4 + 3)
    body = base64.encodebytes(raw)[:need]
    body = body[:body.rfind(b"\n") + 1]
    return head + body + tail


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write("usage: bigmsg.py OUT [BYTES]\n")
        return 2
    size = int(sys.argv[2]) if len(sys.argv) == 3 else 9000000
    try:
        with open(sys.argv[1], "wb") as f:
            f.write(build(size))
    except OSError as e:
        sys.stderr.write("bigmsg.py: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
