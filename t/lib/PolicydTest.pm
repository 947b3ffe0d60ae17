# PolicydTest -- helpers of the outpost-policyd integration tests: a
# temporary directory, redis-server instances on unix sockets in it, a
# tiny RESP client, outpost-policyd started with a generated config, policy
# requests, and what /proc says about a process (RSS, CPU time).
#
#   my $dir = PolicydTest::dir();
#   redis_server()                              # its path, or undef
#   my $r = redis_start('r1', @extra_args);     # {pid, sock, name}
#   rcmd($r, 'HSET', ...)                       # reply (array ref for *)
#   redis_mark($r)                              # the schema marker, as
#                                               # outpostctl init writes it
#   redis_stop($r)
#   my $d = daemon_start('p1', $r, %conf_keys, -wrap => [...], -env => {..})
#                                               # {pid, sock, log, conf}
#   daemon_stop($d)                             # SIGTERM, waits, exit status
#   daemon_wait($d)                             # waits only, exit status
#   my $c = daemon_connect($d);
#   request($c, %attrs) / read_reply($c) / req_text(%attrs)
#   proc_rss_kb($pid) / proc_cpu_s($pid) / slurp($file)
#
# Everything started is killed at exit.  redis_start is the one way the
# Perl tests start Redis (t/ctl-policy.t uses it too); the shell tests'
# one way is te_redis_start in t/lib/testenv.sh.
package PolicydTest;
use strict;
use warnings;
use Exporter 'import';
use File::Temp qw(tempdir);
use IO::Socket::UNIX;
use POSIX ();
use Time::HiRes qw(sleep);

our @EXPORT = qw(redis_server redis_start redis_stop redis_mark rcmd daemon_start
    daemon_stop daemon_wait daemon_connect request read_reply req_text proc_rss_kb proc_cpu_s
    slurp $DAEMON $RUN_USER);

our $DAEMON = 'policyd/outpost-policyd';
our $RUN_USER = $> == 0 ? 'outpost' : scalar getpwuid($>);
my $dir;
my %children;			# pid -> 1

