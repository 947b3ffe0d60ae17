# Sys::Syslog stand-in for running postfwd2 in bench/run: this machine has
# no /dev/log, and Net::Server dies when openlog() fails.  Messages are
# appended to syslog.log in the directory above bench/perl/ copies' parent
# (bench/run copies this tree into its temp dir), so postfwd's startup
# errors stay readable.  Used only with perl -I; never installed.
package Sys::Syslog;
use strict;
use Exporter 'import';
our $VERSION = '0.36';
our @EXPORT = qw(openlog syslog closelog setlogmask);
our @EXPORT_OK = qw(setlogsock openlog syslog closelog setlogmask);
our %EXPORT_TAGS = (DEFAULT => [@EXPORT], standard => [@EXPORT]);
my $log = __FILE__;
$log =~ s{perl/Sys/Syslog\.pm$}{syslog.log};
($log) = $log =~ /(.*)/;	# untaint: our own file name
sub openlog { 1 }
sub closelog { 1 }
sub setlogsock { 1 }
sub setlogmask { 0xff }
sub syslog {
	my ($prio, $fmt, @args) = @_;
	if (open(my $fh, '>>', $log)) {
		print $fh "$prio: ", (@args ? sprintf($fmt, @args) : $fmt), "\n";
		close $fh;
	}
	return 1;
}
1;
