#!/usr/bin/perl
# outpost-policyd under hostile clients and failing dependencies, against
# real redis-server instances on unix sockets: a client that sends without
# reading, a client that never reads during SIGTERM, running out of file
# descriptors, Redis stopped with commands in flight, Redis down, Redis
# paused (CLIENT PAUSE) longer than redis_timeout, Redis killed under a
# request and restarted, a wrong Redis password.  The abusive clients of
# t/policyd-abuse.t (slowloris, 10,000 idle, 100,000 pipelined) are there.  Bounds are on resources (memory, CPU time, connection
# counts, log lines), never on latency.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);
use Test::More;
use PolicydTest;

plan skip_all => "$DAEMON not built" unless -x $DAEMON;
plan skip_all => 'redis-server not installed' unless redis_server();
$SIG{PIPE} = 'IGNORE';

# Sample $pid until its CPU time has not moved for a second (it waits for
# something) or $limit seconds passed; returns the largest VmRSS seen (kB).
sub until_stalled {
	my ($pid, $limit) = @_;
	my ($max, $last, $still, $t0) = (0, -1, 0, time);
	while (time - $t0 < $limit) {
		sleep 0.25;
		my $rss = proc_rss_kb($pid) // last;
		$max = $rss if $rss > $max;
		my $cpu = proc_cpu_s($pid);
		$still = $cpu == $last ? $still + 1 : 0;
		$last = $cpu;
		last if $still >= 4;
	}
	return $max;
}

my $r = redis_start('redis');
redis_mark($r);
# ASan keeps freed memory in a quarantine (256 MB by default) that would
# hide what the daemon itself holds.
my %asan = (ASAN_OPTIONS => join(':', grep { $_ } $ENV{ASAN_OPTIONS},
    'quarantine_size_mb=4'));

# ---- 1. a client that sends and never reads: memory stays bounded -------
{
	rcmd($r, 'HSET', 'outpost:{u:sus}:acct', 'state', 'suspended',
	    'reason', 'flood');
	my $d = daemon_start('flood', $r, policyd_idle_timeout => '600s',
	    -env => \%asan);
	my $c = daemon_connect($d);
	# A block: 999 cheap requests (DUNNO without Redis), one invalid user
	# name (554 without Redis), one suspended user (554 through Redis).
	my $block = ("a=\n\n" x 999)
	    . req_text(request => 'smtpd_access_policy',
		protocol_state => 'RCPT', sasl_username => 'no body')
	    . req_text(request => 'smtpd_access_policy',
		protocol_state => 'RCPT', sasl_username => 'sus');
	my $want = ("action=DUNNO\n\n" x 999)
	    . "action=554 5.7.1 unknown sending account\n\n"
	    . "action=554 5.7.1 sending account suspended: flood\n\n";
	my $n = int(40e6 / length $block);	# 40 MB: ~140 MB of replies
	my $rss0 = proc_rss_kb($d->{pid});
	my $kid = fork // die;
	if (!$kid) {
		print $c $block for 1 .. $n;
		POSIX::_exit(0);
	}
	my $max = until_stalled($d->{pid}, 120);
	my ($ok, $acc) = (0, '');
	for my $i (1 .. $n) {
		while (length $acc < length $want) {
			sysread($c, $acc, 1 << 20, length $acc) or last;
		}
		$ok++ if substr($acc, 0, length $want, '') eq $want;
		if ($i % 200 == 0) {
			my $rss = proc_rss_kb($d->{pid});
			$max = $rss if $rss > $max;
		}
	}
	waitpid $kid, 0;
	cmp_ok(($max - $rss0) / 1024, '<', 32,
	    "40 MB of requests, no reply read: the daemon grew < 32 MB "
	    . "(from $rss0 kB to at most $max kB)");
	is($ok, $n, "then all $n x 1001 replies, correct and in order");
	is(request($c, sasl_username => 'sus'),
	    '554 5.7.1 sending account suspended: flood',
	    'the connection still serves');
	is(daemon_stop($d), 0, 'exit 0');
}

