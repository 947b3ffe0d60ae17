#!/usr/bin/perl
# outpost-policyd under abusive clients, against a real redis-server on a
# unix socket: slowloris clients (a byte a second), 10,000 idle
# connections, one client pipelining 100,000 requests on one connection.
# In each case a well-behaved client keeps getting correct answers
# (through Redis) while the abuse goes on, and afterwards the daemon's
# file descriptors (/proc/PID/fd) and VmRSS return to what they were
# before it.  Latency under abuse is a benchmark figure (bench/run abuse),
# never asserted here.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::UNIX;
use Socket qw(AF_UNIX SOCK_STREAM pack_sockaddr_un);
use Time::HiRes qw(sleep time);
use Test::More;
use PolicydTest;

plan skip_all => "$DAEMON not built" unless -x $DAEMON;
plan skip_all => 'redis-server not installed' unless redis_server();
$SIG{PIPE} = 'IGNORE';

my $IDLE = 10_000;		# idle connections
my $FLOOD = 100_000;		# pipelined requests
my $SLOW = 1000;		# slowloris connections
# "Back to baseline": within 2 MB; 4 MB under AddressSanitizer, whose
# allocator and shadow memory keep some of what 10,000 connections used.
my $ASAN = PolicydTest::slurp($DAEMON) =~ /__asan_init/;
my $RSS_MARGIN_KB = $ASAN ? 4096 : 2048;

# This process holds $IDLE sockets, the daemon as many: raise the limit
# (the daemon raises its soft limit to the hard one at start).
my $want = $IDLE + 1000;
system('prlimit', "--pid=$$", "--nofile=$want:$want") == 0
    or plan skip_all => "cannot raise the open-files limit to $want";

my $r = redis_start('redis');
redis_mark($r);
rcmd($r, 'HSET', 'outpost:{u:sus}:acct', 'state', 'suspended',
    'reason', 'flood');
# ASan keeps freed memory in a quarantine (256 MB by default) that would
# hide whether the daemon gives memory back.
my %asan = (ASAN_OPTIONS => join(':', grep { $_ } $ENV{ASAN_OPTIONS},
    'quarantine_size_mb=1'));

# Three requests judged through Redis, three different answers: a reply
# out of order or out of place shows.
my @PROBE = (['sus', '554 5.7.1 sending account suspended: flood'],
    ['nobody', '554 5.7.1 unknown sending account'],
    ['no body', '554 5.7.1 unknown sending account']);
my $SUS = $PROBE[0][1];

# One round of the well-behaved client; 1 if every answer was right.
sub probe {
	my $c = shift;
	my $ok = 1;
	for my $p (@PROBE) {
		my $a = request($c, sasl_username => $p->[0]);
		$ok = 0 unless defined $a && $a eq $p->[1];
	}
	return $ok;
}

sub nfds { opendir(my $d, "/proc/$_[0]/fd") or return -1;
	return scalar grep { !/^\./ } readdir $d }

# A daemon, warmed up (a connection served and closed), and its baseline.
sub start {
	my ($name, %kv) = @_;
	my $d = daemon_start($name, $r, -env => \%asan, %kv);
	my $c = daemon_connect($d);
	probe($c) for 1 .. 50;
	close $c;
	sleep 0.5;
	$d->{fd0} = nfds($d->{pid});
	$d->{rss0} = proc_rss_kb($d->{pid});
	return $d;
}

# After the abuse: fds exactly back, RSS within the margin.
sub back_to_baseline {
	my ($d, $what) = @_;
	my $n;
	for (1 .. 200) { last if ($n = nfds($d->{pid})) == $d->{fd0}; sleep 0.1 }
	is($n, $d->{fd0}, "$what: file descriptors back to $d->{fd0}");
	# The heap is trimmed every 10 s (sweep.c): wait for one.
	my $rss;
	for (1 .. 150) {
		$rss = proc_rss_kb($d->{pid});
		last if $rss - $d->{rss0} < $RSS_MARGIN_KB;
		sleep 0.1;
	}
	cmp_ok($rss - $d->{rss0}, '<', $RSS_MARGIN_KB,
	    "$what: VmRSS back to baseline within $RSS_MARGIN_KB kB "
	    . "($d->{rss0} kB before, $rss kB after)");
}

sub raw_connect {
	my $path = shift;
	socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
	connect($s, pack_sockaddr_un($path)) or die "connect: $!";
	return $s;
}

