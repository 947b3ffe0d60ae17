#!/usr/bin/env python3
"""pflog-gen.py -- a recorded Postfix 3.7 log for bench/run feedback.

    pflog-gen.py [-n LINES] [-s SEED] [-u USERS] > maillog

Writes about LINES lines (default 1,000,000) of what a relay's Postfix logs
with enable_long_queue_ids = yes: per message smtpd connect, client= with
sasl_username (a few without SASL), cleanup message-id=, qmgr from=/size=/
nrcpt=, one smtp delivery line per recipient (mostly status=sent, some
deferred -- retried later, delivered or expired -- some bounced with the
replies of t/unit/pflog/lines.in, each followed by the bounce notice and
its own delivery), removed, smtpd disconnect; messages interleave as in a
real log (several in flight).  Deterministic for one seed.  Users USERS
(default 2,000), recipients drawn from 200,000 addresses over 5,000
domains.
"""
import argparse
import random
import sys
import time

B32 = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz"
REPLIES_HARD = [
    ("5.1.1", "550 5.1.1 <{r}>: Recipient address rejected: User unknown "
     "in virtual mailbox table"),
    ("5.1.1", "550-5.1.1 The email account that you tried to reach does not "
     "exist. Please try 550-5.1.1 double-checking the recipient's email "
     "address for typos or 550 5.1.1 https://support.google.com/mail/"
     "?p=NoSuchUser x1-20020a - gsmtp"),
]
REPLIES_SOFT = [
    ("5.2.2", "552 5.2.2 <{r}>: mailbox full (quota \"exceeded\"), try later"),
    ("5.7.1", "554 5.7.1 Service unavailable; Client host [192.0.2.7] "
     "blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/"
     "192.0.2.7"),
]
REPLIES_DEFER = [
    ("4.7.0", "421 4.7.0 [TSS04] Messages from 192.0.2.7 temporarily "
     "deferred due to unexpected volume or user complaints"),
    ("4.2.0", "450 4.2.0 <{r}>: Recipient address rejected: Greylisted, "
     "see http://postgrey.example/?a=b, c=d"),
]


class Gen:
    def __init__(self, rnd, users, out):
        self.rnd = rnd
        self.users = users
        self.out = out
        self.t = time.mktime((2024, 3, 4, 8, 0, 0, 0, 0, -1))
        self.lines = 0
        self.pid = 1000
        self.later = []		# (t, lines) of retries / notices

    def qid(self):
        r = self.rnd
        return "4" + "".join(r.choice(B32) for _ in range(9)) + "z" + \
            "".join(r.choice(B32) for _ in range(5))

    def emit(self, svc, pid, text):
        st = time.strftime("%b %d %H:%M:%S", time.localtime(self.t))
        self.out.write("%s mx1 postfix/%s[%d]: %s\n" % (st, svc, pid, text))
        self.lines += 1

    def rcpt(self):
        r = self.rnd
        d = r.randrange(5000)
        return "user%d@dom%d.example" % (r.randrange(40), d)

    def relay(self, rc):
        dom = rc.split("@")[1]
        return "mx.%s[198.51.100.%d]:25" % (dom, sum(dom.encode()) % 250 + 1)

    def delivery(self, q, rc, st, dsn, reply, delay):
        self.emit("smtp", 7000 + self.rnd.randrange(50),
                  "%s: to=<%s>, relay=%s, delay=%.2g, delays=0.1/0.01/0.2/%.2g,"
                  " dsn=%s, status=%s (%s)" % (q, rc, self.relay(rc), delay,
                                               delay, dsn, st, reply))

    def message(self):
        r = self.rnd
        q = self.qid()
        u = r.randrange(self.users)
        spid = 3000 + r.randrange(100)
        ip = "203.0.113.%d" % (u % 250 + 1)
        self.emit("submission/smtpd", spid, "connect from c%d.example[%s]"
                  % (u, ip))
        if u % 50 == 49:
            self.emit("submission/smtpd", spid, "%s: client=c%d.example[%s]"
                      % (q, u, ip))
        else:
            self.emit("submission/smtpd", spid,
                      "%s: client=c%d.example[%s], sasl_method=PLAIN, "
                      "sasl_username=user%d@customer%d.example"
                      % (q, u, ip, u, u % 300))
        self.emit("cleanup", 4000 + r.randrange(20),
                  "%s: message-id=<%d.%s@customer%d.example>"
                  % (q, self.lines, q, u % 300))
        n = 1 if r.random() < 0.7 else r.randrange(2, 6)
        self.emit("qmgr", 900, "%s: from=<news%d@customer%d.example>, "
                  "size=%d, nrcpt=%d (queue active)"
                  % (q, u, u % 300, r.randrange(800, 90000), n))
        self.emit("submission/smtpd", spid, "disconnect from c%d.example[%s]"
                  " ehlo=1 auth=1 mail=1 rcpt=%d data=1 quit=1 commands=%d"
                  % (u, ip, n, n + 5))
        pending, bounced = [], False
        for _ in range(n):
            rc = self.rcpt()
            x = r.random()
            if x < 0.90:
                self.delivery(q, rc, "sent", "2.0.0",
                              "250 2.0.0 Ok: queued as %s" % self.qid()[:10],
                              r.random() * 3)
            elif x < 0.95:
                dsn, rep = r.choice(REPLIES_DEFER)
                self.delivery(q, rc, "deferred", dsn, "host %s said: %s (in "
                              "reply to RCPT TO command)" % (self.relay(rc),
                              rep.format(r=rc)), r.random() * 3)
                pending.append((rc, dsn, rep))
            else:
                dsn, rep = r.choice(REPLIES_HARD if x < 0.98
                                    else REPLIES_SOFT)
                self.delivery(q, rc, "bounced", dsn, "host %s said: %s (in "
                              "reply to RCPT TO command)" % (self.relay(rc),
                              rep.format(r=rc)), r.random() * 3)
                bounced = True
        if bounced:
            self.notice(q, u)
        if pending:
            self.later.append((self.t + 300, q, pending))
        else:
            self.emit("qmgr", 900, "%s: removed" % q)

    def notice(self, q, u):
        n = self.qid()
        self.emit("cleanup", 4001, "%s: message-id=<%s@mx1.example>" % (n, n))
        self.emit("qmgr", 900, "%s: from=<>, size=4321, nrcpt=1 (queue "
                  "active)" % n)
        self.emit("bounce", 5000, "%s: sender non-delivery notification: %s"
                  % (q, n))
        self.delivery(n, "news%d@customer%d.example" % (u, u % 300), "sent",
                      "2.0.0", "250 2.0.0 Ok", 0.1)
        self.emit("qmgr", 900, "%s: removed" % n)

    def retry(self, q, pending):
        r = self.rnd
        for rc, dsn, rep in pending:
            if r.random() < 0.8:
                self.delivery(q, rc, "sent", "2.0.0", "250 2.0.0 Ok",
                              300 + r.random())
            else:
                self.emit("qmgr", 900, "%s: from=<x@y.example>, "
                          "status=expired, returned to sender" % q)
                break
        self.emit("qmgr", 900, "%s: removed" % q)

    def run(self, total):
        r = self.rnd
        while self.lines < total:
            self.t += r.random() * 0.02
            if self.later and self.later[0][0] <= self.t:
                _, q, p = self.later.pop(0)
                self.retry(q, p)
            else:
                self.message()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("-s", type=int, default=1)
    ap.add_argument("-u", type=int, default=2000)
    a = ap.parse_args()
    out = sys.stdout
    Gen(random.Random(a.s), a.u, out).run(a.n)
    out.flush()


if __name__ == "__main__":
    main()
