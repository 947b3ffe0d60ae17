#!/usr/bin/python3
"""bench/scrape.py PORT EVERY SECS -- GET http://127.0.0.1:PORT/metrics
every EVERY seconds (0: back to back) for SECS seconds on one kept-alive
connection, as Prometheus scrapes; prints "scrapes=N failed=M" (failed:
no answer, not 200, or no outpost_users_paused line).  For bench/run
scrape."""
import http.client
import sys
import time

port, every, secs = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
n = bad = 0
nxt = time.monotonic()
end = nxt + secs
while time.monotonic() < end:
    try:
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        n += 1
        bad += r.status != 200 or b"\noutpost_users_paused " not in r.read()
    except OSError:
        bad += 1
        conn.close()
    nxt += every
    time.sleep(max(0.0, nxt - time.monotonic()))
print("scrapes=%d failed=%d" % (n, bad))
