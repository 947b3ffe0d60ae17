#!/usr/bin/perl
# t/ctl-policy.t -- outpostctl user, plan and suppress against a real
# redis-server on a unix socket in a temporary directory: every verb, exit
# codes, messages, --json (checked by Python's json module and by value),
# the Redis state each change leaves, atomicity of refused changes, CSV
# import with bad lines, export -> import round trip, a 100k-line import,
# user del among 20k other keys, the last allowed domain kept unless --any,
# and "outcome unknown" for changes Redis does not answer (CLIENT PAUSE).
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Socket::UNIX;
use POSIX ();
use JSON::PP;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use PolicydTest qw(redis_server redis_start);

my $root = abs_path(dirname($0) . '/..');
my $ctl = "$root/ctl/outpostctl";
plan skip_all => 'redis-server not installed' unless redis_server();
plan skip_all => "$ctl not built" unless -x $ctl;

my $T = tempdir('ctl-policy-XXXXXX', TMPDIR => 1, CLEANUP => 1);
# The Perl tests' one way to start Redis (t/lib/PolicydTest.pm): a private
# server on a unix socket, killed when the test ends.
my $sock = redis_start('redis')->{sock};

my $conf = "$T/outpost.conf";
write_file($conf, "redis_address = unix:$sock\n");

sub write_file {
	my ($path, $text) = @_;
	open my $fh, '>', $path or die "$path: $!";
	print $fh $text;
	close $fh;
}

sub read_file {
	my ($path) = @_;
	open my $fh, '<', $path or die "$path: $!";
	local $/;
	my $s = <$fh>;
	close $fh;
	return $s;
}

# run(\@args [, stdin text]) -> (exit status, stdout, stderr)
sub run {
	my ($args, $in) = @_;
	write_file("$T/in", defined $in ? $in : '');
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		open STDIN, '<', "$T/in" or die;
		open STDOUT, '>', "$T/out" or die;
		open STDERR, '>', "$T/err" or die;
		exec $ctl, '-c', $conf, @$args or die "exec: $!";
	}
	waitpid($pid, 0);
	return ($? >> 8, read_file("$T/out"), read_file("$T/err"));
}

sub rcli {
	my $cmd = join ' ', map { "'$_'" } @_;
	my $out = `redis-cli -s $sock --raw $cmd`;
	chomp $out;
	return $out;
}

# Python's json module must accept the text; returns the decoded value.
sub json_ok {
	my ($text, $name) = @_;
	write_file("$T/json", $text);
	my $rc = system("/usr/bin/python3 -c 'import json,sys; " .
	    "json.load(sys.stdin)' < $T/json 2>/dev/null");
	ok($rc == 0, "$name: --json output parses");
	return eval { decode_json($text) };
}

sub check {
	my ($args, $want_rc, $name, %want) = @_;
	my ($rc, $out, $err) = run($args, $want{stdin});
	is($rc, $want_rc, "$name: exit $want_rc") or diag("stderr: $err");
	is($out, $want{out}, "$name: stdout") if exists $want{out};
	is($err, $want{err}, "$name: stderr") if exists $want{err};
	like($out, $want{like}, "$name: stdout") if exists $want{like};
	like($err, $want{elike}, "$name: stderr") if exists $want{elike};
	return ($out, $err);
}

my ($out, $err, $j);

# ---- the schema marker: written by changes, not by reads or refusals
check([qw(plan list)], 0, 'plan list on an empty Redis', out => '');
check([qw(user show nobody)], 1, 'user show: refused');
check([qw(plan set bad messages=1/1x)], 2, 'plan set: usage error');
is(rcli('EXISTS', 'outpost:schema'), '0', 'reads and refused commands write no marker');
check([qw(plan set pro messages=100/1m messages=50000/24h
    recipients=200K/1d bytes=10G/1d)], 0, 'plan set pro',
    out => "plan pro: 4 limits, 0 users updated\n");
is(rcli('GET', 'outpost:schema'), '2', 'a change writes the marker (schema version 2)');
rcli('SET', 'outpost:schema', '7');
check([qw(suppress add x@example.org)], 0, 'suppress add');
is(rcli('GET', 'outpost:schema'), '7', '... never overwriting one that is there');
check([qw(init)], 0, 'init on a newer marker',
    out => "redis unix:$sock db 0: already marked: outpost:schema = 7 (0 users, "
    . "1 plan, 0 domains); nothing changed\n",
    err => "outpostctl: warning: outpost:schema = 7: written by a newer outpost "
    . "(this one knows version 2)\n");
rcli('DEL', 'outpost:schema');
check([qw(suppress del x@example.org)], 0, 'suppress del');
is(rcli('GET', 'outpost:schema'), '2', 'suppress del marks too');
rcli('DEL', 'outpost:schema');
check([qw(init)], 0, 'init', out => "redis unix:$sock db 0: marked as outpost's: "
    . "outpost:schema = 2 (0 users, 1 plan, 0 domains); outpost-policyd and "
    . "outpost-milter judge with it within a second\n", err => '');
($out) = check([qw(--json init)], 0, 'init --json');
$j = json_ok($out, 'init');
is_deeply($j, { ok => JSON::PP::true(), key => 'outpost:schema', version => 2,
    created => JSON::PP::false(), users => 0, plans => 1, domains => 0,
    message => "redis unix:$sock db 0: already marked: outpost:schema = 2 (0 "
    . "users, 1 plan, 0 domains); nothing changed" }, 'init --json: the object');