# ---- 1b. replies not read for policyd_idle_timeout: connection closed ----
{
	my $d = daemon_start('stuck', $r, policyd_idle_timeout => '2s',
	    -env => \%asan);
	my $c = daemon_connect($d);
	my $n = 1_000_000;		# 14 MB of replies: more than buffers
	my $kid = fork // die;
	if (!$kid) {
		print $c "a=\n\n" x $n;
		POSIX::_exit(0);
	}
	my $closed;
	for (1 .. 600) {
		$closed = slurp($d->{log}) =~ /replies not read for 2000 ms, closing/;
		last if $closed;
		sleep 0.1;
	}
	ok($closed, 'stuck with unread replies for the idle timeout: logged');
	my ($nl, $buf) = (0, '');
	while (sysread($c, $buf, 1 << 20)) { $nl += ($buf =~ tr/\n//) }
	my $got = $nl / 2;
	cmp_ok($got, '<', $n, "... and closed (EOF after $got of $n replies)");
	waitpid $kid, 0;
	is(daemon_stop($d), 0, 'exit 0');
}

# ---- 2. SIGTERM while a client does not read its replies ----------------
{
	my $d = daemon_start('drain', $r, policyd_idle_timeout => '600s');
	my $c = daemon_connect($d);
	my $kid = fork // die;
	if (!$kid) {
		print $c "a=\n\n" x 1_000_000;
		POSIX::_exit(0);
	}
	until_stalled($d->{pid}, 60);
	is(daemon_stop($d, 120), 0,
	    'SIGTERM, a client holding unread replies: exit 0 (drain deadline)');
	like(slurp($d->{log}), qr/drain: 1 connection\(s\) still open 6000 ms after the signal/,
	    '... logged the deadline');
	close $c;
	waitpid $kid, 0;
}

# ---- 4. out of file descriptors: no busy loop, no log flood -------------
{
	my $d = daemon_start('nofile', $r, policyd_idle_timeout => '600s',
	    -wrap => ['prlimit', '--nofile=32:32', '--']);
	my @c = map { daemon_connect($d) } 1 .. 48;	# the rest: backlog
	my $hit;
	for (1 .. 300) { last if $hit = slurp($d->{log}) =~ /accept: .*open files/; sleep 0.1 }
	ok($hit, 'open-files limit reached: logged');
	my $cpu0 = proc_cpu_s($d->{pid});
	sleep 2;
	my $cpu = proc_cpu_s($d->{pid}) - $cpu0;
	cmp_ok($cpu, '<', 0.5, "2 s at the limit cost the daemon $cpu s of CPU");
	my $lines = () = slurp($d->{log}) =~ /^.*accept: /mg;
	cmp_ok($lines, '<=', 2, "$lines accept error line(s) in the log");
	close $_ for @c;
	my $c = daemon_connect($d);
	is(request($c, sasl_username => 'no body'),
	    '554 5.7.1 unknown sending account',
	    'connections closed: a new one is served');
	is(daemon_stop($d), 0, 'exit 0');
}

# ---- 8. Redis down: no log line per request -----------------------------
{
	my $r8 = redis_start('redis8');
	redis_mark($r8);
	my $d = daemon_start('down', $r8);
	my $c = daemon_connect($d);
	is(request($c, sasl_username => 'nobody'),
	    '554 5.7.1 unknown sending account', 'Redis up: answered');
	redis_stop($r8);
	my @a = map { request($c, sasl_username => 'nobody') } 1 .. 40;
	is(scalar(grep { $_ eq '451 4.3.0 policy service temporarily '
	    . 'unavailable, try again later' } @a), 40,
	    'Redis down: 40 requests deferred');
	is(daemon_stop($d), 0, 'exit 0');
	my $log = slurp($d->{log});
	my $lines = () = $log =~ /\n/g;
	cmp_ok($lines, '<=', 6, "$lines log lines in all (start, one outage "
	    . "line, stop)") or diag($log);
	like($log, qr/requests answered by on_error=40\b/,
	    'the deferred requests are counted');
}

# ---- 8b. Redis paused (CLIENT PAUSE) longer than redis_timeout ---------
# The reply is on_error's, given by the daemon's own timeout: had it waited
# for Redis (or for Postfix's timeout) the answer would be the real one.
{
	my $r8 = redis_start('redis8b');
	redis_mark($r8);
	rcmd($r8, 'HSET', 'outpost:{u:sus}:acct', 'state', 'suspended',
	    'reason', 'flood');
	my $d = daemon_start('paused', $r8, redis_timeout => '1s');
	my $c = daemon_connect($d);
	my $sus = '554 5.7.1 sending account suspended: flood';
	is(request($c, sasl_username => 'sus'), $sus, 'before the pause: judged');
	rcmd($r8, 'CLIENT', 'PAUSE', 6000);
	my @a = map { request($c, sasl_username => 'sus') } 1 .. 2;
	is_deeply(\@a, [('451 4.3.0 policy service temporarily unavailable, '
	    . 'try again later') x 2], 'Redis paused 6 s, redis_timeout 1 s: '
	    . 'on_error answers (not the verdict Redis would give at the end)');
	my $a;
	for (1 .. 100) {
		$a = request($c, sasl_username => 'sus');
		last if $a eq $sus;
		sleep 0.2;
	}
	is($a, $sus, 'the pause over: judged again on the same connection');
	is(daemon_stop($d), 0, 'exit 0');
	redis_stop($r8);
}

# ---- 8c. Redis killed (SIGKILL) with a request in flight, restarted -----
{
	my $r8 = redis_start('redis8c');
	redis_mark($r8);
	rcmd($r8, 'HSET', 'outpost:{u:sus}:acct', 'state', 'suspended',
	    'reason', 'flood');
	my $d = daemon_start('killed', $r8, redis_timeout => '30s');
	my $c = daemon_connect($d);
	my $sus = '554 5.7.1 sending account suspended: flood';
	is(request($c, sasl_username => 'sus'), $sus, 'before the kill: judged');
	kill 'STOP', $r8->{pid};	# the next request waits in Redis
	print $c req_text(request => 'smtpd_access_policy',
	    protocol_state => 'RCPT', sasl_username => 'sus');
	sleep 0.3;
	kill 'KILL', $r8->{pid};
	kill 'CONT', $r8->{pid};
	waitpid $r8->{pid}, 0;
	is(read_reply($c), '451 4.3.0 policy service temporarily unavailable, '
	    . 'try again later', 'Redis killed under a request in flight: '
	    . 'on_error at once (redis_timeout is 30 s)');
	unlink $r8->{sock};
	my $r8b = redis_start('redis8c');	# the same socket, data lost
	redis_mark($r8b);
	rcmd($r8b, 'HSET', 'outpost:{u:sus}:acct', 'state', 'suspended',
	    'reason', 'again');
	my $a;
	for (1 .. 100) {
		$a = request($c, sasl_username => 'sus');
		last if $a =~ /^554/;
		sleep 0.2;
	}
	is($a, '554 5.7.1 sending account suspended: again',
	    'Redis restarted: the daemon reconnects and judges with its data');
	is(daemon_stop($d), 0, 'exit 0');
	redis_stop($r8b);
}

# ---- 9. a wrong Redis password: reconnects back off --------------------
{
	my $r9 = redis_start('redis9', '--requirepass', 'right');
	my $d = daemon_start('badpw', $r9, redis_password => 'wrong');
	rcmd($r9, 'AUTH', 'right');
	redis_mark($r9);
	my $conns = sub {
		rcmd($r9, 'INFO', 'stats') =~ /total_connections_received:(\d+)/;
		return $1;
	};
	sleep 3;
	my $n0 = $conns->();
	sleep 3;
	my $n = $conns->() - $n0;
	cmp_ok($n, '<=', 10, "wrong password: $n connection attempts in 3 s "
	    . "(after 3 s of failures)");
	like(slurp($d->{log}), qr/AUTH: WRONGPASS/, 'the refusal is logged');
	rcmd($r9, 'CONFIG', 'SET', 'requirepass', 'wrong');
	my $c = daemon_connect($d);
	my $a;
	for (1 .. 150) {
		$a = request($c, sasl_username => 'nobody');
		last if $a =~ /^554/;
		sleep 0.2;
	}
	is($a, '554 5.7.1 unknown sending account',
	    'password now right: the daemon connects and answers');
	is(daemon_stop($d), 0, 'exit 0');
	redis_stop($r9);
}

# ---- 5. SIGTERM while a sweep command waits for a stopped Redis ---------
{
	my $r5 = redis_start('redis5');
	redis_mark($r5);
	my $d = daemon_start('inflight', $r5, redis_timeout => '60s',
	    log_level => 'debug');
	my $steps = sub { scalar(() = slurp($d->{log}) =~ /sweep: SCAN/g) };
	my $seen;
	for (1 .. 300) { last if ($seen = $steps->()) > 0; sleep 0.1 }
	ok($seen, 'the background sweep runs');
	kill 'STOP', $r5->{pid};
	# Steps come every 100 ms, the next only once the last is
	# answered: half a second after the stop one is in flight, and no
	# more are sent while it waits.
	sleep 0.5;
	my $before = $steps->();
	sleep 1;
	is($steps->(), $before,
	    'no sweep step while one waits for the stopped Redis: in flight');
	is(daemon_stop($d), 0, 'SIGTERM with the sweep in flight: exit 0');
	unlike(slurp($d->{log}), qr/AddressSanitizer|runtime error/,
	    '... and no sanitizer report');
	redis_stop($r5);
}

redis_stop($r);
done_testing();
