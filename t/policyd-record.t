#!/usr/bin/perl
# outpost-policyd records its own refusals in the delivery log (lib/dlog):
# each REJECT/DEFER it answers at RCPT or END-OF-MESSAGE becomes one event
# with status "refused", the reason as class and the exact reply text, and
# "outpostctl log --user U --status refused" finds it.  Admitted requests
# are not recorded, refusals only logged by policyd_dry_run are not, and a
# refusal is no attempt (st:H refused, no rt:H).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use Sys::Hostname;
use Time::HiRes qw(sleep time);
use Test::More;
use PolicydTest;

my $CTL = 'ctl/outpostctl';
plan skip_all => 'redis-server not installed' unless redis_server();
plan skip_all => "$DAEMON or $CTL not built" unless -x $DAEMON && -x $CTL;
$SIG{PIPE} = 'IGNORE';

my $dir = PolicydTest::dir();
my $r = redis_start('redis');
my $conf = "$dir/ctl.conf";
open my $fh, '>', $conf or die;
print $fh "redis_address = unix:$r->{sock}\n";
close $fh;

sub ctl {
	my $out = qx{$CTL -c $conf @_ 2>&1};
	return ($? >> 8, $out);
}
sub ctl_ok { my ($rc, $out) = ctl(@_); die "outpostctl @_: $out" if $rc; $out }

ctl_ok('init');
ctl_ok('plan set small recipients=2/1h');
ctl_ok('plan set default messages=1000/1h');
ctl_ok('user add alice --domain example.com');
ctl_ok('user add susp --domain example.com');
ctl_ok("user suspend susp --reason 'too many bounces'");
ctl_ok('user add lim1 --plan small');
ctl_ok('user add lim2 --plan small');
ctl_ok('suppress add Zed@Example.NET --user alice --reason hard-bounce');

my $d = daemon_start('rec', $r);
my $c;
for (1 .. 100) { $c = eval { daemon_connect($d) } and last; sleep 0.05 }
$c or die "connect rec: $@";
my %base = (client_address => '192.0.2.44');

my %want;	# user -> [ [class, reply, rcpt, qid] ... ] newest first
my $a1 = request($c, %base, recipient => 'Zed@example.net');
like($a1, qr/^550 5\.1\.1 <Zed\@example\.net>: recipient suppressed for this account: hard-bounce/, 'RCPT to a suppressed address refused');
my $a2 = request($c, %base, sender => 'alice@other.org', recipient => 'ok@example.net');
like($a2, qr/^553 5\.7\.1 <alice\@other\.org>: not authorised to send as other\.org/, 'sender domain refused');
is(request($c, %base, recipient => 'fine@example.net'), 'DUNNO', 'an admitted recipient');
my $a3 = request($c, %base, sasl_username => 'susp', sender => 'x@example.com');
like($a3, qr/^554 5\.7\.1 sending account suspended: too many bounces/, 'suspended user refused');
my $a4 = request($c, %base, sasl_username => 'nosuch');
is($a4, '554 5.7.1 unknown sending account', 'unknown user refused');
my $a5 = request($c, %base, sasl_username => 'lim1', protocol_state => 'END-OF-MESSAGE',
    recipient => '', recipient_count => 5, size => 100, queue_id => 'QL1', sender => 'l@example.com');
like($a5, qr/^550 5\.5\.3 too many recipients \(5\)/, 'END-OF-MESSAGE over the limit refused');

# The writes are fire-and-forget: wait for them.
sub events {
	my ($user) = @_;
	my ($rc, $out) = ctl("--json log --user '$user' --status refused");
	return $rc ? [] : decode_json($out);
}
my $deadline = time + 5;
sleep 0.05 while time < $deadline && (@{events('alice')} < 2 || !@{events('lim1')});

my $ev = events('alice');
is(scalar @$ev, 2, 'two refusals of alice in the log (not the admitted one)');
my ($e2, $e1) = @$ev;	# newest first
is($e1->{reply}, $a1, 'suppressed: the reply text policyd gave');
is($e1->{class}, 'suppressed', 'suppressed: class');
is($e1->{status} . '/' . $e1->{category}, 'refused/refused', 'status and category refused');
is($e1->{rcpt}, 'zed@example.net', 'rcpt in its suppression form');
is($e1->{from}, 'alice@example.com', 'from');
is($e1->{client}, '192.0.2.44', 'client address');
is($e1->{who}, 'alice', 'who');
is($e1->{host}, hostname(), "host: the MTA's (policyd's) name");
is($e1->{qid}, undef, 'no queue ID yet at RCPT');
is($e1->{dsn} . ' ' . $e1->{code}, '5.1.1 550', 'dsn and code from the reply');
is($e2->{class}, 'domain', 'sender domain: class');
is($e2->{reply}, $a2, 'sender domain: the reply text');
my ($rc, $text) = ctl("log --rcpt zed\@EXAMPLE.net --status refused");
like($text, qr/reply  \Q$a1\E/, 'log --rcpt finds it, reply in the text output');

$ev = events('susp');
is(scalar(@$ev) . ' ' . ($ev->[0]{class} // '') . ' ' . ($ev->[0]{reply} // ''), "1 suspended $a3", 'suspended: recorded with its reply');
$ev = events('nosuch');
is(scalar(@$ev) . ' ' . ($ev->[0]{class} // ''), '1 unknown', 'unknown user: recorded');
$ev = events('lim1');
is(scalar(@$ev) . ' ' . ($ev->[0]{class} // '') . ' ' . ($ev->[0]{qid} // ''), '1 limit QL1', 'END-OF-MESSAGE limit: recorded with its queue ID');

# A refusal is counted as refused, never as an attempt.
my $st = decode_json((ctl('--json stats --user alice'))[1])->{total};
is("$st->{refused} $st->{sent}", '2 0', 'stats: refused 2, sent 0');
is(rcmd($r, 'EXISTS', "outpost:{log}:rt:alice"), 0, 'no rt:WHO: refusals are no attempts');

# policyd_dry_run: the limit refusal only logged is not recorded.
my $dry = daemon_start('dry', $r, policyd_dry_run => 'yes');
my $dc;	# the socket may exist a moment before it listens
for (1 .. 100) { $dc = eval { daemon_connect($dry) } and last; sleep 0.05 }
$dc or die "connect dry: $@";
is(request($dc, %base, sasl_username => 'lim2', protocol_state => 'END-OF-MESSAGE',
    recipient => '', recipient_count => 5, size => 100, queue_id => 'QL2', sender => 'l@example.com'),
    'DUNNO', 'dry run: the limit refusal becomes DUNNO');
my $a6 = request($dc, %base, recipient => 'zed@example.net', queue_id => 'QD');
like($a6, qr/^550 5\.1\.1/, 'dry run: a suppression still refuses');
$deadline = time + 5;
sleep 0.05 while time < $deadline && @{events('alice')} < 3;
is(scalar @{events('alice')}, 3, 'dry run: the suppression refusal recorded');
is(scalar @{events('lim2')}, 0, 'dry run: the limit refusal only logged is not recorded');
done_testing();
