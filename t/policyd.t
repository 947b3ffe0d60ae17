#!/usr/bin/perl
# Integration test of outpost-policyd against a real redis-server on a
# temporary unix socket (started through t/lib/PolicydTest.pm).  Users, plans
# and suppressions are seeded straight through the key schema of lib/schema.h,
# so this also checks that the documented schema is what the daemon reads.
# Reads like a transcript: request -> exact action text.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use IO::Select;
use POSIX qw(strftime);
use Time::HiRes qw(sleep time);
use Test::More;
use PolicydTest;

plan skip_all => 'redis-server not installed' unless redis_server();
plan skip_all => "$DAEMON not built" unless -x $DAEMON;

$SIG{PIPE} = 'IGNORE';
my $dir = PolicydTest::dir();
my $redis;			# the redis-server (restarted below)
my %d;				# the daemons by name

# --- lib/schema.h, re-implemented independently -----------------------------
my $P = 'outpost:';
sub fnv { my $h = 2166136261; for (unpack 'C*', $_[0]) { $h ^= $_; $h = ($h * 16777619) % 4294967296 } $h }
sub sup_field {
	my $a = shift;
	my $alpha = 'abcdefghijklmnopqrstuvwxyz0123456789.-_@+=';
	return $a if $a =~ /[^a-z0-9.\-_@+=]/;
	my $bits = join '', map { sprintf '%06b', index($alpha, $_) + 1 } split //, $a;
	$bits .= '0' x ((8 - length($bits) % 8) % 8);
	return "\x01" . pack('B*', $bits);
}
sub suppress {
	my ($addr, $user, $reason, $created, $expires) = @_;
	my $nb = defined $user ? 256 : 4096;
	my $key = defined $user ? "$P\{u:$user}:sup:" . fnv($addr) % $nb
	    : "${P}sup:" . fnv($addr) % $nb;
	my $v = $reason + 4 * int($created / 60);
	$v .= ':' . int(($expires + 59) / 60) if $expires;
	rcmd($redis, 'HSET', $key, sup_field($addr), $v);
}
sub user_add {
	my ($u, $plan, @doms) = @_;
	rcmd($redis, 'HSET', "$P\{u:$u}:acct", 'plan', $plan, 'state', 'active',
	    'created', time);
	rcmd($redis, 'SADD', "${P}users", $u);
	rcmd($redis, 'SADD', "$P\{u:$u}:dom", $_) for @doms;
}
sub plan_set { my ($p, %l) = @_; rcmd($redis, 'HSET', "${P}plan:$p", %l); rcmd($redis, 'SADD', "${P}plans", $p) }
sub used {
	my ($u, $f) = @_;
	my $h = rcmd($redis, 'HGETALL', "$P\{u:$u}:c:$f");
	my $n = 0;
	# slots only: "n" and "lo" are the scripts' summary (lib/schema.h)
	for (my $i = 0; $i < @$h; $i += 2) { $n += $h->[$i + 1] if $h->[$i] =~ /^\d+$/ }
	return $n;
}

# --- the daemon ------------------------------------------------------------
my $port = free_port();
sub free_port {
	for (1 .. 50) {
		my $p = 20000 + int(rand(40000));
		my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
		    LocalPort => $p, Listen => 1, ReuseAddr => 1) or next;
		close $s;
		return $p;
	}
	die "no free port";
}

my $main;
# The main connection may have been closed as idle between steps.
sub live {
	my $sel = IO::Select->new($main);
	$main = daemon_connect($d{main}) if $sel->can_read(0);
	return $main;
}
sub rq { request(live(), @_) }
sub eom { request(live(), protocol_state => 'END-OF-MESSAGE', recipient_count => 1, size => 1000, @_) }

# ===========================================================================
$redis = redis_start('redis');
$d{main} = daemon_start('main', $redis, policyd_idle_timeout => '2s',
    policyd_listen => "unix:$dir/main.sock, inet:127.0.0.1:$port");
$main = daemon_connect($d{main});

