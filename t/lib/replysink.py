#!/usr/bin/python3
"""replysink.py HOST PORT -- a test SMTP server that answers each RCPT TO
by the recipient's local part (its first word before a digit or '-'):

  ok       250 2.1.5 Ok
  unknown  550 5.1.1 <ADDR>: Recipient address rejected: User unknown
  full     552 5.2.2 <ADDR>: Mailbox full
  block    554 5.7.1 Service unavailable; blocked for reputation
  throttle 421 4.7.0 Too many connections, try again later (then closes)
  defer    450 4.2.0 <ADDR>: Greylisted, try again later
  weird    550 4.2.2 Mailbox temporarily over quota, try later
  long     554 5.7.1 followed by about 2,000 characters of text

Anything else gets 250.  MAIL, DATA and the rest are accepted; the message
is read and dropped.  Serves until killed."""
import re
import socketserver
import sys

LONG = "554 5.7.1 Message refused by policy: " + " ".join(
    "reason%04d" % i for i in range(180))


def reply(addr):
    m = re.match(r"[<]?([a-z]+)", addr)
    word = m.group(1) if m else ""
    table = {
        "unknown": "550 5.1.1 <%s>: Recipient address rejected: "
                   "User unknown" % addr,
        "full": "552 5.2.2 <%s>: Mailbox full" % addr,
        "block": "554 5.7.1 Service unavailable; blocked for reputation",
        "throttle": "421 4.7.0 Too many connections, try again later",
        "defer": "450 4.2.0 <%s>: Greylisted, try again later" % addr,
        "weird": "550 4.2.2 Mailbox temporarily over quota, try later",
        "long": LONG,
    }
    return table.get(word, "250 2.1.5 Ok")


class Handler(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.send("220 replysink ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("latin-1").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.send("250-replysink\r\n250 8BITMIME")
            elif verb == "RCPT":
                addr = cmd.split(":", 1)[1].strip().strip("<>")
                r = reply(addr)
                self.send(r)
                if r.startswith("421"):
                    return
            elif verb == "DATA":
                self.send("354 go on")
                while True:
                    d = self.rfile.readline()
                    if not d or d in (b".\r\n", b".\n"):
                        break
                self.send("250 2.0.0 Ok: kept")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            else:
                self.send("250 2.0.0 Ok")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    Server((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
