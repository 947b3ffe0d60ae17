#!/usr/bin/perl
# End-to-end test of schema 2 (lib/schema.h, lib/pscript.h) against a real
# redis-server and running outpost-policyd processes, set up with outpostctl
# where an administrator would use it:
#   (a) plan set changes the limits of the plan's users at the next request
#       (lowered and raised);
#   (b) users without a plan follow default_plan; a second MTA whose
#       default_plan differs from the copy judges by its own default plan
#       (the fallback) and logs that once;
#   (c) the global suppression list (the daemon's own HGET): refused with the
#       right reply, an expired entry not, a user's list too, and a Redis
#       error on the global lookup answered by on_error;
#   (e) a version-1 Redis: on_error (logged once) until outpostctl migrate,
#       then judged with the plan's limits.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Select;
use POSIX qw(strftime);
use Time::HiRes qw(sleep);
use Test::More;
use PolicydTest;

plan skip_all => 'redis-server not installed' unless redis_server();
plan skip_all => "$DAEMON not built" unless -x $DAEMON;

$SIG{PIPE} = 'IGNORE';
my $dir = PolicydTest::dir();
my $ctl = 'ctl/outpostctl';
my $P = 'outpost:';
my $redis = redis_start('redis');
my %d;				# daemons by name
my %conn;			# their connections

# lib/schema.h's suppression encoding, re-implemented independently.
sub fnv { my $h = 2166136261; for (unpack 'C*', $_[0]) { $h ^= $_; $h = ($h * 16777619) % 4294967296 } $h }
sub sup_field {
	my $a = shift;
	my $alpha = 'abcdefghijklmnopqrstuvwxyz0123456789.-_@+=';
	return $a if $a =~ /[^a-z0-9.\-_@+=]/;
	my $bits = join '', map { sprintf '%06b', index($alpha, $_) + 1 } split //, $a;
	$bits .= '0' x ((8 - length($bits) % 8) % 8);
	return "\x01" . pack('B*', $bits);
}
sub gsup_key { "${P}sup:" . fnv($_[0]) % 4096 }

# outpostctl with daemon NAME's config; its output (exit status in $?).
sub ctl {
	my ($name, @args) = @_;
	my $cmd = join ' ', $ctl, '-c', "$dir/$name.conf", map { "'$_'" } @args;
	return scalar `$cmd 2>&1`;
}
sub ctl_ok {
	my ($name, @args) = @_;
	my $out = ctl($name, @args);
	is($? >> 8, 0, "outpostctl @args") or diag $out;
	return $out;
}

# A request to daemon NAME on its (re-opened when idle-closed) connection.
sub conn {
	my $n = shift;
	my $c = $conn{$n};
	$c = $conn{$n} = daemon_connect($d{$n})
	    if !$c || IO::Select->new($c)->can_read(0);
	return $c;
}
sub rq { my $n = shift; request(conn($n), @_) }
sub eom { my $n = shift; request(conn($n), protocol_state => 'END-OF-MESSAGE',
    recipient_count => 1, size => 100, @_) }
sub nlines { my ($n, $re) = @_; scalar(() = slurp($d{$n}{log}) =~ /$re/g) }
sub limit_re { qr/^450 4\.7\.1 sending limit \Q$_[0]\E reached, try again after \S+ \S+ UTC$/ }

my $today = sub { strftime('%Y-%m-%d', gmtime(rcmd($redis, 'TIME')->[0])) };
my $ONERR = '451 4.3.0 policy service temporarily unavailable, try again later';

# Two MTAs on one Redis that disagree on default_plan; outpostctl uses a's.
$d{a} = daemon_start('a', $redis, default_plan => 'basic');
$d{b} = daemon_start('b', $redis, default_plan => 'other');
ctl_ok('a', 'init');
ctl_ok('a', 'plan', 'set', 'pp', 'messages=5/1h');
ctl_ok('a', 'plan', 'set', 'basic', 'messages=2/1h');
ctl_ok('a', 'plan', 'set', 'other', 'messages=4/1h');

