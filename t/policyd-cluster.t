#!/usr/bin/perl
# outpost-policyd on a Redis Cluster (redis_address = cluster:...): three
# masters with a replica each, on 127.0.0.1.  Users whose keys live on each
# master are counted exactly at END-OF-MESSAGE; the slot of a user's keys
# is resharded (redis-cli --cluster reshard) while requests flow and no
# request is lost, none wrongly answered, the count exact; the background
# sweep deletes expired suppressions on every master; the refusals policyd
# records are found by "outpostctl log" with their user and reason; 8 processes
# against one limit admit exactly N; a master fails over (CLUSTER FAILOVER
# on its replica, then a master killed) under load: on_error answers in the
# window, normal ones after, no crash.  No timed assertion.
# To look at a failure: CLUSTER_LOG=FILE keeps the daemon's log,
# CLUSTER_LOG_LEVEL=debug makes it say which node answered what,
# CLUSTER_LOG_DIR=DIR keeps the Redis nodes' logs.
#
# Each user here has a plan named after its own hash tag ("{u:NAME}"), a
# leftover of the time before schema 2 made every script one slot; the
# daemon's plan fallback (HGETALL of the plan) serves them.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use POSIX ();
use Time::HiRes qw(sleep time);
use Test::More;
use PolicydTest;
use ClusterTest;

plan skip_all => "$DAEMON not built" unless -x $DAEMON;
plan skip_all => 'redis-server not installed' unless redis_server();
plan skip_all => 'redis-cli not installed' if system('redis-cli -v >/dev/null 2>&1');
$SIG{PIPE} = 'IGNORE';

my $dir = PolicydTest::dir();
my $C = cluster_start(3, 1, 3000);
END { cluster_stop($C) if $C }
my $P = 'outpost:';
my $DEFER = '451 4.3.0 policy service temporarily unavailable, try again later';

ckey($C, 'SET', "${P}schema", '2');
my $mport = ClusterTest::free_port();
my $d = daemon_start('main', undef, redis_address => $C->{addr},
    redis_timeout => '1s', log_level => $ENV{CLUSTER_LOG_LEVEL} // 'info',
    policyd_metrics_listen => "inet:127.0.0.1:$mport");

# A user whose scripts touch one slot: its plan is named after its tag.
sub user_add {
	my ($u, %lim) = @_;
	my $plan = "{u:$u}";
	ckey($C, 'HSET', "$P\{u:$u}:acct", 'plan', $plan, 'state', 'active',
	    'created', int(time));
	ckey($C, 'HSET', "${P}plan:$plan", %lim);
	ckey($C, 'SADD', "${P}plans", $plan);
	# schema 2: the plan's limits copied into the user, as outpostctl
	# plan set / user add write them (lib/schema.h, P{u:NAME}:plim)
	ckey($C, 'HSET', "$P\{u:$u}:plim", '=plan', $plan, %lim);
}
sub used {
	my ($u, $f) = @_;
	my $h = ckey($C, 'HGETALL', "$P\{u:$u}:c:$f");
	my $n = 0;
	# slots only: "n" and "lo" are the scripts' summary (lib/schema.h)
	for (my $i = 0; $i < @$h; $i += 2) { $n += $h->[$i + 1] if $h->[$i] =~ /^\d+$/ }
	return $n;
}
sub eom {
	my ($c, $u) = @_;
	return request($c, sasl_username => $u, protocol_state =>
	    'END-OF-MESSAGE', recipient_count => 1, size => 1000);
}
sub masters { my %m; $m{slot_master($C, $_)->[0]} = 1 for 0, 8000, 16000; sort keys %m }

# A name for a user whose slot its master serves among its first $k.
sub user_on {
	my ($port, $k, $not) = @_;
	my $s = ccmd($port, 'CLUSTER', 'SLOTS');
	my ($lo) = map { $_->[0] } grep { $_->[2][1] == $port } @$s;
	for my $i (1 .. 200000) {
		my $sl = key_slot("{u:n$i}");
		next if $not && $not->{"n$i"};
		return "n$i" if $sl >= $lo && $sl < $lo + $k;
	}
	die "no name";
}

# --- users on each of the three masters: counted exactly ------------------
my @m = masters();
is(scalar @m, 3, 'three masters');
my $c = daemon_connect($d);
my %used;
for my $port (@m) {
	my $u = user_on($port, 16384, \%used);
	$used{$u} = 1;
	user_add($u, 'messages/86400' => 5);
	my @a = map { eom($c, $u) } 1 .. 7;
	is_deeply([@a[0 .. 4]], [('DUNNO') x 5], "user $u on master $port: 5 admitted");
	like($a[5], qr/^450 4\.7\.1 sending limit messages=5\/1d reached/, "... the 6th refused");
	is(used($u, 'messages/86400'), 5, '... counted 5 on its master');
}

