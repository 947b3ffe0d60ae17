#!/usr/bin/perl
# bench/abuse.pl -- abusive policy clients for bench/run abuse (a load,
# not a test: nothing is asserted).
#
#   abuse.pl slow  SOCKET N SECS   N connections, each sending a policy
#                                  request a byte a second; one closed by
#                                  the daemon is opened again
#   abuse.pl flood SOCKET SECS     one connection, requests pipelined as
#                                  fast as the daemon takes them, replies
#                                  read as they come
#
# Prints one line "RESULT mode=... key=value ..." at the end.
use strict;
use warnings;
use IO::Select;
use Socket qw(AF_UNIX SOCK_STREAM pack_sockaddr_un);
use Time::HiRes qw(time sleep);

$SIG{PIPE} = 'IGNORE';
my ($mode, $path, @arg) = @ARGV;
die "usage: abuse.pl slow SOCKET N SECS | flood SOCKET SECS\n"
    unless $mode && $path && @arg;
my $REQ = "request=smtpd_access_policy\nprotocol_state=RCPT\n"
    . "sasl_username=user00001\@example.com\nsender=a\@example.com\n"
    . "recipient=b\@example.org\ninstance=abuse\n\n";

sub conn {
	socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
	connect($s, pack_sockaddr_un($path)) or die "connect $path: $!";
	return $s;
}

if ($mode eq 'slow') {
	my ($n, $secs) = @arg;
	my @s = map { [conn(), 0] } 1 .. $n;
	my ($t0, $closed, $bytes) = (time, 0, 0);
	while (time - $t0 < $secs) {
		for my $c (@s) {
			if (!defined syswrite($c->[0], substr($REQ,
			    $c->[1] % length $REQ, 1))) {
				$closed++;
				@$c = (conn(), 0);
				next;
			}
			$c->[1]++;
			$bytes++;
		}
		sleep 1;
	}
	print "RESULT mode=slow conns=$n bytes=$bytes closed_by_daemon=$closed\n";
} elsif ($mode eq 'flood') {
	my ($secs) = @arg;
	my $s = conn();
	my $block = $REQ x 500;
	my $sel = IO::Select->new($s);
	my ($t0, $sent, $got, $buf) = (time, 0, 0, '');
	while (time - $t0 < $secs) {
		my ($r, $w) = IO::Select->select($sel, $sent - $got < 20000 ?
		    $sel : undef, undef, 1);
		if ($w && @$w) {
			my $n = syswrite($s, $block) // last;
			die "short write" if $n != length $block; # blocking socket
			$sent += 500;
		}
		if ($r && @$r) {
			my $n = sysread($s, $buf, 1 << 16) or last;
			$got += ($buf =~ tr/\n//) / 2;
		}
	}
	printf "RESULT mode=flood sent=%d replies=%d rate=%.0f\n", $sent, $got,
	    $got / (time - $t0);
} else {
	die "abuse.pl: unknown mode $mode\n";
}