# --- (a) plan set: the next request obeys the new limit --------------------
ctl_ok('a', 'user', 'add', 'pu', '--plan', 'pp');
is(rcmd($redis, 'HGET', "$P\{u:pu}:plim", '=plan'), 'pp', '(a) user add copies the plan (=plan)');
is(rcmd($redis, 'HGET', "$P\{u:pu}:plim", 'messages/3600'), '5', '... and its limit');
is(eom('a', sasl_username => 'pu'), 'DUNNO', "(a) message $_ of pu on plan pp (5/1h)") for 1 .. 2;
like(ctl_ok('a', 'plan', 'set', 'pp', 'messages=2/1h'), qr/1 users? updated/,
    '... plan set says one user was updated');
is(rcmd($redis, 'HGET', "$P\{u:pu}:plim", 'messages/3600'), '2', '... the copy holds the new limit');
like(eom('a', sasl_username => 'pu'), limit_re('messages=2/1h'),
    '(a) lowered to 2/1h: the 3rd message is refused at once, naming the new limit');
like(rq('a', sasl_username => 'pu'), limit_re('messages=2/1h'), '... and RCPT too');
like(rq('b', sasl_username => 'pu'), limit_re('messages=2/1h'), '... on the other MTA as well');
ctl_ok('a', 'plan', 'set', 'pp', 'messages=4/1h');
is(rq('a', sasl_username => 'pu'), 'DUNNO', '(a) raised to 4/1h: RCPT admitted again at once');
is(eom('a', sasl_username => 'pu'), 'DUNNO', "... message $_ admitted") for 3 .. 4;
like(eom('b', sasl_username => 'pu'), limit_re('messages=4/1h'), '... the 5th refused by the new limit');
is(nlines('a', qr/are not copied into the user/), 0,
    '(a) the copies were used: no fallback logged on a');

# --- (b) default_plan -------------------------------------------------------
ctl_ok('a', 'user', 'add', 'du');
ctl_ok('a', 'user', 'add', 'du2');
is(rcmd($redis, 'HGET', "$P\{u:du}:plim", '=plan'), 'basic',
    "(b) a user without a plan gets a copy of outpostctl's default_plan");
is(eom('a', sasl_username => 'du'), 'DUNNO', "(b) du on MTA a (default basic 2/1h): message $_")
    for 1 .. 2;
like(eom('a', sasl_username => 'du'), limit_re('messages=2/1h'), '... the 3rd refused by basic');
ctl_ok('a', 'plan', 'set', 'basic', 'messages=3/1h');
is(rcmd($redis, 'HGET', "$P\{u:du}:plim", 'messages/3600'), '3',
    '(b) plan set of the default plan rewrites the copies of its followers');
is(eom('a', sasl_username => 'du'), 'DUNNO', '... and du sends its 3rd message');
like(eom('a', sasl_username => 'du'), limit_re('messages=3/1h'), '... not a 4th');
is(nlines('a', qr/are not copied into the user/), 0, '(b) MTA a: no fallback (its default plan is the copy)');

# MTA b: default_plan other (4/1h), the copies name basic (3/1h).
my @got;
push @got, eom('b', sasl_username => 'du2') for 1 .. 4;
is_deeply(\@got, [('DUNNO') x 4], "(b) MTA b judges du2 by its own default plan: 4 messages (basic's copy says 3)");
like(eom('b', sasl_username => 'du2'), limit_re('messages=4/1h'), '... the 5th refused naming other');
like(rq('b', sasl_username => 'du2'), limit_re('messages=4/1h'), '... at RCPT too');
like(rq('a', sasl_username => 'du2'), limit_re('messages=3/1h'),
    '... while MTA a, counting the same counters, applies basic');
is(rq('b', sasl_username => 'pu'), rq('a', sasl_username => 'pu'),
    '(b) a user with a plan of its own: both MTAs agree');
rq('b', sasl_username => 'du') for 1 .. 5;
sleep 0.3;
is(nlines('b', qr/the limits of plan other are not copied into the user/), 1,
    '(b) MTA b logged the fallback to plan other exactly once (13 requests, 2 users)');
is(nlines('b', qr/are not copied into the user/), 1, '... and no other fallback');
is(nlines('a', qr/are not copied into the user/), 0, '... MTA a none');
is(rcmd($redis, 'HGET', "$P\{u:du2}:plim", '=plan'), 'basic', '(b) the fallback wrote no copy');

