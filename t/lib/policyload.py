#!/usr/bin/python3
"""policyload -- steady Postfix policy load with a Redis failover in the
middle, for t/policyd-sentinel.t.

  policyload.py SOCKET CONNS RATE SECS KILL_AT KILL_PID SENTINEL_PORT
                SENTINEL_PASSWORD USERS OVER

CONNS connections to policyd's unix SOCKET, paced to RATE requests/s in
all, for SECS seconds.  A message is a RCPT request and, when it got DUNNO,
its END-OF-MESSAGE; the sender is one of USERS (comma-separated), every
tenth message OVER (a user past its limit before the run).  KILL_AT
seconds in, KILL_PID gets SIGKILL.  One connection stays SUBSCRIBEd to
+switch-master on the sentinel at SENTINEL_PORT and notes when it comes.
Prints one JSON object: every reply by class, the times (seconds from the
kill) of the on_error answers and of +switch-master, the first normal
answer after it, the END-OF-MESSAGE admitted per user, and the replies
that must never happen (OVER admitted, an unexpected text).
"""
import json
import os
import selectors
import signal
import socket
import sys
import time

ON_ERROR = "451 4.3.0 policy service temporarily unavailable, try again later"


def request(stage, user, rcpt, qid):
    return ("request=smtpd_access_policy\nprotocol_state=%s\n"
            "protocol_name=ESMTP\nclient_address=127.0.0.1\n"
            "client_name=localhost\nhelo_name=client.example\n"
            "sender=%s\nrecipient=%s\nrecipient_count=%d\nqueue_id=%s\n"
            "size=1000\nsasl_method=PLAIN\nsasl_username=%s\n\n" %
            (stage, user, rcpt, 1 if stage == "END-OF-MESSAGE" else 0,
             qid, user)).encode()


class Conn:
    def __init__(self, path, i):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.setblocking(False)
        self.i, self.n, self.buf = i, 0, b""
        self.stage = None
        self.user = None


def main():
    (path, conns, rate, secs, kill_at, kill_pid, sport, spw, users,
     over) = sys.argv[1:11]
    conns, rate, secs = int(conns), float(rate), float(secs)
    kill_at, kill_pid = float(kill_at), int(kill_pid)
    users = users.split(",")
    sel = selectors.DefaultSelector()
    sub = socket.create_connection(("127.0.0.1", int(sport)))
    auth = b"AUTH %s\r\n" % spw.encode() if spw else b""
    sub.sendall(auth + b"SUBSCRIBE +switch-master\r\n")
    sub.setblocking(False)
    sel.register(sub, selectors.EVENT_READ, None)
    cs = [Conn(path, i) for i in range(conns)]
    for c in cs:
        sel.register(c.s, selectors.EVENT_READ, c)
    gap = conns / rate
    t0 = time.monotonic()
    for c in cs:
        c.due = t0 + gap * c.i / conns
    t_kill = t_switch = None
    r = {"classes": {}, "on_error_at": [], "normal_after_switch": None,
         "admitted": {}, "bad": [], "requests": 0}
    msg = 0
    subbuf = b""

    def send(c, stage):
        nonlocal msg
        if stage == "RCPT":
            msg += 1
            c.user = over if msg % 10 == 0 else users[msg % len(users)]
            c.n += 1
        c.stage = stage
        c.sent = time.monotonic()
        c.s.sendall(request(stage, c.user, "r%d@example.org" % msg,
                            "Q%dX%d" % (c.i, c.n)))
        r["requests"] += 1

    def answer(c, line, now):
        a = line[len("action="):] if line.startswith("action=") else line
        kind = ("normal" if a == "DUNNO" else "on_error" if a == ON_ERROR
                else "limit" if "limit" in a or a.startswith("4") and
                "too many" in a else "other")
        key = "%s %s" % (c.stage, kind)
        r["classes"][key] = r["classes"].get(key, 0) + 1
        rel = None if t_kill is None else round(c.sent - t_kill, 4)
        if kind == "on_error":
            r["on_error_at"].append(rel)
        elif kind == "other" or (c.user == over and a == "DUNNO"):
            r["bad"].append([rel, c.stage, c.user, a])
        if (kind != "on_error" and t_switch is not None and
                r["normal_after_switch"] is None and c.sent > t_switch):
            r["normal_after_switch"] = round(now - t_switch, 4)
        if c.stage == "RCPT" and a == "DUNNO":
            send(c, "END-OF-MESSAGE")
            return
        if c.stage == "END-OF-MESSAGE" and a == "DUNNO":
            r["admitted"][c.user] = r["admitted"].get(c.user, 0) + 1
        c.stage = None
        c.due += gap * 2

    while True:
        now = time.monotonic()
        if t_kill is None and now - t0 >= kill_at:
            os.kill(kill_pid, signal.SIGKILL)
            t_kill = now
        if now - t0 >= secs and all(c.stage is None for c in cs):
            break
        for c in cs:
            if c.stage is None and now >= c.due and now - t0 < secs:
                c.due = max(c.due, now - 1)
                send(c, "RCPT")
        for key, _ in sel.select(0.002):
            now = time.monotonic()
            if key.data is None:
                subbuf += sub.recv(65536)
                if t_switch is None and b"message" in subbuf and \
                        b"+switch-master" in subbuf:
                    t_switch = now
                    r["switch_at"] = round(now - t_kill, 4) \
                        if t_kill else None
                continue
            c = key.data
            data = c.s.recv(65536)
            if not data:
                r["bad"].append([None, c.stage, c.user, "connection closed"])
                sel.unregister(c.s)
                c.stage = "closed"
                continue
            c.buf += data
            while b"\n\n" in c.buf:
                line, c.buf = c.buf.split(b"\n\n", 1)
                answer(c, line.decode(errors="replace"), now)
        if now - t0 > secs + 30:
            r["bad"].append([None, None, None, "replies missing at the end"])
            break
    r["secs"] = round(time.monotonic() - t0, 3)
    print(json.dumps(r))


main()