# ---- plans
check([qw(plan set pro messages=100/1m messages=50000/24h
    recipients=200K/1d bytes=10G/1d)], 0, 'plan set pro',
    out => "plan pro: 4 limits, 0 users updated\n");
is(rcli(qw(HGET outpost:plan:pro messages/86400)), '50000',
    'plan stored with K expanded and the window in seconds');
check([qw(plan set free messages=200/1d)], 0, 'plan set free');
check([qw(plan set bad messages=100/1x)], 2, 'bad window is a usage error',
    err => "outpostctl: messages=100/1x: bad window \"1x\" (examples: 30s, "
    . "1m, 1h, 1d, month) (outpostctl --help shows the usage)\n");
check([qw(plan set bad messages=1/1h mails=1/1h)], 2, 'one bad LIMIT',
    elike => qr/mails=1\/1h: unknown dimension "mails"/);
is(rcli(qw(SISMEMBER outpost:plans bad)), '0',
    'nothing stored when one LIMIT is bad');
($out) = check([qw(--json plan show pro)], 0, 'plan show --json');
$j = json_ok($out, 'plan show');
is_deeply([map { $_->{limit} } @{$j->{limits}}], [qw(messages=100/1m
    messages=50K/1d recipients=200K/1d bytes=10G/1d)],
    'plan limits canonical and ordered');
is($j->{limits}[3]{count}, 10000000000, 'bytes=10G is 10^10');
check([qw(plan show pro)], 0, 'plan show text',
    out => "plan pro, 0 users\n  messages=100/1m messages=50K/1d "
    . "recipients=200K/1d bytes=10G/1d\n");
check([qw(plan set free bytes=1M/month messages=none/1d)], 0,
    'plan set removes one limit and adds one');
check([qw(plan show free)], 0, 'plan free changed',
    out => "plan free, 0 users\n  bytes=1M/month\n");
($out) = check([qw(plan list --json)], 0, 'plan list --json');
$j = json_ok($out, 'plan list');
is_deeply([map { $_->{plan} } @$j], [qw(free pro)], 'plan list sorted');
check([qw(plan show nope)], 1, 'plan show unknown',
    err => "outpostctl: plan nope does not exist\n");

# ---- users
check(['user', 'add', 'bob', '--plan', 'pro', '--domain', "Ex\x{c3}\x{a4}mple.COM",
    '--domain', 'example.org'], 0, 'user add',
    out => "user bob added (plan pro, sender domains restricted)\n");
is(join(' ', sort split /\n/, rcli('SMEMBERS', 'outpost:{u:bob}:dom')),
    'example.org xn--exmple-cua.com', 'domains normalised (IDN A-label)');
is(rcli('HGET', 'outpost:{u:bob}:acct', 'state'), 'active', 'bob active');
check([qw(user add bob)], 1, 'user add twice',
    err => "outpostctl: user bob already exists\n");
check([qw(user add alice --plan nope)], 1, 'user add unknown plan',
    elike => qr/^outpostctl: plan nope does not exist/);
is(rcli('EXISTS', 'outpost:{u:alice}:acct') . rcli(qw(SISMEMBER
    outpost:users alice)), '00', 'refused add leaves nothing behind');
check(['user', 'add', 'a b'], 2, 'bad user name',
    elike => qr/bad user name "a b"/);
check([qw(user add carol --domain bad..domain)], 2, 'bad domain',
    err => "outpostctl: --domain bad..domain: empty label in domain\n");
# A user following a default_plan that does not exist sends unlimited:
# user add says so on stderr (the change is still made).
check([qw(user add gus --domain gus.example)], 0,
    'user add, default_plan missing', out => "user gus added (plan default "
    . "= default_plan, sender domains restricted)\n",
    elike => qr/^outpostctl: warning: user gus follows default_plan default, which does not exist: it sends without plan limits until you create it \(outpostctl plan set default LIMIT\.\.\.\)/);
check([qw(plan set default messages=100/1h)], 0, 'plan default');
check([qw(user add gus2 --domain gus.example)], 0,
    'user add, default_plan exists: no warning', err => '');
check([qw(plan del default)], 1, 'plan default is used');
run([qw(user del gus)]);
run([qw(user del gus2)]);
check([qw(plan del default)], 0, 'plan default deleted');
($out) = check([qw(user add carol --json)], 0, 'user add --json');
$j = json_ok($out, 'user add');
ok($j->{ok} && $j->{user} eq 'carol', 'user add JSON says ok');
check([qw(user bogus)], 2, 'unknown verb',
    elike => qr/user: unknown verb "bogus"/);
check([qw(user add x --bogus)], 2, 'unknown option',
    elike => qr/unknown option "--bogus"/);
check([qw(user show)], 2, 'missing argument');
check([qw(user add x --plan)], 2, 'option without value',
    err => "outpostctl: user add: option --plan needs a value\n");
check([qw(suppress list --plan x)], 2, 'option of another verb',
    err => "outpostctl: suppress list: unknown option \"--plan\"\n");

check([qw(user set bob messages=1K/1d bytes=none)], 0, 'user set overrides',
    out => "user bob: 1 override\n");
check([qw(user set bob --plan nope messages=5/1m)], 1,
    'user set with unknown plan refused');
is(rcli('HEXISTS', 'outpost:{u:bob}:lim', 'messages/60'), '0',
    'refused user set changed no limit (atomic)');