# An unknown user under policyd_unknown_user = default has no copy at all.
$d{c} = daemon_start('c', $redis, default_plan => 'other', policyd_unknown_user => 'default');
@got = ();
push @got, eom('c', sasl_username => 'ghost') for 1 .. 4;
is_deeply(\@got, [('DUNNO') x 4], '(b) unknown user, policyd_unknown_user = default: 4 messages of plan other');
like(eom('c', sasl_username => 'ghost'), limit_re('messages=4/1h'), '... the 5th refused');
is(rq('a', sasl_username => 'ghost'), '554 5.7.1 unknown sending account', '... (MTA a rejects unknown users)');
sleep 0.3;
is(nlines('c', qr/the limits of plan other are not copied into the user/), 1, '... the fallback logged once');

# --- (c) suppressions -------------------------------------------------------
# su and su2 are far from their limit: a refusal is the suppression's.
ctl_ok('a', 'plan', 'set', 'big', 'messages=100/1h');
ctl_ok('a', 'user', 'add', $_, '--plan', 'big') for 'su', 'su2';
ctl_ok('a', 'suppress', 'add', 'gone@dest.example', '--reason', 'hard-bounce');
is(rcmd($redis, 'HEXISTS', gsup_key('gone@dest.example'), sup_field('gone@dest.example')), 1,
    '(c) suppress add without --user writes the global list');
my $day = $today->();
is(rq('a', sasl_username => 'pu', recipient => 'gone@dest.example'),
    "550 5.1.1 <gone\@dest.example>: recipient suppressed: hard-bounce since $day",
    '(c) globally suppressed recipient refused at RCPT');
is(rq('b', sasl_username => 'du2', recipient => 'gone@dest.example'),
    "550 5.1.1 <gone\@dest.example>: recipient suppressed: hard-bounce since $day",
    '... before the limit (over its limit, du2 still gets the suppression)');
is(rq('a', sasl_username => 'pu2', recipient => 'gone@dest.example'),
    '554 5.7.1 unknown sending account', '... an unknown user is still unknown first');
ctl_ok('a', 'suppress', 'add', 'brief@dest.example', '--ttl', '1h', '--reason', 'unsubscribe');
is(rq('a', sasl_username => 'su', recipient => 'brief@dest.example'),
    "550 5.7.1 <brief\@dest.example>: recipient suppressed: unsubscribe since $day",
    '(c) an entry with an expiry to come: refused');
{
	# The documented encoding "R+4*C:E" (minutes); C and E in the past.
	my $now = rcmd($redis, 'TIME')->[0];
	my $c = int(($now - 7200) / 60);
	my ($k, $f) = (gsup_key('brief@dest.example'), sup_field('brief@dest.example'));
	rcmd($redis, 'HSET', $k, $f, 2 + 4 * $c . ':' . ($c + 60));
	is(rq('a', sasl_username => 'su', recipient => 'brief@dest.example'), 'DUNNO',
	    '(c) an expired global entry: not refused');
	is(rcmd($redis, 'HEXISTS', $k, $f), 1, '... it was there for the lookup (not swept first)');
	rcmd($redis, 'HSET', $k, $f, 2 + 4 * $c . ':' . int($now / 60 + 5));
	is(rq('a', sasl_username => 'su', recipient => 'brief@dest.example'),
	    '550 5.7.1 <brief@dest.example>: recipient suppressed: unsubscribe since '
	    . strftime('%Y-%m-%d', gmtime($c * 60)),
	    '... the same entry expiring in 5 minutes: refused, created date from the entry');
}
ctl_ok('a', 'suppress', 'add', 'hater@dest.example', '--user', 'su', '--reason', 'complaint');
is(rq('a', sasl_username => 'su', recipient => 'hater@dest.example'),
    "550 5.7.1 <hater\@dest.example>: recipient suppressed for this account: complaint since $day",
    '(c) a user suppression refused for its user');
is(rq('a', sasl_username => 'su2', recipient => 'hater@dest.example'), 'DUNNO',
    '... not for another user');

# A Redis error on the global lookup alone: the default user may no longer
# read the global suppression buckets (NOPERM on the HGET), all else as before.
rcmd($redis, 'ACL', 'SETUSER', 'default', 'resetkeys', "~$P\{u:*", "~${P}schema",
    "~${P}plan*");
is(rq('a', sasl_username => 'su', recipient => 'ok@dest.example'), $ONERR,
    '(c) the global lookup fails (ACL NOPERM): on_error, not DUNNO');