# ---- 1. slowloris: $SLOW clients sending a request a byte a second ------
# Each byte restarts the idle timer; the request deadline (the shorter of
# 10 s and policyd_idle_timeout) closes them.
{
	my $d = start('slow', policyd_idle_timeout => '3s');
	my $text = PolicydTest::req_text(request => 'smtpd_access_policy',
	    protocol_state => 'RCPT', sasl_username => 'sus',
	    recipient => 'x@y.example', instance => 'slow');
	my @s = map { raw_connect($d->{sock}) } 1 .. $SLOW;
	my (%closed, %sent, $reply);
	my $c = daemon_connect($d);
	my ($probes, $good, $t0) = (0, 0, time);
	while (keys %closed < $SLOW && time - $t0 < 60) {
		for my $i (0 .. $#s) {
			next if $closed{$i};
			my $pos = $sent{$i} // 0;
			my $n = syswrite($s[$i], substr($text, $pos, 1));
			if (!defined $n) { $closed{$i} = 1; next }
			$sent{$i} = $pos + 1;
		}
		my $t1 = time;
		while (time - $t1 < 1) { $probes++; $good += probe($c) }
	}
	for my $s (@s) {	# a closed connection reads EOF, not a reply
		my $n = sysread($s, my $buf, 100);
		$reply++ if $n;
	}
	my $max = (sort { $b <=> $a } values %sent)[0];
	is(scalar keys %closed, $SLOW,
	    "$SLOW slowloris connections, a byte a second each: all closed "
	    . "by the daemon (the longest after $max bytes)");
	ok(!$reply, '... without a reply to their partial requests');
	cmp_ok($max, '<', length $text, '... before any request was whole');
	like(slurp($d->{log}), qr/request not complete within 3000 ms \(\d+ bytes of it\), closing/,
	    '... logged');
	is($good, $probes, "meanwhile a well-behaved client: $good of "
	    . "$probes rounds of 3 requests answered correctly");
	close $_ for @s;
	close $c;
	back_to_baseline($d, 'slowloris gone');
	is(daemon_stop($d), 0, 'exit 0');
}

# ---- 2. $IDLE idle connections -----------------------------------------
{
	my $d = start('idle', policyd_idle_timeout => '600s');
	my @s = map { raw_connect($d->{sock}) } 1 .. $IDLE;
	my $n;
	for (1 .. 100) { last if ($n = nfds($d->{pid})) >= $d->{fd0} + $IDLE; sleep 0.1 }
	is($n, $d->{fd0} + $IDLE, "$IDLE idle connections: all accepted");
	diag("VmRSS: $d->{rss0} kB before, " . proc_rss_kb($d->{pid})
	    . " kB with $IDLE idle connections");
	my $c = daemon_connect($d);
	my $good = 0;
	$good += probe($c) for 1 .. 100;
	is($good, 100, 'meanwhile a well-behaved client: 100 of 100 rounds '
	    . 'answered correctly');
	close $c;
	close $_ for @s;
	back_to_baseline($d, 'idle connections closed');
	is(daemon_stop($d), 0, 'exit 0');
}

# ---- 3. $FLOOD requests pipelined on one connection ---------------------
{
	my $d = start('flood', policyd_idle_timeout => '600s');
	my $f = daemon_connect($d);
	my $block = join '', map { PolicydTest::req_text(
	    request => 'smtpd_access_policy', protocol_state => 'RCPT',
	    sasl_username => $_->[0], instance => 'flood') } @PROBE;
	my $want = join '', map { "action=$_->[1]\n\n" } @PROBE;
	my $rounds = int($FLOOD / @PROBE) + 1;
	my $kid = fork // die;
	if (!$kid) {			# as fast as it can, never waiting
		print $f $block x 1000 for 1 .. int($rounds / 1000);
		print $f $block x ($rounds % 1000);
		close $f;
		POSIX::_exit(0);
	}
	my $c = daemon_connect($d);
	my ($got, $acc, $probes, $good) = (0, '', 0, 0);
	while ($got < $rounds) {
		my $n = sysread($f, $acc, 1 << 16, length $acc);
		last unless $n;
		while (length $acc >= length $want) {
			last if substr($acc, 0, length $want, '') ne $want;
			if (++$got % 1000 == 0) { $probes++; $good += probe($c) }
		}
	}
	waitpid $kid, 0;
	is($got, $rounds, $rounds * 3 . ' requests pipelined on one '
	    . 'connection: every reply correct and in order');
	is($good, $probes, "meanwhile a well-behaved client: $good of "
	    . "$probes rounds answered correctly");
	is(probe($f), 1, 'the flooding connection still serves');
	close $f;
	close $c;
	back_to_baseline($d, 'flood over');
	is(daemon_stop($d), 0, 'exit 0');
}

redis_stop($r);
done_testing();