check([qw(user set nobody messages=5/1m)], 1, 'user set unknown user',
    err => "outpostctl: user nobody does not exist\n");

# Usage as the daemon's counters hold it: slot = t div (W div 60).
my ($now) = split /\n/, rcli('TIME');
rcli('HSET', 'outpost:{u:bob}:c:messages/86400', int($now / 1440), 7,
    int($now / 1440) - 61, 500);
rcli('HSET', 'outpost:{u:bob}:c:bytes/86400', int($now / 1440) - 3, 1234);
($out) = check([qw(user show bob --json)], 0, 'user show --json');
$j = json_ok($out, 'user show');
is_deeply([map { "$_->{limit} $_->{source} $_->{used}" } @{$j->{limits}}],
    ['messages=100/1m plan 0', 'messages=1K/1d user 7',
     'recipients=200K/1d plan 0', 'bytes=10G/1d plan 1234'],
    'limits in effect: plan merged with override, usage in window only');
is($j->{plan}, 'pro', 'plan shown');
is_deeply($j->{domains} && [sort @{$j->{domains}}],
    ['example.org', 'xn--exmple-cua.com'], 'domains shown');
check([qw(user show bob)], 0, 'user show text',
    like => qr/^limits:\s*\n  messages=100\/1m\s+used 0\s+\(plan\)\n/m);

is(rcli('EXISTS', 'outpost:suspended'), 0, 'no suspended user: no index');
check(['user', 'suspend', 'bob', '--reason', 'compromised account'], 0,
    'suspend', out => "user bob suspended\n");
is(rcli('SMEMBERS', 'outpost:suspended'), 'bob', 'suspend: bob indexed');
is(rcli('HGET', 'outpost:{u:bob}:acct', 'reason'), 'compromised account',
    'suspension reason stored');
($out) = check([qw(--json user show bob)], 0, 'show suspended');
$j = json_ok($out, 'show suspended');
is("$j->{state}/$j->{reason}", 'suspended/compromised account',
    'state and reason shown');
check([qw(user resume bob)], 0, 'resume', out => "user bob active\n");
is(rcli('SCARD', 'outpost:suspended'), 0, 'resume: bob left the index');
check([qw(user resume bob)], 0, 'resume twice',
    out => "user bob was already active\n");
is(rcli('HGET', 'outpost:{u:bob}:acct', 'reason'), '', 'reason cleared');
check([qw(user suspend nobody)], 1, 'suspend unknown user');
is(rcli('SCARD', 'outpost:suspended'), 0, 'an unknown user is not indexed');
check(['user', 'suspend', 'bob', '--reason', "two\nlines"], 2,
    'reason with a line break refused', elike => qr/printable ASCII/);
is(rcli('HGET', 'outpost:{u:bob}:acct', 'state'), 'active',
    'refused suspend changed nothing');

check([qw(user deny bob EXAMPLE.org)], 0, 'deny',
    out => "user bob may no longer send as example.org\n");
check([qw(user deny bob example.org)], 1, 'deny twice',
    err => "outpostctl: user bob: example.org was not allowed\n");
check([qw(user allow bob sub.example.com)], 0, 'allow',
    out => "user bob may now send as sub.example.com (and its "
    . "subdomains)\n");
check([qw(user allow bob sub.example.com)], 0, 'allow twice',
    like => qr/already may send as/);
check([qw(user deny bob sub.example.com)], 0, 'deny one of two');
# The last allowed domain: an empty set means "any domain" to the daemon,
# so taking it away needs --any.
check([qw(user deny bob xn--exmple-cua.com)], 1, 'deny the last refused',
    out => '', err => "outpostctl: bob: xn--exmple-cua.com is the last "
    . "allowed domain; removing it would allow every domain \x{e2}\x{80}\x{94} "
    . "use 'outpostctl user deny bob xn--exmple-cua.com --any' to do that on "
    . "purpose\n");
is(rcli('SMEMBERS', 'outpost:{u:bob}:dom'), 'xn--exmple-cua.com',
    'refused deny kept the last domain');
($out) = check([qw(--json user deny bob xn--exmple-cua.com)], 1,
    'deny the last refused, --json');
$j = json_ok($out, 'deny the last');
ok($j && !$j->{ok} && $j->{error} =~ /is the last allowed domain/,
    'JSON says why');
check([qw(user deny bob example.org --any)], 1,
    '--any does not make a domain allowed',
    err => "outpostctl: user bob: example.org was not allowed\n");
check([qw(user allow bob example.org --any)], 2, '--any is for deny only',
    err => "outpostctl: user allow: unknown option \"--any\"\n");
check([qw(user deny bob xn--exmple-cua.com --any)], 0,
    'deny the last with --any', out => "user bob may no longer send as "
    . "xn--exmple-cua.com; no allowed domain is left, so it may send as ANY "
    . "domain\n", err => '');
is(rcli('EXISTS', 'outpost:{u:bob}:dom'), '0', 'no domain left: any domain');

($out) = check([qw(user list --json)], 0, 'user list --json');
$j = json_ok($out, 'user list');
is_deeply([map { "$_->{user}:$_->{plan}:$_->{state}" } @$j],
    ['bob:pro:active', 'carol:default:active'], 'user list');

check([qw(plan del pro)], 1, 'plan del while used',
    err => "outpostctl: plan pro is used by 1 user; move them first "
    . "(user set NAME --plan OTHER)\n");