# --- outpost_users_paused: the SCARD goes to the index's own slot ----------
SKIP: {
	skip 'curl not installed', 1 if system('curl --version >/dev/null 2>&1');
	ckey($C, 'SADD', "${P}suspended", 'a', 'b', 'c');
	sleep 1.1;	# a scrape reads the count at most once a second
	my ($v) = `curl -sf http://127.0.0.1:$mport/metrics` =~
	    /^outpost_users_paused (\S+)$/m;
	is($v, 3, "outpost_users_paused: SCARD of ${P}suspended on its master ("
	    . slot_master($C, key_slot("${P}suspended"))->[0] . ')');
}

# The first name PREFIX.N not used yet that $ok accepts, now used.
sub first_unused {
	my ($prefix, $ok) = @_;
	for my $i (1 .. 100000) {
		my $u = "$prefix$i";
		next if $used{$u} || !$ok->($u);
		$used{$u} = 1;
		return $u;
	}
	die "no name";
}

# --- the background sweep walks every master -------------------------------
# Expired and live suppression entries, in global buckets (Psup:N, no hash
# tag) and in users' buckets, on each of the three masters: the sweep (a
# SCAN cursor per master) deletes every expired one and keeps the others.
{
	my $now = int(time);
	my $dead = '1:' . int(($now - 3600) / 60);	# reason 1, expired
	my $live = 4 * int($now / 60) . ':' . int(($now + 86400) / 60);
	my (@dead, @live);
	for my $port (@m) {
		my $s = ccmd($port, 'CLUSTER', 'SLOTS');
		my @mine = map { [$_->[0], $_->[1]] } grep { $_->[2][1] == $port } @$s;
		my $on = sub {
			my $sl = key_slot(shift);
			return grep { $sl >= $_->[0] && $sl <= $_->[1] } @mine;
		};
		my ($g) = grep { $on->("${P}sup:$_") } 0 .. 4095;
		my $u = first_unused('s', sub { $on->("{u:$_[0]}") });
		for my $k ("${P}sup:$g", "$P\{u:$u}:sup:7") {
			ccmd($port, 'HSET', $k, "gone\@$port.example", $dead,
			    "kept\@$port.example", $live);
			push @dead, [$port, $k, "gone\@$port.example"];
			push @live, [$port, $k, "kept\@$port.example"];
		}
	}
	my $left = sub { scalar grep { ccmd($_->[0], 'HEXISTS', $_->[1], $_->[2]) } @_ };
	my $t0 = time;
	for (1 .. 150) { last if $left->(@dead) == 0; sleep 0.2 }
	is($left->(@dead), 0, 'expired entries in buckets on all three masters swept');
	is($left->(@live), scalar @live, '... the live entries next to them kept');
	diag(sprintf 'sweep of 3 masters: %.1f s', time - $t0);
}

