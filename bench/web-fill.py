#!/usr/bin/python3
"""web-fill.py -- the Redis commands (RESP, for redis-cli --pipe) of a
large installation, for bench/run web: USERS users on one plan, in Pusers
and the name index Puserix, each with a message counter; EVENTS delivery
events of the last 7 days in the layout of lib/schema.h (the event hash,
the all / u / r indexes, the per-user and the fleet's hourly figures,
the fleet's daily figures -- but not for the events' two oldest days, as
after an upgrade from a version without them: the console sums those
days' hours).
(Suppressions are imported by outpostctl: their fields are packed.)

  web-fill.py [-u USERS] [-e EVENTS] [-p PREFIX] [-t NOW] > commands

Deterministic (a fixed seed); NOW (unix seconds) defaults to the clock.
"""
import argparse
import random
import sys
import time


def cmd(out, *args):
    b = [b'*%d\r\n' % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        b.append(b'$%d\r\n%s\r\n' % (len(a), a))
    out.write(b''.join(b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-u', type=int, default=100000)
    ap.add_argument('-e', type=int, default=1000000)
    ap.add_argument('-p', default='outpost:')
    ap.add_argument('-t', type=int, default=int(time.time()))
    a = ap.parse_args()
    P, now = a.p, a.t
    rnd = random.Random(11)
    out = sys.stdout.buffer
    cmd(out, 'SET', P + 'schema', '2')
    cmd(out, 'HSET', P + 'plan:bench', 'messages/3600', '1000')
    cmd(out, 'SADD', P + 'plans', 'bench')
    slot = now // 60
    for i in range(a.u):
        u = 'user%06d@example.com' % i
        cmd(out, 'HSET', P + '{u:%s}:acct' % u, 'plan', 'bench', 'state',
            'active', 'reason', '', 'since', now - 86400, 'created',
            now - 86400)
        cmd(out, 'HSET', P + '{u:%s}:plim' % u, '=plan', 'bench',
            'messages/3600', '1000')
        cmd(out, 'HSET', P + '{u:%s}:c:messages/3600' % u, slot, i % 50)
        cmd(out, 'SADD', P + 'users', u)
        cmd(out, 'ZADD', P + 'userix', 0, u)
    statuses = [('delivered', 'delivered', ('sent', 'delivered'))] * 85 + \
        [('deferred', 'soft', ('deferred',))] * 8 + \
        [('bounced', 'hard', ('sent', 'hard'))] * 5 + \
        [('refused', 'refused', ('refused',))] * 2
    lo = (now - 7 * 86400) * 1000
    daily, old = {}, now // 86400 - 5   # days below old: no daily hash
    for e in range(1, a.e + 1):
        t = lo + (e * 7 * 86400 * 1000) // a.e
        u = 'user%06d@example.com' % rnd.randrange(a.u)
        r = 'r%06d@dest%d.example' % (rnd.randrange(200000), e % 97)
        st, cat, figs = statuses[rnd.randrange(100)]
        ek = P + '{log}:e:%d' % e
        cmd(out, 'HSET', ek, 't', t, 'host', 'mx1', 'qid', 'Q%07X' % e,
            'who', u, 'from', 'news@example.com', 'rcpt', r, 'status', st,
            'category', cat, 'dsn', '2.0.0', 'code', 250, 'reply',
            '250 2.0.0 Ok: queued as X', 'relay', 'mx.dest.example')
        cmd(out, 'ZADD', P + '{log}:all', t, e)
        cmd(out, 'ZADD', P + '{log}:u:' + u, t, e)
        cmd(out, 'ZADD', P + '{log}:r:' + r, t, e)
        h = t // 3600000
        for f in figs:
            cmd(out, 'HINCRBY', P + '{log}:st:%s:%d' % (u, h), f, 1)
            cmd(out, 'HINCRBY', P + '{log}:st:*:%d' % h, f, 1)
            if h // 24 >= old:
                d = daily.setdefault(h // 24, {})
                d[f] = d.get(f, 0) + 1
    for day, d in sorted(daily.items()):
        cmd(out, 'HSET', P + '{log}:st:*:d:%d' % day,
            *[x for kv in sorted(d.items()) for x in kv])
    cmd(out, 'SET', P + '{log}:seq', a.e)


if __name__ == '__main__':
    main()
