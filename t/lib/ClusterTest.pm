# ClusterTest -- a Redis Cluster on 127.0.0.1 for the Perl tests and the
# benchmark (the bash tests have te_cluster_start in testenv.sh):
#
#   cluster_start(MASTERS, REPLICAS_EACH, NODE_TIMEOUT_MS)
#       MASTERS * (1 + REPLICAS_EACH) redis-server processes on free
#       ports (data dir PolicydTest::dir()), joined by redis-cli --cluster
#       create; returns when cluster_state is ok on every node and
#       every replica has finished its initial sync.  Returns
#       { ports => [...], pids => {port => pid}, addr => "cluster:..." }.
#       Each node has its own RDB file: a replica's initial sync
#       renames the payload it received to its dbfilename and loads that
#       file, so with one shared dump.rdb two replicas syncing at once
#       could load each other's master's data (a promoted replica then
#       lacks keys written before the sync, e.g. the schema marker).
#   cluster_stop(C)              SIGTERM every node left; the node logs
#                                are copied to $CLUSTER_LOG_DIR if set
#   ccmd(PORT, ARGS...)          one command to one node (no redirection)
#   ckey(C, ARGS...)             a command sent to the master of its key
#                                (ARGS[1]), following MOVED
#   key_slot(KEY)                CRC16 slot, with hash tags
#   slot_master(C, SLOT)         [port, node id] of the slot's master now
#   node_id(PORT)                CLUSTER MYID
#   cluster_wait_ok(C)           every live node says cluster_state:ok
package ClusterTest;
use strict;
use warnings;
use Exporter 'import';
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep);
use PolicydTest;

our @EXPORT = qw(cluster_start cluster_stop ccmd ckey key_slot slot_master
    node_id cluster_wait_ok);

sub free_port {
	for (1 .. 100) {
		my $p = 20000 + int(rand(30000));
		my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
		    LocalPort => $p, Listen => 1, ReuseAddr => 1) or next;
		my $b = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
		    LocalPort => $p + 10000, Listen => 1, ReuseAddr => 1);
		close $s;
		next unless $b;
		close $b;
		return $p;
	}
	die "no free port";
}

my %conn;
sub ccmd {
	my ($port, @a) = @_;
	for my $try (1, 2) {
		$conn{$port} //= IO::Socket::INET->new(PeerAddr => '127.0.0.1',
		    PeerPort => $port) or die "connect $port: $!";
		my $out = '*' . @a . "\r\n";
		$out .= '$' . length($_) . "\r\n$_\r\n" for @a;
		print { $conn{$port} } $out;
		my $r = eval { PolicydTest::rread($conn{$port}) };
		return $r unless $@;
		delete $conn{$port};
		die $@ if $@ !~ /closed/ || $try == 2;
	}
}

sub key_slot {
	my $k = shift;
	if ($k =~ /\{(.+?)\}/) { $k = $1 }
	my $crc = 0;
	for my $c (unpack 'C*', $k) {
		$crc ^= $c << 8;
		for (1 .. 8) {
			$crc = $crc & 0x8000 ? (($crc << 1) ^ 0x1021) : $crc << 1;
			$crc &= 0xffff;
		}
	}
	return $crc % 16384;
}

sub live_ports { my $c = shift; grep { kill 0, $c->{pids}{$_} } @{$c->{ports}} }

sub slot_master {
	my ($c, $slot) = @_;
	for my $p (live_ports($c)) {
		my $s = eval { ccmd($p, 'CLUSTER', 'SLOTS') } or next;
		for my $r (@$s) {
			return [$r->[2][1], $r->[2][2]]
			    if $slot >= $r->[0] && $slot <= $r->[1];
		}
	}
	return undef;
}

sub node_id { ccmd($_[0], 'CLUSTER', 'MYID') }

sub ckey {
	my ($c, @a) = @_;
	my $m = slot_master($c, key_slot($a[1])) or die "no master";
	my $r = eval { ccmd($m->[0], @a) };
	if ($@ =~ /^redis error: (?:MOVED|ASK) \d+ [\d.]*:(\d+)/) {
		ccmd($1, 'ASKING') if $@ =~ /ASK/;
		return ccmd($1, @a);
	}
	die $@ if $@;
	return $r;
}

sub cluster_wait_ok {
	my $c = shift;
	for (1 .. 600) {
		my $ok = 1;
		for my $p (live_ports($c)) {
			my $i = eval { ccmd($p, 'CLUSTER', 'INFO') } // '';
			$ok = 0 unless $i =~ /cluster_state:ok/;
		}
		return 1 if $ok;
		sleep 0.1;
	}
	return 0;
}

# Every replica has finished its initial sync (a failover before that
# would promote a node without the data).
sub cluster_wait_synced {
	my $c = shift;
	for (1 .. 600) {
		my $ok = 1;
		for my $p (live_ports($c)) {
			my $i = eval { ccmd($p, 'INFO', 'replication') } // '';
			$ok = 0 if $i =~ /role:slave/ &&
			    $i !~ /master_link_status:up/;
		}
		return 1 if $ok;
		sleep 0.1;
	}
	return 0;
}

sub cluster_start {
	my ($nm, $nr, $timeout) = @_;
	my $c = { ports => [], pids => {} };
	my $dir = PolicydTest::dir();
	my $server = PolicydTest::redis_server() // die "no redis-server";
	for (1 .. $nm * (1 + $nr)) {
		my $p = free_port();
		my $pid = fork // die "fork: $!";
		if (!$pid) {
			open STDOUT, '>', "$dir/cluster-$p.log";
			exec $server, '--port', $p, '--bind', '127.0.0.1',
			    '--cluster-enabled', 'yes', '--cluster-config-file',
			    "$dir/cluster-$p.nodes", '--dbfilename',
			    "dump-$p.rdb", '--cluster-node-timeout',
			    $timeout, '--save', '', '--appendonly', 'no',
			    '--dir', $dir or POSIX::_exit(127);
		}
		push @{$c->{ports}}, $p;
		$c->{pids}{$p} = $pid;
	}
	for my $p (@{$c->{ports}}) {
		for (1 .. 200) { last if eval { ccmd($p, 'PING') }; sleep 0.05 }
	}
	my $addrs = join ' ', map { "127.0.0.1:$_" } @{$c->{ports}};
	system("redis-cli --cluster create $addrs --cluster-replicas $nr " .
	    "--cluster-yes >$dir/cluster-create.log 2>&1") == 0
	    or die "cluster create failed: " . PolicydTest::slurp("$dir/cluster-create.log");
	cluster_wait_ok($c) or die "cluster_state never ok";
	cluster_wait_synced($c) or die "replicas never synced";
	$c->{addr} = 'cluster:' . join(',', map { "127.0.0.1:$_" }
	    @{$c->{ports}}[0 .. ($nm > 1 ? 1 : 0)]);
	return $c;
}

sub cluster_stop {
	my $c = shift;
	for my $p (@{$c->{ports}}) {
		my $pid = $c->{pids}{$p};
		kill 'TERM', $pid;
		waitpid $pid, 0;
	}
	%conn = ();
	system('cp ' . PolicydTest::dir() . "/cluster-*.log $ENV{CLUSTER_LOG_DIR}")
	    if $ENV{CLUSTER_LOG_DIR};	# to look at after a failure
}

1;
