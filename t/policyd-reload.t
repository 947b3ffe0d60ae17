#!/usr/bin/perl
# policyd-reload -- SIGHUP reads outpost.conf again: keys read per request
# take effect, keys that need a restart are named in the log, a bad file
# keeps the running configuration and logs the error with file:line.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use PolicydTest;

chdir "$FindBin::Bin/..";
plan skip_all => 'redis-server not installed' unless redis_server();
my $redis = redis_start('r1');
redis_mark($redis);	# an outpost Redis (outpostctl init)
my $d = daemon_start('p1', $redis, policyd_unknown_user => 'reject');
sub rcpt { request(daemon_connect($d), sasl_username => 'ghost', protocol_state => 'RCPT', recipient => 'x@example.org') }
sub rewrite {
	my ($from, $to) = @_;
	my $c = slurp($d->{conf});
	$c =~ s/\Q$from\E/$to/ or die "no $from";
	open my $fh, '>', $d->{conf} or die;
	print $fh $c;
	close $fh;
}
sub hup_wait {
	my ($re) = @_;
	kill 'HUP', $d->{pid};
	for (1 .. 100) { last if slurp($d->{log}) =~ $re; sleep 0.05 }
}

is(rcpt(), '554 5.7.1 unknown sending account', 'before: unknown user refused');
rewrite('policyd_unknown_user = reject', 'policyd_unknown_user = default');
rewrite('redis_timeout = 1s', 'redis_timeout = 3s');
hup_wait(qr/reload: .* read:/);
ok(kill(0, $d->{pid}), 'SIGHUP: the daemon still runs');
is(rcpt(), 'DUNNO', 'after SIGHUP: policyd_unknown_user = default applies');
my $log = slurp($d->{log});
like($log, qr/info: reload: policyd_unknown_user = default/, 'the applied change is logged');
like($log, qr/warning: reload: redis_timeout changed: needs a restart/, 'a key needing a restart is named');
like($log, qr/reload: \Q$d->{conf}\E read: 1 change applied, 1 needs a restart/, 'summary line');

open my $fh, '>>', $d->{conf} or die;
print $fh "no_such_key = 1\n";
close $fh;
my $n = () = slurp($d->{conf}) =~ /\n/g;
hup_wait(qr/the running configuration stays/);
like(slurp($d->{log}), qr/error: reload: \Q$d->{conf}\E:$n: unknown parameter "no_such_key"; the running configuration stays/,
    'a bad file: error with file:line, nothing changed');
is(rcpt(), 'DUNNO', 'a bad file: the running configuration stays');
ok(kill(0, $d->{pid}), 'a bad file: the daemon still runs');
is(daemon_stop($d), 0, 'stops cleanly');
redis_stop($redis);
done_testing();