sub dir {
	return $dir if $dir;
	$dir = tempdir('policyd-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	chmod 0755, $dir;
	return $dir;
}

END {
	local $?;	# waitpid must not replace the test's exit status
	for my $pid (keys %children) {
		kill 'CONT', $pid;
		kill 'KILL', $pid;
		waitpid $pid, 0;
	}
}

sub slurp { local $/; open my $f, '<', $_[0] or return ''; <$f> }

# The redis-server on PATH (or Debian's), undef when there is none.
sub redis_server {
	my ($server) = grep { -x } map { "$_/redis-server" }
	    split(/:/, $ENV{PATH}), '/usr/bin', '/usr/sbin';
	return $server;
}

sub redis_start {
	my ($name, @extra) = @_;
	my $server = redis_server() // die "redis-server not installed";
	my $r = { name => $name, sock => dir() . "/$name.sock", extra => \@extra };
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		open STDOUT, '>', '/dev/null';
		exec $server, '--port', '0', '--unixsocket', $r->{sock},
		    '--unixsocketperm', '777', '--save', '', '--appendonly',
		    'no', '--dir', dir(), @extra or POSIX::_exit(127);
	}
	$r->{pid} = $pid;
	$children{$pid} = 1;
	for (1 .. 200) {
		return $r if -S $r->{sock} && (eval { rcmd($r, 'PING') }
		    || ($@ // '') =~ /NOAUTH/);
		sleep 0.05;
	}
	die "redis-server $name did not start";
}

sub redis_stop {
	my $r = shift;
	kill 'CONT', $r->{pid};
	kill 'TERM', $r->{pid};
	waitpid $r->{pid}, 0;
	delete $children{$r->{pid}};
	unlink $r->{sock};
	delete $r->{conn};
}

# lib/schema.h's Pschema: without it the daemon judges nobody (on_error).
sub redis_mark { rcmd($_[0], 'SET', 'outpost:schema', '2') }

sub rcmd {
	my ($r, @a) = @_;
	$r->{conn} = IO::Socket::UNIX->new(Peer => $r->{sock})
	    or die "redis: $!" unless $r->{conn};
	my $out = '*' . @a . "\r\n";
	$out .= '$' . length($_) . "\r\n$_\r\n" for @a;
	print { $r->{conn} } $out;
	return rread($r->{conn});
}

sub rread {
	my $fh = shift;
	my $l = <$fh>;
	defined $l or die "redis closed";
	$l =~ s/\r\n$//;
	my ($t, $v) = (substr($l, 0, 1), substr($l, 1));
	return $v if $t eq '+' || $t eq ':';
	die "redis error: $v\n" if $t eq '-';
	if ($t eq '$') {
		return undef if $v < 0;
		read($fh, my $s, $v + 2);
		return substr($s, 0, $v);
	}
	return [map { rread($fh) } 1 .. $v] if $t eq '*';
	die "bad reply $l";
}

# daemon_start(name, redis, key => value..., -wrap => [cmd...], -env => {})
sub daemon_start {
	my ($name, $r, %kv) = @_;
	my $wrap = delete $kv{-wrap} // [];
	my $env = delete $kv{-env} // {};
	my $d = { name => $name, sock => dir() . "/$name.sock",
	    log => dir() . "/$name.log", conf => dir() . "/$name.conf" };
	my %c = ((defined $r->{sock} ? (redis_address => "unix:$r->{sock}") : ()),
	    log_destination => 'stderr', user => $RUN_USER,
	    redis_timeout => '1s', policyd_listen => "unix:$d->{sock}", %kv);
	open my $fh, '>', $d->{conf} or die;
	print $fh "$_ = $c{$_}\n" for sort keys %c;
	close $fh;
	my $pid = fork // die;
	if (!$pid) {
		$ENV{$_} = $env->{$_} for keys %$env;
		open STDERR, '>', $d->{log};
		exec @$wrap, $DAEMON, '-f', '-c', $d->{conf}
		    or POSIX::_exit(127);
	}
	$d->{pid} = $pid;
	$children{$pid} = 1;
	for (1 .. 400) { return $d if -S $d->{sock}; sleep 0.05 }
	die "$name did not start: " . slurp($d->{log});
}

# SIGTERM; waits up to $limit seconds; returns $? (or -1: still running).
sub daemon_stop {
	my ($d, $limit) = @_;
	kill 'TERM', $d->{pid};
	return daemon_wait($d, $limit);
}

# Waits up to $limit seconds (60) for the daemon to exit, sending nothing;
# returns $? (or -1: still running).
sub daemon_wait {
	my ($d, $limit) = @_;
	$limit //= 60;
	for (1 .. $limit * 20) {
		if (waitpid($d->{pid}, POSIX::WNOHANG()) == $d->{pid}) {
			delete $children{$d->{pid}};
			return $?;
		}
		sleep 0.05;
	}
	return -1;
}

sub daemon_connect {
	my $d = shift;
	return IO::Socket::UNIX->new(Peer => $d->{sock})
	    // die "connect $d->{name}: $!";
}

sub req_text {
	my %a = @_;
	return join('', map { "$_=$a{$_}\n" } sort keys %a) . "\n";
}

# One RCPT request (defaults below, overridden by %a); the action text.
sub request {
	my ($c, %a) = @_;
	my %r = (request => 'smtpd_access_policy', protocol_state => 'RCPT',
	    sasl_username => 'alice', sender => 'alice@example.com',
	    recipient => 'bob@dest.example', recipient_count => 0, size => 0,
	    queue_id => '', instance => 'i' . int(rand(1e9)), %a);
	print $c req_text(%r);
	return read_reply($c);
}

sub read_reply {
	my $c = shift;
	my $l = <$c>;
	return undef unless defined $l;
	my $blank = <$c>;
	$l =~ s/^action=//;
	chomp $l;
	return $l;
}

sub proc_rss_kb {
	my $s = slurp("/proc/$_[0]/status");
	return $s =~ /^VmRSS:\s+(\d+) kB/m ? $1 : undef;
}

# utime + stime of a process in seconds.
sub proc_cpu_s {
	my $s = slurp("/proc/$_[0]/stat");
	$s =~ s/^.*\) //s;		# the name may hold spaces
	my @f = split ' ', $s;
	return ($f[11] + $f[12]) / POSIX::sysconf(POSIX::_SC_CLK_TCK());
}

1;