{
	my @st = stat("$dir/main.sock");
	my (undef, undef, $uid, $gid) = getpwnam($RUN_USER);
	is(sprintf('%04o', $st[2] & 07777), '0660', 'unix socket mode 0660');
	is("$st[4]:$st[5]", "$uid:$gid", "... owned by $RUN_USER and its group");
}
is(system($DAEMON, '-n', '-c', "$dir/main.conf") >> 8, 0, '-n: config ok');
open my $bad, '>', "$dir/bad.conf"; print $bad "no_such_key = 1\n"; close $bad;
isnt(system("$DAEMON -n -c $dir/bad.conf 2>/dev/null") >> 8, 0, '-n: bad config refused');

# An empty Redis (no schema marker, lib/schema.h) is an outage, not a
# verdict: on_error answers, "unknown sending account" would be permanent.
my $ctl = 'ctl/outpostctl';
my $UNMARKED = '451 4.3.0 sending policy data unavailable, try again later';
is(rq(sasl_username => 'mallory'), $UNMARKED, 'no marker: 451, not 554 unknown account');
is(eom(sasl_username => 'mallory'), $UNMARKED, '... at END-OF-MESSAGE too');
is(rq(sasl_username => ''), 'DUNNO', '... unauthenticated mail is not judged anyway');
{
	my $out = `$ctl -c $dir/main.conf init 2>&1`;
	is($? >> 8, 0, 'outpostctl init');
	like($out, qr/^redis unix:\S+ db 0: marked as outpost's: outpost:schema = 2 \(0 users, 0 plans, 0 domains\)/m,
	    '... says what it did');
	like($out, qr/warning: this Redis holds no users, plans or domains/, '... and warns that it is empty');
	is(rcmd($redis, 'GET', "${P}schema"), '2', '... the marker holds the schema version');
	$out = `$ctl -c $dir/main.conf --json init 2>&1`;
	like($out, qr/^\{"ok":true,"key":"outpost:schema","version":2,"created":false,"users":0,/,
	    'init again (--json): idempotent, nothing created');
	my $got;
	for (1 .. 40) { $got = rq(sasl_username => 'mallory'); last if $got ne $UNMARKED; sleep 0.1 }
	is($got, '554 5.7.1 unknown sending account', 'marked: judged again (within a second)');
}

plan_set('free', 'messages/86400', 200);
plan_set('small', 'messages/3600', 3);
user_add('alice', 'free', 'example.com');

is(rq(sasl_username => ''), 'DUNNO', 'unauthenticated: DUNNO');
is(rq(protocol_state => 'DATA'), 'DUNNO', 'DATA stage: DUNNO');
is(rq(sasl_username => 'mallory'), '554 5.7.1 unknown sending account',
    'unknown user');
is(rq(), 'DUNNO', 'known user, allowed domain');
is(rq(sender => 'alice@mail.example.com'), 'DUNNO', 'subdomain allowed');
is(rq(sender => 'alice@Example.COM'), 'DUNNO', 'domain case folded');
is(rq(sender => ''), 'DUNNO', 'null sender allowed');
is(rq(sender => 'alice@example.org'),
    '553 5.7.1 <alice@example.org>: not authorised to send as example.org',
    'foreign sender domain');
is(rq(sender => 'alice'), '553 5.7.1 <alice>: sender address has no domain',
    'sender without @: not the null sender');
is(rq(sender => 'alice@'), '553 5.7.1 <alice@>: sender address has no domain',
    'sender with an empty domain');
user_add('free-sender', 'free');
is(rq(sasl_username => 'free-sender', sender => 'alice'), 'DUNNO',
    'no domain, account without allowed domains: not restricted');
is(rq(sender => 'alice@notexample.com'),
    '553 5.7.1 <alice@notexample.com>: not authorised to send as notexample.com',
    'suffix that is not a subdomain');

# suppression
my $june = 1717243200;		# 2024-06-01T12:00:00Z
suppress('gone@dest.example', undef, 0, $june, 0);
suppress('Spam.Hater@dest.example', 'alice', 1, $june, 0);
suppress('was@dest.example', undef, 2, $june, $june + 60);	# expired
suppress('Caps@dest.example', undef, 3, $june, 0);		# unpacked field
is(rq(recipient => 'gone@dest.example'),
    '550 5.1.1 <gone@dest.example>: recipient suppressed: hard-bounce since 2024-06-01',
    'global hard bounce');
is(rq(recipient => 'gone@DEST.Example'),
    '550 5.1.1 <gone@DEST.Example>: recipient suppressed: hard-bounce since 2024-06-01',
    'recipient domain normalised before lookup');
is(rq(recipient => 'Spam.Hater@dest.example'),
    '550 5.7.1 <Spam.Hater@dest.example>: recipient suppressed for this account: complaint since 2024-06-01',
    'per-user complaint (local part case kept)');
is(rq(recipient => 'spam.hater@dest.example'), 'DUNNO',
    'local part is case-sensitive');
is(rq(recipient => 'Spam.Hater@dest.example', sasl_username => 'bob-other'),
    '554 5.7.1 unknown sending account', 'other user: not on its list (unknown first)');
is(rq(recipient => 'was@dest.example'), 'DUNNO', 'expired entry ignored');
{
	my $k = "${P}sup:" . fnv('was@dest.example') % 4096;
	my $gone;
	for (1 .. 100) { $gone = !rcmd($redis, 'HEXISTS', $k, sup_field('was@dest.example')); last if $gone; sleep 0.2 }
	ok($gone, 'expired entry swept in the background');
	is(rcmd($redis, 'HEXISTS', "${P}sup:" . fnv('gone@dest.example') % 4096, sup_field('gone@dest.example')),
	    1, 'live entry kept by the sweep');
}
is(rq(recipient => 'Caps@dest.example'),
    '550 5.7.1 <Caps@dest.example>: recipient suppressed: manual since 2024-06-01',
    'address outside the packing alphabet');

# suspension takes effect at the next request, on the same connection
rcmd($redis, 'HSET', "$P\{u:alice}:acct", 'state', 'suspended', 'reason',
    'compromised credentials', 'since', time);
is(rq(), '554 5.7.1 sending account suspended: compromised credentials',
    'suspended at the next request');
is(eom(), '554 5.7.1 sending account suspended: compromised credentials',
    'suspended at END-OF-MESSAGE too');
{
	my $why = join(' ', ('stolen password') x 25);	# 399 characters
	is(system('ctl/outpostctl', '-c', "$dir/main.conf", 'user', 'suspend', 'alice',
	    '--reason', $why), 0, 'outpostctl user suspend with a 399-character reason');
	is(rq(), "554 5.7.1 sending account suspended: $why", 'the whole reason in the reply');
	rcmd($redis, 'HSET', "$P\{u:alice}:acct", 'reason', 'x' x 600);
	my $r = rq();
	is(length($r), 510, 'a 600-character reason: the reply is cut to 510 bytes');
	like($r, qr/^554 5\.7\.1 sending account suspended: x+\.\.\.$/, '... ending in "..."');
}
rcmd($redis, 'HSET', "$P\{u:alice}:acct", 'state', 'active');
is(rq(), 'DUNNO', 'resumed');

# a non-ASCII account name (SASL user names are UTF-8) is looked up as is
is(system("$ctl -c $dir/main.conf user add j\x{c3}\x{b6}rg >/dev/null"), 0,
    'outpostctl user add j\x{f6}rg');
is(system("$ctl -c $dir/main.conf suppress add x\@dest.example --user j\x{c3}\x{b6}rg "
    . "--reason complaint >/dev/null"), 0, '... and a suppression of its own');
is(rq(sasl_username => "j\x{c3}\x{b6}rg", sender => 'j@example.org'), 'DUNNO',
    'non-ASCII user name: known');
is(rq(sasl_username => "j\x{c3}\x{b6}rg", sender => 'j@example.org', recipient => 'x@dest.example'),
    '550 5.7.1 <x@dest.example>: recipient suppressed for this account: complaint since '
    . strftime('%Y-%m-%d', gmtime(rcmd($redis, 'TIME')->[0])),
    "non-ASCII user name: its own suppression list");
is(rq(sasl_username => "j\x{c3}\x{b8}rg"), '554 5.7.1 unknown sending account',
    'a different non-ASCII name is another account');

# limits: 3 messages per hour
user_add('carol', 'small');
for my $i (1 .. 3) {
	is(eom(sasl_username => 'carol', queue_id => "QC$i"), 'DUNNO', "message $i of 3 counted");
}
my $r = eom(sasl_username => 'carol');
like($r, qr/^450 4\.7\.1 sending limit messages=3\/1h reached, try again after (\S+ \S+) UTC$/,
    '4th message: 450 naming the limit');
is(rq(sasl_username => 'carol'), $r, 'RCPT refused with the same reply');
is(used('carol', 'messages/3600'), 3, 'refused message counted nothing');

# all or nothing with two limits
user_add('dave', 'none');
rcmd($redis, 'HSET', "$P\{u:dave}:lim", 'messages/3600', 10, 'recipients/3600', 5);
is(eom(sasl_username => 'dave', recipient_count => 3), 'DUNNO', '3 recipients of 5');
like(eom(sasl_username => 'dave', recipient_count => 3),
    qr/^450 4\.7\.1 sending limit recipients=5\/1h reached/, '3 more do not fit');
is(used('dave', 'messages/3600'), 1, 'messages not counted for the refused message');
is(used('dave', 'recipients/3600'), 3, 'recipients unchanged');
is(eom(sasl_username => 'dave', recipient_count => 2), 'DUNNO', '2 still fit');
is(used('dave', 'recipients/3600'), 5, 'now full');
{
	# A 1 h window counts in 60 s slots, 60 back from the current one:
	# the key must outlive its newest slot's window (61 slots) and no more.
	my $k = "$P\{u:dave}:c:recipients/3600";
	my $ttl = rcmd($redis, 'TTL', $k);
	ok($ttl > 3600 - 60 && $ttl <= 3660, "counter TTL covers the window ($ttl s)");
	# A slot the count creates sets it again (a slot that exists keeps it).
	my ($m, $s) = ("$P\{u:dave}:c:messages/3600", int(time / 60));
	rcmd($redis, 'PERSIST', $m);
	rcmd($redis, 'HDEL', $m, $s - 1, $s, $s + 1);
	rcmd($redis, 'HSET', $m, $s - 2, 1);
	is(eom(sasl_username => 'dave', recipient_count => 0), 'DUNNO', 'a message of no recipients');
	$ttl = rcmd($redis, 'TTL', $m);
	ok($ttl > 3600 - 60 && $ttl <= 3660, "a new slot sets the TTL again ($ttl s)");
}

# the same queue ID twice (two MTAs): the first refund record is kept
user_add('hank', 'none');
rcmd($redis, 'HSET', "$P\{u:hank}:lim", 'recipients/3600', 100);
is(eom(sasl_username => 'hank', queue_id => 'QH', recipient_count => 2), 'DUNNO', 'QH on one MTA');
is(eom(sasl_username => 'hank', queue_id => 'QH', recipient_count => 3), 'DUNNO', 'QH on another MTA');
is(used('hank', 'recipients/3600'), 5, 'both counted');
{
	my $rec = rcmd($redis, 'HGETALL', "$P\{u:hank}:q:QH");
	is(join(',', @$rec[map { 2 * $_ + 1 } 0 .. $#$rec / 2]), '2',
	    'the refund record holds the first message only');
	my $ttl = rcmd($redis, 'TTL', "$P\{u:hank}:q:QH");
	ok($ttl > 3500 && $ttl <= 3600, "the refund record expires in an hour ($ttl s)");
}
sleep 0.2;
like(slurp("$dir/main.log"), qr/QH: user=hank: a refund record of this queue ID exists already/,
    'the second one is logged');

# a plan that does not exist: admitted without plan limits, logged once
# per user (hank's plan "none" is one too)
user_add('nora', 'ghost');
is(rq(sasl_username => 'nora'), 'DUNNO', 'plan ghost does not exist: DUNNO');
is(rq(sasl_username => 'nora', instance => 'n2'), 'DUNNO', '... again');
is(rq(sasl_username => 'alice'), 'DUNNO', 'alice (plan free exists)');
sleep 0.2;
{
	my $log = slurp("$dir/main.log");
	my @w = $log =~ /user=nora: plan ghost does not exist: the user sends without plan limits/g;
	is(scalar @w, 1, 'the missing plan is logged once for nora');
	unlike($log, qr/user=alice: plan/, 'nothing for alice');
}

# accounting: one line per counted message, queue ID first
like(slurp("$dir/main.log"), qr/^\S+ outpost-policyd\[\d+\]: info: QH: counted user=hank recipients=2 size=1000$/m,
    'END-OF-MESSAGE counted: the accounting line');

# policyd_dry_run: limit refusals logged, the message admitted and
# counted; suspension and suppression stay enforced
$d{dry} = daemon_start('dry', $redis, policyd_dry_run => 'yes');
{
	my $c = daemon_connect($d{dry});
	user_add('dina', 'small');
	my @r = map { request($c, sasl_username => 'dina', protocol_state =>
	    'END-OF-MESSAGE', recipient_count => 1, size => 100,
	    queue_id => "QD$_") } 1 .. 4;
	is("@r", 'DUNNO DUNNO DUNNO DUNNO', 'dry run: 4 messages on messages=3/1h admitted');
	is(used('dina', 'messages/3600'), 4, 'dry run: all 4 counted');
	is(request($c, sasl_username => 'dina'), 'DUNNO', 'dry run: RCPT over the limit admitted');
	is(rq(sasl_username => 'dina') =~ /^450 4\.7\.1 sending limit messages=3\/1h/ ? 1 : 0, 1,
	    'the same user on a daemon without dry run: 450');
	suppress('drybounce@example.org', undef, 0, time - 60);
	like(request($c, sasl_username => 'dina', recipient => 'drybounce@example.org'),
	    qr/^550 5\.1\.1 <drybounce\@example\.org>: recipient suppressed/,
	    'dry run: suppression enforced');
	rcmd($redis, 'HSET', "$P\{u:dina}:acct", 'state', 'suspended', 'reason', 'x');
	is(request($c, sasl_username => 'dina'), '554 5.7.1 sending account suspended: x',
	    'dry run: suspension enforced');
	sleep 0.2;
	my $log = slurp("$dir/dry.log");
	like($log, qr/QD4: user=dina client=\S+ stage=END-OF-MESSAGE dry run, would refuse: action="450 4\.7\.1 sending limit messages=3\/1h reached/,
	    'dry run: the refusal it would have made is logged');
	like($log, qr/user=dina client=\S+ stage=RCPT dry run, would refuse: action="450 4\.7\.1 /,
	    '... at RCPT too');
	my @n = $log =~ /QD\d: counted user=dina recipients=1 size=100$/mg;
	is(scalar @n, 4, 'dry run: 4 accounting lines');
	daemon_stop($d{dry});
}

# can never fit; long windows
user_add('erin', 'none');
rcmd($redis, 'HSET', "$P\{u:erin}:lim", 'bytes/86400', 10000, 'recipients/3600', 5,
    'messages/month', 1, 'messages/604800', 100);
is(eom(sasl_username => 'erin', size => 20000),
    '552 5.3.4 message size 20000 exceeds the limit bytes=10K/1d', 'too big ever');
is(eom(sasl_username => 'erin', recipient_count => 6),
    '550 5.5.3 too many recipients (6) for the limit recipients=5/1h', 'too many recipients ever');
is(eom(sasl_username => 'erin'), 'DUNNO', 'first message of the month');
my @g = gmtime(rcmd($redis, 'TIME')->[0]);
my ($y, $m) = ($g[5] + 1900, $g[4] + 1);
($y, $m) = $m == 12 ? ($y + 1, 1) : ($y, $m + 1);
my $want = sprintf('%04d-%02d-01 00:00:00', $y, $m);
is(eom(sasl_username => 'erin'),
    "550 5.7.1 sending limit messages=1/month reached until $want UTC",
    'month limit: 550 until the 1st of next month');

# windows: a second daemon (a fleet member) with its clock moved forward
user_add('frank', 'none');
rcmd($redis, 'HSET', "$P\{u:frank}:lim", 'messages/60', 2);
is(eom(sasl_username => 'frank'), 'DUNNO', 'frank 1/2');
is(eom(sasl_username => 'frank'), 'DUNNO', 'frank 2/2');
like(eom(sasl_username => 'frank'), qr/^450 4\.7\.1 sending limit messages=2\/1m/, 'frank 3 refused');
# The daemon reads no test hook from its environment: a clock offset
# variable that once moved the scripts' clock changes nothing now.
$d{later} = daemon_start('later', $redis,
    -env => { OUTPOST_TEST_CLOCK_OFFSET => 125 });
like(request(daemon_connect($d{later}), sasl_username => 'frank', protocol_state => 'END-OF-MESSAGE', recipient_count => 1),
    qr/^450 /, 'OUTPOST_TEST_CLOCK_OFFSET is ignored (no test hook in the daemon)');
# Time passing, as Redis's clock sees it: the counter slots (one per
# second for a 60 s window) moved back, as if they were written earlier.
sub age_slots {
	my ($key, $secs) = @_;
	my $h = rcmd($redis, 'HGETALL', $key);
	rcmd($redis, 'DEL', $key);
	for (my $i = 0; $i < @$h; $i += 2) {
		my ($f, $v) = @$h[$i, $i + 1];
		# the scripts' summary moves with the slots: "lo" is a slot
		if ($f eq 'n') { rcmd($redis, 'HSET', $key, 'n', $v) }
		elsif ($f eq 'lo') { rcmd($redis, 'HSET', $key, 'lo', $v - $secs) }
		else { rcmd($redis, 'HINCRBY', $key, $f - $secs, $v) }
	}
}
age_slots("$P\{u:frank}:c:messages/60", 30);
like(eom(sasl_username => 'frank'), qr/^450 /, '30 s later: still inside the window');
age_slots("$P\{u:frank}:c:messages/60", 95);
is(eom(sasl_username => 'frank'), 'DUNNO', '125 s later: the window has moved on');

# pipelined requests answered in order, inet listener
{
	my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") or die;
	print $c req_text(request => 'smtpd_access_policy', protocol_state => 'RCPT', sasl_username => 'nobody'),
	    req_text(request => 'smtpd_access_policy', protocol_state => 'RCPT', sasl_username => 'alice', sender => ''),
	    req_text(request => 'smtpd_access_policy', protocol_state => 'RCPT', sasl_username => '');
	is(read_reply($c), '554 5.7.1 unknown sending account', 'pipelined 1 (inet)');
	is(read_reply($c), 'DUNNO', 'pipelined 2');
	is(read_reply($c), 'DUNNO', 'pipelined 3');
}

# malformed requests: closed without a reply
for my $case (["not name=value", "request=smtpd_access_policy\ngarbage line\n\n"],
    ["line over 8 KiB", "sender=" . ('x' x 9000)],
    ["no end within 64 KiB", ("a=" . ('y' x 97) . "\n") x 700]) {
	my $c = daemon_connect($d{main});
	print $c $case->[1];
	my $sel = IO::Select->new($c);
	my $got = $sel->can_read(20) ? sysread($c, my $buf, 100) : -1;
	ok(!defined $got || $got == 0, "$case->[0]: closed without a reply");
}
is(rq(), 'DUNNO', 'daemon still serving');

# counts that are not 0-15 decimal digits: malformed, nothing counted
user_add('gina', 'none');
rcmd($redis, 'HSET', "$P\{u:gina}:lim", 'messages/3600', 10, 'recipients/3600', 50);
for my $bad ([recipient_count => '1.5'], [size => '-1000'], [size => '1e3'],
    [recipient_count => '1234567890123456']) {
	my $c = daemon_connect($d{main});
	my %r = (request => 'smtpd_access_policy', protocol_state => 'END-OF-MESSAGE',
	    sasl_username => 'gina', sender => '', recipient_count => 1, size => 10,
	    queue_id => 'QG', @$bad);
	print $c req_text(%r);
	my $sel = IO::Select->new($c);
	my $got = $sel->can_read(20) ? sysread($c, my $buf, 100) : -1;
	ok(!defined $got || $got == 0, "$bad->[0]=$bad->[1]: closed without a reply");
}
like(slurp("$dir/main.log"), qr/malformed policy request \(recipient_count is not a count of at most 15 decimal digits: "1\.5"\)/,
    'logged with the attribute');
is(used('gina', 'messages/3600') + used('gina', 'recipients/3600'), 0,
    'nothing counted by the malformed requests');
is(rcmd($redis, 'EXISTS', "$P\{u:gina}:q:QG"), 0, 'no refund record written');
is(eom(sasl_username => 'gina', recipient_count => '', size => ''), 'DUNNO',
    'empty counts: 0');
is(used('gina', 'messages/3600') . '/' . used('gina', 'recipients/3600'), '1/0',
    '... one message, no recipient counted');

# idle connections are closed after policyd_idle_timeout (2 s)
{
	my $c = daemon_connect($d{main});
	my $t0 = time;
	my $sel = IO::Select->new($c);
	my $got = $sel->can_read(30) ? sysread($c, my $buf, 100) : -1;
	is($got, 0, 'idle connection closed');
	cmp_ok(time - $t0, '>=', 1.5, 'not before the idle timeout');
}

# the warning when END-OF-MESSAGE never comes
for (1 .. 3) { rq(sasl_username => 'alice', instance => "w$_") }
rq(sasl_username => '');
$main->close; $main = daemon_connect($d{main});
rq(sasl_username => 'alice', instance => 'w-last');
sleep 0.2;
like(slurp("$dir/main.log"), qr/user=alice: \d+ transactions seen at RCPT but none at END-OF-MESSAGE/,
    'warned about a missing smtpd_end_of_data_restrictions');

# exactness under concurrency: 8 processes, limit 1000
user_add('hammer', 'none');
rcmd($redis, 'HSET', "$P\{u:hammer}:lim", 'messages/86400', 1000);
my @kids;
for my $k (1 .. 8) {
	my $pid = fork // die;
	if (!$pid) {
		my $c = daemon_connect($d{main});
		my $n = 0;
		for (1 .. 160) {
			my $a = request($c, sasl_username => 'hammer', protocol_state => 'END-OF-MESSAGE', recipient_count => 1);
			$n++ if defined $a && $a eq 'DUNNO';
		}
		POSIX::_exit($n);
	}
	push @kids, $pid;
}
my $admitted = 0;
for (@kids) { waitpid $_, 0; $admitted += $? >> 8 }
is($admitted, 1000, '8 clients x 160 requests: exactly 1000 admitted');
is(used('hammer', 'messages/86400'), 1000, 'counter says 1000');

# Redis down -> on_error; back -> normal answers without a restart
$d{open} = daemon_start('open', $redis, on_error => 'accept');
my $open = daemon_connect($d{open});
redis_stop($redis);
is(rq(), '451 4.3.0 policy service temporarily unavailable, try again later',
    'Redis down, on_error=defer');
is(request($open, sasl_username => 'mallory'), 'DUNNO', 'Redis down, on_error=accept');
# ... back EMPTY (restarted without persistence): still on_error, not 554
$redis = redis_start('redis');
plan_set('free', 'messages/86400', 200);
user_add('alice', 'free', 'example.com');	# written directly: no marker
my $back;
for (1 .. 100) { $back = rq(sasl_username => 'mallory'); last if $back ne '451 4.3.0 policy service temporarily unavailable, try again later'; sleep 0.2 }
is($back, $UNMARKED, 'Redis back empty, on_error=defer: 451 with its reason, not 554');
is(rq(), $UNMARKED, '... for every user');
# the other daemon reconnects on its own backoff
my $other;
for (1 .. 100) {
	$other = request($open, sasl_username => 'mallory');
	last if slurp($d{open}{log}) =~ /schema marker outpost:schema is missing/;
	sleep 0.2;
}
like(slurp($d{open}{log}), qr/schema marker outpost:schema is missing: .* answered by on_error=accept until/,
    'the on_error=accept daemon sees the empty Redis, says so');
is($other, 'DUNNO', 'Redis back empty, on_error=accept: not judged');
is(system("$ctl -c $dir/main.conf user add nobody-new >/dev/null"), 0,
    'any outpostctl change marks the Redis');
is(rcmd($redis, 'GET', "${P}schema"), '2', '... the marker is there');
for (1 .. 100) { $back = rq(); last if $back eq 'DUNNO'; sleep 0.2 }
is($back, 'DUNNO', 'marked: normal answers without restarting the daemon');
for (1 .. 100) { $other = request($open, sasl_username => 'mallory'); last if $other ne 'DUNNO'; sleep 0.2 }
is($other, '554 5.7.1 unknown sending account', 'the other daemon too');
{
	my $log = slurp("$dir/main.log");
	my $n = () = $log =~ /the schema marker outpost:schema is missing: this Redis holds no outpost data/g;
	is($n, 2, 'the missing marker logged once per occurrence (start, restart), not per request');
	like($log, qr/the schema marker outpost:schema is back: judging again \(\d+ requests answered by on_error/,
	    'its return is logged too');
}

# FLUSHALL under a connected daemon (no reconnect): noticed within about
# a second (the marker is asked at most once a second), 451 not 554.
is(rq(sasl_username => 'mallory'), '554 5.7.1 unknown sending account', 'before FLUSHALL: judged');
rcmd($redis, 'FLUSHALL');
{
	my ($got, $t0) = (undef, time);
	for (1 .. 50) { $got = rq(sasl_username => 'mallory'); last if $got ne '554 5.7.1 unknown sending account'; sleep 0.1 }
	is($got, $UNMARKED, 'after FLUSHALL: 451 4.3.0, not 554');
	cmp_ok(time - $t0, '<', 2.5, '... within the marker cache time');
	is(eom(sasl_username => 'alice'), $UNMARKED, '... END-OF-MESSAGE deferred, nothing counted');
	is(rcmd($redis, 'DBSIZE'), 0, '... and nothing written into the empty Redis');
}
plan_set('free', 'messages/86400', 200);
user_add('alice', 'free', 'example.com');
is(system("$ctl -c $dir/main.conf init >/dev/null 2>&1"), 0, 'outpostctl init after restoring');
{
	my $got;
	for (1 .. 40) { $got = rq(); last if $got ne $UNMARKED; sleep 0.1 }
	is($got, 'DUNNO', 'judged again');
}

# SIGTERM drains the request in flight
{
	my $c = daemon_connect($d{main});
	rcmd($redis, 'CLIENT', 'PAUSE', 700);
	my %r = (request => 'smtpd_access_policy', protocol_state => 'RCPT', sasl_username => 'alice',
	    sender => '', recipient => 'x@y.example', instance => 'drain');
	print $c req_text(%r);
	sleep 0.2;
	kill 'TERM', $d{main}{pid};
	is(read_reply($c), 'DUNNO', 'in-flight request answered after SIGTERM');
	is(daemon_wait($d{main}), 0, 'daemon exited cleanly');
}
daemon_stop($d{$_}) for qw(later open);
redis_stop($redis);
done_testing();