is(rcli(qw(EXISTS outpost:plan:pro)), '1', 'used plan kept');
check([qw(plan del default)], 1, 'plan del unknown');
check([qw(user set bob --plan free)], 0, 'move bob to free');
check([qw(plan del pro)], 0, 'plan del unused', out => "plan pro deleted\n");
is(rcli(qw(EXISTS outpost:plan:pro)) . rcli(qw(SISMEMBER outpost:plans pro)),
    '00', 'plan gone');

# ---- suppressions
check(['suppress', 'add', "Bob\@Ex\x{c3}\x{a4}mple.COM", '--reason',
    'hard-bounce'], 0, 'suppress add (IDN)',
    out => "bob\@xn--exmple-cua.com suppressed (hard-bounce, global)\n");
check([qw(suppress check Bob@xn--exmple-cua.com)], 0, 'check A-label form',
    like => qr/^bob\@xn--exmple-cua.com: suppressed globally \(hard-bounce/);
check([qw(suppress check BOB@xn--exmple-cua.com)], 0,
    'local part case folded (suppress_fold_case = yes)',
    like => qr/^bob\@xn--exmple-cua.com: suppressed globally/);
check([qw(--json suppress check <Bob@XN--EXMPLE-CUA.com>)], 0,
    'check --json, <> and case of the domain');
$j = json_ok(read_file("$T/out"), 'suppress check');
is("$j->{suppressed} $j->{entries}[0]{list} $j->{entries}[0]{reason}",
    '1 global hard-bounce', 'check JSON');
check([qw(suppress add x@y.org --reason bogus)], 2, 'bad reason',
    elike => qr/--reason bogus: expected hard-bounce/);
check([qw(suppress add x@y.org --ttl 0s)], 2, 'bad ttl');
check([qw(suppress add nobody)], 2, 'bad address',
    err => "outpostctl: bad address \"nobody\": missing '\@' "
    . "(outpostctl --help shows the usage)\n");
check([qw(suppress add a@b.org --user nobody)], 1, 'unknown user',
    err => "outpostctl: user nobody does not exist\n");
check([qw(suppress add a@b.org --user bob --reason complaint --ttl 7d)], 0,
    'user suppression');
check([qw(suppress check a@b.org)], 1, 'user entry not global');
check([qw(suppress check a@b.org --user bob)], 0, 'user entry found',
    like => qr/suppressed for user \(complaint since .*, until /);
check([qw(suppress del a@b.org --user bob)], 0, 'del');
check([qw(suppress del a@b.org --user bob)], 1, 'del twice',
    err => "outpostctl: a\@b.org was not suppressed for user bob\n");

# ---- import with bad lines, exact line numbers
my $csv = "address,reason,created,expires\r\n"
    . "q\@q.org,hard-bounce,2026-01-01T00:00:00Z,\r\n"
    . "bad line\n"
    . "\"\"\"a,b\"\"\@c.org\",complaint,2025-05-05T05:05:00Z,2099-01-01T00:00:00Z\n"
    . "\n"
    . "w\@w.org,bogus\n"
    . "old\@x.org,manual,2020-01-01T00:00:00Z,2020-02-01T00:00:00Z\n"
    . "u\@x.org,unsubscribe,2024-02-29T12:00:00Z,\n"
    . "v\@x.org,,2021-01-01,2021-01-01\n"
    . ("z" x 1100) . "\@x.org\n"
    . "last\@x.org";
write_file("$T/in.csv", $csv);
check(['suppress', 'import', "$T/in.csv"], 1, 'import with bad lines',
    out => "imported 5 (new 5), rejected 4\n",
    err => "$T/in.csv:3: bad address \"bad line\": unquoted space\n"
    . "$T/in.csv:6: bad reason \"bogus\" (hard-bounce, complaint, "
    . "unsubscribe or manual)\n"
    . "$T/in.csv:9: expires 2021-01-01 is not after created\n"
    . "$T/in.csv:10: line longer than 1023 bytes\n");
check([qw(suppress check old@x.org)], 1, 'expired entry ignored');
check([qw(suppress check last@x.org)], 0, 'last line without newline');
($out) = check([qw(suppress export)], 0, 'export');
my @lines = split /\n/, $out;
is(shift @lines, 'address,reason,created,expires', 'export header');
is_deeply([sort grep { !/^last|^bob/ } @lines], [
    '"""a,b""@c.org",complaint,2025-05-05T05:05:00Z,2099-01-01T00:00:00Z',
    'q@q.org,hard-bounce,2026-01-01T00:00:00Z,',
    'u@x.org,unsubscribe,2024-02-29T12:00:00Z,'],
    'export holds exactly the live entries, quoted as RFC 4180 says');
like((grep { /^last/ } @lines)[0], qr/^last\@x.org,manual,\d{4}-/,
    'missing reason -> manual, missing created -> now');
($out) = check([qw(suppress list --json)], 0, 'list --json');
$j = json_ok($out, 'suppress list');
is(scalar @$j, 5, 'list has the 5 live entries');
($out) = check([qw(suppress export --json)], 0, 'export --json');
is_deeply(json_ok($out, 'suppress export'), $j, 'export --json is list --json');

# ---- export -> import loses nothing
my $before = read_file("$T/out");
($out) = check([qw(suppress export)], 0, 'export again');
write_file("$T/exp.csv", $out);
rcli('EVAL', 'for _, k in ipairs(redis.call("KEYS", "outpost:sup:*")) do '
    . 'redis.call("DEL", k) end', '0');
check([qw(suppress check q@q.org)], 1, 'list emptied');
check(['suppress', 'import', "$T/exp.csv"], 0, 'import the export',
    out => "imported 5 (new 5), rejected 0\n", err => '');
($out) = check([qw(suppress export)], 0, 'export after round trip');
is(join("\n", sort split /\n/, $out),
    join("\n", sort split /\n/, read_file("$T/exp.csv")),
    'export -> import -> export is identical');

# ---- per-user import from stdin
check([qw(suppress import - --user bob)], 0, 'import stdin for a user',
    stdin => "p\@p.org,complaint\nq\@q.org\n",
    out => "imported 2 (new 2), rejected 0\n");
($out) = check([qw(suppress export --user bob)], 0, 'user export');
is(scalar(split /\n/, $out), 3, 'user list: header + 2');
check([qw(suppress import - --user nobody)], 1, 'import for unknown user');

# ---- local-part case: the fold, entries stored before it, migrate
# FNV-1a 32 of lib/schema.c: where today's code stored an address.
sub bucket {
	my ($addr, $n) = @_;
	my $h = 2166136261;
	$h = (($h ^ ord($_)) * 16777619) & 0xffffffff for split //, $addr;
	return $h % $n;
}
my $mins = int(time() / 60);
write_file("$T/exact.conf", "redis_address = unix:$sock\n"
    . "suppress_fold_case = no\n");
{
	my $saved = $conf;
	$conf = "$T/exact.conf";
	check([qw(suppress add Erin@fold.example --user bob)], 0,
	    'suppress_fold_case = no keeps the case (as before the fold)',
	    out => "Erin\@fold.example suppressed (manual, user bob)\n");
	check([qw(suppress migrate)], 1, 'migrate refused without the fold',
	    elike => qr/suppress_fold_case = no/);
	$conf = $saved;
}
# The stored form before the fold: the address itself as the field (upper
# case does not pack), bucket FNV(address), value R+4*minutes.
my $dave = 'outpost:sup:' . bucket('Dave@fold.example', 4096);
rcli('HSET', $dave, 'Dave@fold.example', 3 + 4 * $mins);
rcli('HSET', 'outpost:sup:' . bucket('Frank@fold.example', 4096),
    'Frank@fold.example', (3 + 4 * $mins) . ':' . ($mins + 600));
check([qw(suppress add frank@fold.example --ttl 1h)], 0, 'frank, 1 hour');
check([qw(suppress add Carol@Fold.example)], 0, 'add folds',
    out => "carol\@fold.example suppressed (manual, global)\n");
check([qw(suppress check CAROL@fold.example)], 0, 'check folds');
check([qw(suppress check Dave@fold.example)], 1,
    'an entry stored before the fold is not found by its folded form');
($out) = check([qw(suppress migrate)], 0, 'suppress migrate',
    like => qr/^re-filed 3 entries \(\d+ buckets scanned\)\n\z/);
check([qw(suppress check dave@fold.example)], 0, 'migrated: dave@ found');
check([qw(suppress check DAVE@fold.example)], 0, '... and DAVE@');
is(rcli('HEXISTS', $dave, 'Dave@fold.example'), '0', 'old field removed');
check([qw(suppress check erin@fold.example --user bob)], 0,
    "migrated: bob's own list too");
check([qw(--json suppress check frank@fold.example)], 0, 'frank merged');
$j = json_ok(read_file("$T/out"), 'frank');
is(scalar @{$j->{entries}}, 1, 'one entry for Frank@ and frank@');
like($j->{entries}[0]{expires} // '', qr/^\d{4}-/,
    'the merge kept the entry that lasts longer (10 h, not 1 h)');
ok(($j->{entries}[0]{expires} // '') gt POSIX::strftime('%Y-%m-%dT%H:%M',
    gmtime(time() + 3 * 3600)), 'its expiry: ' . ($j->{entries}[0]{expires} // ''));
check([qw(suppress migrate)], 0, 'migrate again: idempotent',
    like => qr/^re-filed 0 entries /);
($out) = check([qw(suppress export)], 0, 'export after migrate');
unlike($out, qr/^[^,]*[A-Z][^,]*\@/m, 'no local part with upper case left');
check([qw(suppress import - --user bob)], 0, 'import folds',
    stdin => "Gina\@fold.example,complaint\n");
check([qw(suppress check gina@fold.example --user bob)], 0, 'gina@ found');

# ---- suppress import --user racing user del: nothing is left behind
sub nkeys { rcli('EVAL', 'return #redis.call("KEYS", ARGV[1])', '0', $_[0]) }
check([qw(user add racer)], 0, 'user racer');
write_file("$T/race.csv", join('', map { "r$_\@race.example,manual\n" }
    1 .. 200000));
my $ipid = fork() // die "fork: $!";
if ($ipid == 0) {
	open STDOUT, '>', "$T/race.out" or die;
	open STDERR, '>', "$T/race.err" or die;
	exec $ctl, '-c', $conf, 'suppress', 'import', "$T/race.csv", '--user',
	    'racer' or die "exec: $!";
}
for (1 .. 1000) {		# until its first batch is in
	last if nkeys('outpost:{u:racer}:sup:*') > 0;
	select(undef, undef, undef, 0.005);
}
check([qw(user del racer)], 0, 'user del while the import runs');
waitpid($ipid, 0);
is($? >> 8, 1, 'the import stopped: exit 1');
like(read_file("$T/race.err"), qr/^outpostctl: \Q$T\E\/race.csv:\d+: user racer was deleted during the import; stopped/,
    'it says why') or diag(read_file("$T/race.out"));
is(nkeys('outpost:{u:racer}:*'), '0', 'no key of racer is left behind');

# ---- 100k lines
my $big = "address,reason,created,expires\n";
$big .= sprintf("user%06d\@bulk%d.example,%s,2026-01-%02dT00:%02d:00Z,\n",
    $_, $_ % 97, (qw(hard-bounce complaint unsubscribe manual))[$_ % 4],
    1 + $_ % 28, $_ % 60) for 1 .. 100000;
write_file("$T/big.csv", $big);
check(['suppress', 'import', "$T/big.csv"], 0, '100k-line import',
    out => "imported 100000 (new 100000), rejected 0\n");
($out) = check([qw(suppress export)], 0, 'export 100k');
my %exp = map { $_ => 1 } split /\n/, $out;
my @missing = grep { !$exp{$_} } split /\n/, $big;
is(scalar @missing, 0, 'every imported line comes back from export');
is(scalar(keys %exp), 1 + 100000 + 5 + 3, 'and nothing else (+ carol, dave, frank)');

# ---- the index of suspended users: del, add, and migrate's rebuild
run([qw(user add idx1)]);
run([qw(user add idx2)]);
run([qw(user suspend idx1)]);
run([qw(user suspend idx2)]);
run([qw(user suspend bob)]);
is(rcli('SCARD', 'outpost:suspended'), 3, 'three suspended, three indexed');
check([qw(user del idx2)], 0, 'user del of a suspended user');
is(rcli('SISMEMBER', 'outpost:suspended', 'idx2'), 0,
    'user del: the name left the index');
rcli('SADD', 'outpost:suspended', 'idx2');	# as a crashed del leaves it
run([qw(user add idx2)]);
is(rcli('SISMEMBER', 'outpost:suspended', 'idx2'), 0,
    'user add: an active user is not indexed, whatever was left');
rcli('SADD', 'outpost:suspended', 'ghost', 'idx2');	# stale members
rcli('SREM', 'outpost:suspended', 'idx1');	# written before the index
($out) = check([qw(--json migrate)], 0, 'migrate rebuilds the index');
is(json_ok($out, 'migrate')->{suspended}, 2, 'migrate: 2 suspended users');
is(join(' ', sort split /\n/, rcli('SMEMBERS', 'outpost:suspended')),
    'bob idx1', 'migrate: the index is the suspended users, no more');
check([qw(migrate)], 0, 'migrate text', like => qr/; 2 suspended users indexed$/);
check([qw(user resume idx1)], 0, 'resume idx1');
run([qw(user del idx1)]);
run([qw(user del idx2)]);

# ---- user del removes every key of the user
check([qw(user del bob)], 0, 'user del', like => qr/^user bob deleted/);
is(rcli('SCARD', 'outpost:suspended'), 0, 'user del: bob left the index');
is(rcli('--scan', '--pattern', 'outpost:{u:bob}*'), '',
    'no key of bob left');
is(rcli(qw(SISMEMBER outpost:users bob)), '0', 'bob not in users');
check([qw(user del bob)], 1, 'user del twice');

# ---- user del with thousands of keys among many others: SCAN runs in the
# client a page at a time, the script and the DEL batches remove exactly
# the user's keys.  erinx (a name erin is a prefix of), the same tag under
# another prefix, a key without the ":" after the tag and the filler stay.
sub all_keys {
	my %k = map { $_ => 1 } split /\n/, rcli('--scan');
	return \%k;
}
my $fill = 'for i = 1, tonumber(ARGV[2]) do '
    . 'redis.call("HSET", ARGV[1] .. i, "1", i) end';
run([qw(user add erin --domain erin.example)]);
run([qw(user add erinx --domain erin.example)]);
run([qw(user set erin messages=5/1h)]);
run([qw(user set erinx messages=5/1h)]);
run([qw(suppress add z@z.example --user erin)]);
run([qw(suppress add z@z.example --user erinx)]);
rcli('EVAL', $fill, '0', 'outpost:{u:erin}:q:Q', 2500);
rcli('EVAL', $fill, '0', 'outpost:{u:erin}:c:messages/3600', 1);
rcli('EVAL', $fill, '0', 'outpost:{u:erinx}:q:Q', 300);
rcli('EVAL', $fill, '0', 'filler:{u:erin}:', 20000);
rcli(qw(SET outpost:{u:erin} not-a-user-key));
my $keys_before = all_keys();
my @erin = grep { /^outpost:\{u:erin\}:/ } keys %$keys_before;
is(scalar @erin, 2500 + 1 + 5, 'erin has 2506 keys (q, c, acct, lim, dom, plim, '
    . 'sup)') or diag(join ' ', grep { !/:q:Q/ } @erin);
check([qw(user del erin)], 0, 'user del with 2506 keys',
    out => "user erin deleted (2506 keys)\n");
my $keys_after = all_keys();
is_deeply([sort grep { !$keys_after->{$_} } keys %$keys_before],
    [sort @erin], 'exactly the keys of erin are gone');
is_deeply([sort grep { !$keys_before->{$_} } keys %$keys_after], [],
    'and no key appeared');
is(rcli(qw(SISMEMBER outpost:users erin)) . rcli(qw(SISMEMBER
    outpost:users erinx)), '01', 'erin left the users set, erinx did not');
check([qw(suppress check z@z.example --user erinx)], 0,
    "erinx's suppression kept");

# ---- a change Redis does not answer in time: outcome unknown, never a
# plain refusal.  CLIENT PAUSE WRITE holds the scripts while the reads
# (connect, EXISTS, SCAN) still work.
write_file("$T/slow.conf", "redis_address = unix:$sock\n"
    . "redis_timeout = 300ms\n");
{
	my $saved = $conf;
	$conf = "$T/slow.conf";
	is(rcli(qw(CLIENT PAUSE 60000 WRITE)), 'OK', 'writes paused');
	for my $t (['user del', [qw(user del erinx)]],
	    ['user suspend', [qw(user suspend erinx)]],
	    ['user deny', [qw(user deny erinx erin.example --any)]]) {
		check($t->[1], 1, "$t->[0] unanswered", err => "outpostctl: "
		    . "$t->[0]: outcome unknown (Redis did not answer within "
		    . "redis_timeout): check with outpostctl user show erinx\n");
	}
	check([qw(plan set free messages=1/1h)], 1, 'plan set unanswered',
	    err => "outpostctl: plan set: outcome unknown (Redis did not "
	    . "answer within redis_timeout): check with outpostctl plan show "
	    . "free\n");
	check([qw(user list)], 0, 'reads still answered',
	    like => qr/^erinx /m);
	is(rcli(qw(CLIENT UNPAUSE)), 'OK', 'writes resumed');
	$conf = $saved;
}
run([qw(user del erinx)]);
is(rcli(qw(EXISTS outpost:{u:erinx}:acct)), '0', 'erinx deleted at last');

# ---- atomicity under concurrency: "plan del" racing "user add --plan"
# never leaves a user on a deleted plan (each is one script).
{
	my ($orphans, $both) = (0, 0);
	for my $i (1 .. 20) {
		run([qw(plan set race messages=1/1h)]);
		my @pids;
		for my $args (["user", "add", "racer$i", "--plan", "race"],
		    [qw(plan del race)]) {
			my $pid = fork() // die;
			if ($pid == 0) {
				open STDOUT, '>', '/dev/null';
				open STDERR, '>', '/dev/null';
				exec($ctl, '-c', $conf, @$args)
				    or POSIX::_exit(127);
			}
			push @pids, $pid;
		}
		waitpid($_, 0) for @pids;
		my $user = rcli('EXISTS', "outpost:{u:racer$i}:acct");
		my $plan = rcli(qw(SISMEMBER outpost:plans race));
		$orphans++ if $user eq '1' && $plan eq '0';
		$both++ if $user eq '1' && $plan eq '1';
		run(['user', 'del', "racer$i"]);
	}
	is($orphans, 0, 'no user left on a deleted plan in 20 races');
	diag("user add won $both of 20 races");
}

# ---- with the real daemon: what outpostctl writes is what it enforces,
# and user show reads what it counted.
SKIP: {
	my $daemon = "$root/policyd/outpost-policyd";
	skip "$daemon not built", 11 unless -x $daemon;
	chmod 0755, $T;
	chmod 0777, $sock;
	my $who = $> == 0 ? 'outpost' : scalar getpwuid($>);
	my $psock = "$T/policyd.sock";
	write_file("$T/policyd.conf", "redis_address = unix:$sock\n"
	    . "policyd_listen = unix:$psock\nlog_destination = stderr\n"
	    . "user = $who\n");
	my $dpid = fork() // die;
	if ($dpid == 0) {
		open STDERR, '>', "$T/policyd.log";
		exec $daemon, '-f', '-c', "$T/policyd.conf" or POSIX::_exit(127);
	}
	for (1 .. 200) { last if -S $psock; select(undef, undef, undef, 0.05) }
	my $c = IO::Socket::UNIX->new(Peer => $psock)
	    or skip "policyd did not start", 11;
	my $ask = sub {
		my %r = (request => 'smtpd_access_policy',
		    protocol_state => 'RCPT', sasl_username => 'dave',
		    sender => 'dave@example.com', recipient => 'ok@dest.example',
		    recipient_count => 0, size => 0, queue_id => '', @_);
		print $c join('', map { "$_=$r{$_}\n" } sort keys %r), "\n";
		my $l = <$c>;
		<$c>;
		$l =~ s/^action=//;
		chomp $l;
		return $l;
	};
	run([qw(plan set e2e messages=3/1h)]);
	run([qw(user add dave --plan e2e --domain example.com)]);
	run([qw(user set dave recipients=10/1d)]);
	run(['suppress', 'add', "Gone\@Ex\x{c3}\x{a4}mple.COM", '--reason',
	    'hard-bounce']);
	run([qw(suppress add x@dest.example --user dave --reason complaint)]);
	is($ask->(), 'DUNNO', 'daemon: user added by outpostctl sends');
	like($ask->(recipient => "Gone\@EX\x{c3}\x{84}MPLE.com"),
	    qr/^550 5\.1\.1 <[^>]*>: recipient suppressed: hard-bounce since/,
	    'daemon refuses the IDN address outpostctl suppressed');
	like($ask->(recipient => 'x@dest.example'), qr/^550 5\.7\.1 /,
	    'daemon applies the per-user suppression');
	is($ask->(protocol_state => 'END-OF-MESSAGE', recipient_count => 2,
	    size => 1500, queue_id => 'Q1'), 'DUNNO', 'daemon counts one message');
	$ask->(protocol_state => 'END-OF-MESSAGE', recipient_count => 3,
	    size => 10, queue_id => 'Q2');
	($out) = check([qw(--json user show dave)], 0, 'show after sending');
	$j = decode_json($out);
	is_deeply([map { "$_->{limit}=$_->{used}" } @{$j->{limits}}],
	    ['messages=3/1h=2', 'recipients=10/1d=5'],
	    'user show reads the counters the daemon wrote');
	run(['user', 'suspend', 'dave', '--reason', 'stolen password']);
	is($ask->(), '554 5.7.1 sending account suspended: stolen password',
	    'suspension takes effect at the next request');
	run([qw(user resume dave)]);
	run([qw(user allow dave example.org)]);
	run([qw(user deny dave example.com)]);
	like($ask->(), qr/^553 5\.7\.1 .*not authorised to send as example.com/,
	    'denied domain refused by the daemon');
	check([qw(user deny dave example.org)], 1, 'deny of the last domain '
	    . 'refused', elike => qr/example.org is the last allowed domain/);
	like($ask->(), qr/^553 5\.7\.1 /,
	    'so the daemon still restricts dave to example.org');
	kill 'TERM', $dpid;
	waitpid($dpid, 0);
}

# ---- plan show / plan del with 100k users: Redis keeps answering
{
	use Time::HiRes qw(time);
	rcli('EVAL', 'for i = 1, tonumber(ARGV[1]) do '
	    . 'local u = "many" .. i '
	    . 'redis.call("HSET", "outpost:{u:" .. u .. "}:acct", "plan", '
	    . '(i % 2 == 0) and "bulk" or "", "state", "active") '
	    . 'redis.call("SADD", "outpost:users", u) end return 1', '0',
	    '100000');
	check([qw(plan set bulk messages=10/1h)], 0, 'plan bulk');
	rcli(qw(CONFIG RESETSTAT));
	my $ps = IO::Socket::UNIX->new(Peer => $sock) or die "ping: $!";
	# run ARGS while PINGing Redis; -> (exit, max PING seconds, pings)
	my $while_pinging = sub {
		my $pid = fork() // die "fork: $!";
		if ($pid == 0) {
			open STDOUT, '>', "$T/out" or die;
			open STDERR, '>', "$T/err" or die;
			exec $ctl, '-c', $conf, @_ or die;
		}
		my ($max, $n, $rc) = (0, 0);
		while (1) {
			my $t0 = time();
			print $ps "PING\r\n";
			my $l = <$ps>;
			my $dt = time() - $t0;
			$max = $dt if $dt > $max;
			$n++;
			if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
				$rc = $? >> 8;
				last;
			}
		}
		return ($rc, $max, $n);
	};
	my ($rc, $max, $n) = $while_pinging->(qw(plan show bulk));
	is($rc, 0, 'plan show bulk among 100k users: exit 0');
	like(read_file("$T/out"), qr/^plan bulk, 50000 users\n/,
	    'it counts the 50000 users of the plan');
	ok($max < 1, sprintf('Redis answered PING meanwhile (%d pings, '
	    . 'slowest %.3f s)', $n, $max));
	($rc, $max, $n) = $while_pinging->(qw(plan del bulk));
	is($rc, 1, 'plan del bulk: refused, used');
	like(read_file("$T/err"), qr/plan bulk is used by 50000 users/,
	    'plan del counts them too');
	ok($max < 1, sprintf('PING during plan del: slowest %.3f s', $max));
	# Not a timing (a loaded machine makes any command slow): no command
	# that answers with a whole set of users in one go was sent, and the
	# walks went in SSCAN steps.
	my $stats = `redis-cli -s $sock INFO commandstats`;
	unlike($stats, qr/^cmdstat_(smembers|keys|sort|sunion|sinter):/m,
	    'no SMEMBERS/KEYS/SORT over the users: no blocking walk of all users')
	    or diag($stats);
	like($stats, qr/^cmdstat_sscan:calls=(\d\d+),/m,
	    'the users were walked in SSCAN steps');
	is(rcli(qw(SISMEMBER outpost:plans bulk)), '1',
	    'a refused plan del leaves the plan listed');
	rcli('EVAL', 'for i = 1, tonumber(ARGV[1]) do '
	    . 'redis.call("HSET", "outpost:{u:many" .. i .. "}:acct", "plan", '
	    . '"") end return 1', '0', '100000');
	check([qw(plan del bulk)], 0, 'plan del bulk once unused',
	    out => "plan bulk deleted\n");
	is(rcli(qw(EXISTS outpost:plan:bulk)) . rcli(qw(SISMEMBER outpost:plans
	    bulk)), '00', 'plan bulk gone');
	rcli(qw(CONFIG SET slowlog-log-slower-than 10000));
}

# ---- Redis unreachable
write_file("$T/down.conf", "redis_address = unix:$T/nothing.sock\n");
{
	my $saved = $conf;
	$conf = "$T/down.conf";
	check([qw(user list)], 1, 'redis down', elike =>
	    qr/^outpostctl: redis unix:\Q$T\E\/nothing.sock: /);
	($out) = check([qw(--json plan list)], 1, 'redis down --json');
	$j = json_ok($out, 'redis down');
	ok($j && !$j->{ok} && $j->{error} =~ /nothing.sock/,
	    'JSON error object');
	$conf = $saved;
}

done_testing();