# --- refusals recorded in the delivery log ({log} slot) --------------------
# Users made by outpostctl on each master, refused at RCPT (suppressed
# recipient, foreign sender domain, unknown user, suspended) and at
# END-OF-MESSAGE (limit): "outpostctl log" on the cluster lists each
# refusal under its user with its class and the reply policyd gave.
{
	my $conf = "$dir/ctl.conf";
	open my $f, '>', $conf or die;
	print $f "redis_address = $C->{addr}\nredis_timeout = 5s\n";
	close $f;
	my $ctl = sub {
		my $out = qx{ctl/outpostctl -c $conf @_ 2>&1};
		die "outpostctl @_: $out" if $?;
		return $out;
	};
	my $events = sub {
		my $out = qx{ctl/outpostctl -c $conf --json log --user '$_[0]' --status refused 2>&1};
		return $? ? [] : decode_json($out);
	};
	$ctl->('plan set refp messages=2/1d');
	my (%want, @who);
	for my $port (@m) {
		my ($lo, $hi) = map { @$_[0, 1] } grep { $_->[2][1] == $port }
		    @{ccmd($port, 'CLUSTER', 'SLOTS')};
		my $u = first_unused('r', sub { my $sl = key_slot("{u:$_[0]}");
		    $sl >= $lo && $sl <= $hi });
		push @who, $u;
		$ctl->("user add $u --plan refp --domain example.com");
		$ctl->("suppress add Gone\@Dest.example --user $u --reason complaint");
		my %b = (sasl_username => $u, sender => "$u\@example.com",
		    client_address => '192.0.2.7');
		my $a1 = request($c, %b, recipient => 'gone@dest.example');
		like($a1, qr/^550 5\.7\.1 <gone\@dest\.example>: recipient suppressed for this account: complaint/,
		    "$u (master $port): suppressed recipient refused");
		my $a2 = request($c, %b, sender => "$u\@other.org");
		like($a2, qr/^553 5\.7\.1 .*not authorised to send as other\.org/, '... foreign sender domain refused');
		is(eom($c, $u), 'DUNNO', '... a message admitted') for 1 .. 2;
		my $a3 = request($c, %b, protocol_state => 'END-OF-MESSAGE', recipient => '',
		    recipient_count => 1, size => 100, queue_id => "Q$port");
		like($a3, qr/^450 4\.7\.1 sending limit messages=2\/1d reached/, '... the third refused at END-OF-MESSAGE');
		$want{$u} = [[limit => $a3, "Q$port"], [domain => $a2, undef],
		    [suppressed => $a1, undef]];	# newest first
	}
	$ctl->("user suspend $who[0] --reason 'bounces'");
	my $a4 = request($c, sasl_username => $who[0], sender => "$who[0]\@example.com");
	like($a4, qr/^554 5\.7\.1 sending account suspended: bounces/, 'a suspended user refused');
	unshift @{$want{$who[0]}}, [suspended => $a4, undef];
	is(request($c, sasl_username => 'nosuch.r'), '554 5.7.1 unknown sending account',
	    'an unknown user refused');
	$want{'nosuch.r'} = [[unknown => '554 5.7.1 unknown sending account', undef]];
	# the writes are fire and forget: wait for them (bounded, not timed)
	for (1 .. 100) {
		last unless grep { @{$events->($_)} < @{$want{$_}} } keys %want;
		sleep 0.1;
	}
	for my $u (sort keys %want) {
		my $ev = $events->($u);
		is_deeply([map { [$_->{class}, $_->{reply}, $_->{qid}] } @$ev], $want{$u},
		    "log --user $u: its refusals, class and reply") or diag(explain($ev));
		is_deeply([sort { $a cmp $b } keys %{{ map { ($_->{who} // '') . '/' .
		    ($_->{status} // '') => 1 } @$ev }}], ["$u/refused"], '... each under its user, refused');
	}
	my $ev = $events->($who[1]);
	is($ev->[2]{rcpt}, 'gone@dest.example', 'the recipient in its suppression form');
	my $st = decode_json($ctl->("--json stats --user $who[1]"))->{total};
	is($st->{refused}, 3, "stats --user $who[1]: 3 refused");
}

# --- load: $n processes sending END-OF-MESSAGE for $u until $stop exists --
sub load_start {
	my ($u, $n, $tag) = @_;
	my @kids;
	for my $k (1 .. $n) {
		my $pid = fork // die;
		if (!$pid) {
			my $cc = daemon_connect($d);
			my (%a, $i);
			until (-e "$dir/$tag.stop") {
				my $r = eom($cc, $u) // 'LOST';
				$a{$r}++;
				$i++;
			}
			open my $f, '>', "$dir/$tag.$k" or die;
			print $f "$_\t$a{$_}\n" for keys %a;
			close $f;
			POSIX::_exit(0);
		}
		push @kids, $pid;
	}
	return [$tag, @kids];
}
sub load_stop {
	my $l = shift;
	my ($tag, @kids) = @$l;
	open my $f, '>', "$dir/$tag.stop"; close $f;
	waitpid $_, 0 for @kids;
	my %a;
	for my $k (1 .. @kids) {
		for (split /\n/, slurp("$dir/$tag.$k")) {
			my ($r, $n) = split /\t/;
			$a{$r} += $n;
		}
	}
	return \%a;
}

# --- a reshard of the user's slot under load -------------------------------
{
	my $from = slot_master($C, 0) or die;
	my $to = slot_master($C, 16000) or die;
	my $u = user_on($from->[0], 50, \%used);
	$used{$u} = 1;
	user_add($u, 'messages/86400' => 100000000);
	my $l = load_start($u, 4, 'reshard');
	sleep 0.5;
	my $out = `redis-cli --cluster reshard 127.0.0.1:$from->[0] --cluster-from $from->[1] --cluster-to $to->[1] --cluster-slots 100 --cluster-yes 2>&1`;
	is($?, 0, 'redis-cli --cluster reshard of 100 slots ran') or diag($out);
	sleep 0.5;
	my $a = load_stop($l);
	is(slot_master($C, key_slot("{u:$u}"))->[0], $to->[0],
	    "user $u\'s slot now on master $to->[0]");
	my $n = 0; $n += $_ for values %$a;
	cmp_ok($n, '>', 100, "requests flowed during the reshard ($n)");
	is_deeply([keys %$a], ['DUNNO'], 'every one answered DUNNO: none lost or wrongly answered')
	    or diag(explain($a));
	is(used($u, 'messages/86400'), $a->{DUNNO} // -1, 'the count is exact');
}

# --- the exactness race on the cluster -------------------------------------
{
	my $u = user_on(slot_master($C, 8000)->[0], 16384, \%used);
	$used{$u} = 1;
	user_add($u, 'messages/86400' => 1000);
	my @kids;
	for my $k (1 .. 8) {
		my $pid = fork // die;
		if (!$pid) {
			my $cc = daemon_connect($d);
			my $n = 0;
			for (1 .. 160) { $n++ if (eom($cc, $u) // '') eq 'DUNNO' }
			POSIX::_exit($n);
		}
		push @kids, $pid;
	}
	my $admitted = 0;
	for (@kids) { waitpid $_, 0; $admitted += $? >> 8 }
	is($admitted, 1000, '8 clients x 160 requests: exactly 1000 admitted');
	is(used($u, 'messages/86400'), 1000, 'counter says 1000');
}

# --- failover under load ---------------------------------------------------
# The replica of $master: the node whose CLUSTER NODES line says so.
sub replica_of {
	my $id = shift;
	for my $p (@{$C->{ports}}) {
		next unless kill 0, $C->{pids}{$p};
		my $me = eval { ccmd($p, 'CLUSTER', 'NODES') } // next;
		return $p if $me =~ /^\S+ \S+:$p\@\S* myself,slave $id /m;
	}
	return undef;
}
sub until_normal {	# a fresh request answered DUNNO (bounded, not timed)
	my $u = shift;
	for (1 .. 300) {
		my $r = eom(daemon_connect($d), $u) // '';
		return $r if $r eq 'DUNNO';
		sleep 0.1;
	}
	return 'never';
}
sub failover_case {
	my ($name, $u, $how) = @_;
	my $m = slot_master($C, key_slot("{u:$u}"));
	my $rep = replica_of($m->[1]) or die "no replica of $m->[0]";
	my $l = load_start($u, 4, $name);
	sleep 0.5;
	$how->($m, $rep);
	for (1 .. 300) {
		last if (slot_master($C, key_slot("{u:$u}")) // [0])->[0] == $rep;
		sleep 0.1;
	}
	is(slot_master($C, key_slot("{u:$u}"))->[0], $rep, "$name: replica $rep is the master");
	is(until_normal($u), 'DUNNO', "$name: normal answers after");
	sleep 0.3;
	my $a = load_stop($l);
	my %bad = map { $_ => $a->{$_} } grep { $_ ne 'DUNNO' && $_ ne $DEFER } keys %$a;
	is_deeply(\%bad, {}, "$name: every answer DUNNO or on_error (" .
	    join(', ', map { "$_=$a->{$_}" } sort keys %$a) . ')');
	ok(kill(0, $d->{pid}), "$name: policyd alive");
	return $a;
}
{
	my $u = user_on(slot_master($C, 0)->[0], 16384, \%used);
	$used{$u} = 1;
	user_add($u, 'messages/86400' => 100000000);
	my $a = failover_case('CLUSTER FAILOVER', $u, sub {
		my ($m, $rep) = @_;
		ccmd($rep, 'CLUSTER', 'FAILOVER');
	});
	# a coordinated failover loses no write: the admitted are all counted
	is(used($u, 'messages/86400'), ($a->{DUNNO} // 0) + 1, 'CLUSTER FAILOVER: counted = admitted');
}
{
	my $u = user_on(slot_master($C, 8000)->[0], 16384, \%used);
	$used{$u} = 1;
	user_add($u, 'messages/86400' => 100000000);
	my $a = failover_case('master killed', $u, sub {
		my ($m) = @_;
		kill 'KILL', $C->{pids}{$m->[0]};
		waitpid $C->{pids}{$m->[0]}, 0;
	});
	# Requests in flight when the master died were answered on_error
	# though their script may have run and replicated (at most one per
	# load process); writes acknowledged but not yet replicated are lost.
	my $n = used($u, 'messages/86400');
	my $adm = ($a->{DUNNO} // 0) + 1;
	cmp_ok($n, '<=', $adm + 4, "master killed: counted ($n) <= admitted ($adm) " .
	    '+ the 4 requests in flight at the kill');
}
is(daemon_stop($d, 10), 0, 'policyd exits cleanly');
if ($ENV{CLUSTER_LOG}) { system("cp $d->{log} $ENV{CLUSTER_LOG}") }
done_testing();
