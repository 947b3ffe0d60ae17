#!/bin/bash
# testenv.t -- the pieces of t/lib/testenv.sh that need no Postfix:
# reply extraction from swaks transcripts, the SMTP wire form of messages
# and its inverse for smtp-sink dumps, free ports, a private redis-server.
. "$(dirname "$0")/lib/testenv.sh"
te_tmpdir

# te_data_reply: transcript -> the reply to the end of DATA.
t1='=== Trying 127.0.0.1:2525...
<-  220 mx ESMTP Postfix
 -> MAIL FROM:<a@example.com>
<-  250 2.1.0 Ok
 -> DATA
<-  354 End data with <CR><LF>.<CR><LF>
 -> 9 lines sent
<-  250 2.0.0 Ok: queued as 1141AA72298
 -> QUIT
<-  221 2.0.0 Bye'
is "$(te_data_reply "$t1")" "250 2.0.0 Ok: queued as 1141AA72298" "reply: queued"
is "$(te_queue_id "$(te_data_reply "$t1")")" 1141AA72298 "queue id"
t2='<-  354 End data with <CR><LF>.<CR><LF>
 -> 3 lines sent
<** 550 5.7.1 message has no From header
 -> QUIT
<-  221 2.0.0 Bye'
is "$(te_data_reply "$t2")" "550 5.7.1 message has no From header" "reply: 550 after data"
t3='<-  250 2.1.0 Ok
 -> RCPT TO:<b@example.org>
<** 554 5.7.1 <b@example.org>: Relay access denied
 -> QUIT
<-  221 2.0.0 Bye'
is "$(te_data_reply "$t3")" "554 5.7.1 <b@example.org>: Relay access denied" "reply: refused before DATA"
is "$(te_queue_id "$(te_data_reply "$t3")")" "" "no queue id when refused"

# te_wire: CRLF everywhere, dot stuffing, final line end, terminator.
wire() { printf "$1" >"$T/in"; te_wire "$T/in" "$T/w"; od -An -c "$T/w" | tr -s ' \n' ' '; }
is "$(wire 'a\nb\n')" " a \\r \\n b \\r \\n . " "wire: LF -> CRLF"
is "$(wire 'a\r\nb')" " a \\r \\n b \\r \\n . " "wire: final line end added"
is "$(wire '.\n..x\n. \n')" " . . \\r \\n . . . x \\r \\n . . \\r \\n . " "wire: dot stuffing"
is "$(wire 'a\rb\n')" " a \\r b \\r \\n . " "wire: lone CR stays inside the line"
is "$(wire 'X-Test-Wire: raw\n.a\nb\r\n')" " X - T e s t - W i r e : r a w \\n . . a \\n b \\r \\n . " \
    "wire: raw mode keeps bare LF"

# sinkmsg: smtp-sink's own lines off, LF -> CRLF, last empty line off.
printf 'X-Client-Addr: 127.0.0.1\nX-Client-Proto: ESMTP\nX-Helo-Args: mx\nX-Mail-Args: <a@x>\nX-Rcpt-Args: <rcpt-t@x>\nReceived: r\nX-Rcpt-Args: kept\n\nbody\n\n\n' >"$T/dump"
te_sink_message "$T/dump" "$T/msg"
is "$(od -An -c "$T/msg" | tr -s ' \n' ' ')" \
    " R e c e i v e d : r \\r \\n X - R c p t - A r g s : k e p t \\r \\n \\r \\n b o d y \\r \\n \\r \\n " \
    "sinkmsg: dump back to the message"
printf 'X-Client-Addr: 1\nbody\n' >"$T/cut"
ok "sinkmsg: a dump cut short is refused" bash -c '! "$0" "$1" "$2" 2>/dev/null' \
    "$TE_ROOT/t/lib/sinkmsg.py" "$T/cut" "$T/x"

# samemsg: only Received / DKIM-Signature on top may differ.
printf 'From: a\nSubject: s\n\nb\n' >"$T/orig"
printf 'Received: x\r\n\ty\r\nDKIM-Signature: v=1;\r\n b=z\r\nFrom: a\r\nSubject: s\r\n\r\nb\r\n' >"$T/got"
ok "samemsg: added headers on top are ignored" te_same_message "$T/got" "$T/orig"
printf 'From: a\r\nDKIM-Signature: v=1\r\nSubject: s\r\n\r\nb\r\n' >"$T/got2"
ok "samemsg: a header added below is a difference" bash -c '! "$0" "$1" "$2" >/dev/null' \
    "$TE_ROOT/t/lib/samemsg.py" "$T/got2" "$T/orig"

# Free ports: distinct, and nothing listens there.
te_free_port p1
te_free_port p2
ok "free ports differ" test "$p1" != "$p2"
ok "free port $p1 not listening" bash -c '[ -z "$(ss -Hltn "sport = :$0")" ]' "$p1"
like "$(cat "$T/ports")" "p1=$p1" "ports written to \$T/ports"

# Redis on a unix socket in $T, nothing saved.
te_redis_start
is "$(te_redis_cli set k v)" OK "redis: set"
is "$(te_redis_cli get k)" v "redis: get"
is "$(te_redis_cli config get save | tail -1)" "" "redis: no snapshots"
te_redis_stop
ok "redis: stopped" bash -c '! redis-cli -s "$0" ping 2>/dev/null | grep -q PONG' "$T/redis.sock"
done_testing