is(rq('a', sasl_username => 'su', recipient => 'gone@dest.example'), $ONERR,
    '... nor the suppression verdict');
like(slurp($d{a}{log}), qr/error: redis error: NOPERM/, '... and the Redis error is logged');
is(eom('a', sasl_username => 'su'), 'DUNNO',
    '... while END-OF-MESSAGE (no global lookup) is still judged');
rcmd($redis, 'ACL', 'SETUSER', 'default', 'allkeys');
is(rq('a', sasl_username => 'su', recipient => 'ok@dest.example'), 'DUNNO',
    '(c) ACL restored: judged again');
is(rq('a', sasl_username => 'su', recipient => 'gone@dest.example'),
    "550 5.1.1 <gone\@dest.example>: recipient suppressed: hard-bounce since $day",
    '... and the global list read again');

# --- (e) a version-1 Redis, then outpostctl migrate -------------------------
my $old = redis_start('old');
{
	# What outpostctl of version 1 wrote: plans only in Pplan:, no copies.
	my $t = rcmd($old, 'TIME')->[0];
	rcmd($old, 'SET', "${P}schema", '1');
	rcmd($old, 'HSET', "${P}plan:mp", 'messages/3600', '2');
	rcmd($old, 'HSET', "${P}plan:basic", 'messages/3600', '1');
	rcmd($old, 'SADD', "${P}plans", 'mp', 'basic');
	rcmd($old, 'HSET', "$P\{u:mu}:acct", 'plan', 'mp', 'state', 'active', 'created', $t);
	rcmd($old, 'HSET', "$P\{u:md}:acct", 'state', 'active', 'created', $t);
	rcmd($old, 'SADD', "${P}users", 'mu', 'md');
}
$d{m} = daemon_start('m', $old, default_plan => 'basic');
my $OLD = '451 4.3.0 sending policy data unavailable, try again later';
@got = ();
push @got, rq('m', sasl_username => 'mu') for 1 .. 3;
push @got, eom('m', sasl_username => 'md');
is_deeply(\@got, [($OLD) x 4], '(e) version-1 Redis: on_error answers, at RCPT and END-OF-MESSAGE');
is(rq('m', sasl_username => 'nobody'), $OLD, '... an unknown user too (not 554)');
sleep 0.3;
is(nlines('m', qr/= 1: data of an older outpost/), 1, '... and "older" logged once (5 requests)');
is(rcmd($old, 'EXISTS', "$P\{u:mu}:c:messages/3600"), 0, '... nothing counted');
{
	my $out = ctl_ok('m', 'migrate');
	is(rcmd($old, 'GET', "${P}schema"), '2', '(e) migrate: marker 2');
	is_deeply(rcmd($old, 'HGETALL', "$P\{u:mu}:plim"), ['=plan', 'mp', 'messages/3600', '2'],
	    '... the plan of mu copied') or diag $out;
	is_deeply(rcmd($old, 'HGETALL', "$P\{u:md}:plim"), ['=plan', 'basic', 'messages/3600', '1'],
	    '... and default_plan for md');
}
my $r;
for (1 .. 40) { $r = eom('m', sasl_username => 'mu'); last if $r ne $OLD; sleep 0.1 }
is($r, 'DUNNO', '(e) migrated: judged again within a second (message 1 of mu)');
is(eom('m', sasl_username => 'mu'), 'DUNNO', '... message 2');
like(eom('m', sasl_username => 'mu'), limit_re('messages=2/1h'), "... the 3rd refused by mp's limits");
is(eom('m', sasl_username => 'md'), 'DUNNO', '... md: 1 message');
like(rq('m', sasl_username => 'md'), limit_re('messages=1/1h'), "... then refused by basic's");
sleep 0.3;
like(slurp($d{m}{log}), qr/: outpost:schema = 2: migrated, judging again \((\d+) requests answered by on_error while it was older\)/,
    '(e) the daemon logs that it judges again (not "the marker is back ... missing")');
is(nlines('m', qr/are not copied into the user/), 0, '... from the copies (no fallback)');
is(nlines('m', qr/data of an older outpost/), 1, '... "older" still logged once');

is(nlines('b', qr/are not copied into the user/), 1,
    '(b) at the end, MTA b has still logged the fallback once');
is(daemon_stop($d{$_}), 0, "daemon $_ exits 0 on SIGTERM") for sort keys %d;
done_testing();
