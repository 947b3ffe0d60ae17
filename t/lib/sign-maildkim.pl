#!/usr/bin/perl
# sign-maildkim.pl KEYFILE DOMAIN SELECTOR IN OUT -- sign message IN with
# Perl's Mail::DKIM::Signer (rsa-sha256, relaxed/relaxed) and write it to
# OUT with the new DKIM-Signature on top; line ends become CRLF.  Used by
# t/milter-inbound.t for signatures made by another implementation.
use strict;
use warnings;
use Mail::DKIM::Signer;
use Mail::DKIM::TextWrap;

@ARGV == 5 or do { print STDERR "usage: sign-maildkim.pl KEY DOMAIN SEL IN OUT\n"; exit 2 };
my ($key, $domain, $sel, $in, $out) = @ARGV;
my $s = Mail::DKIM::Signer->new(Algorithm => "rsa-sha256",
    Method => "relaxed", Domain => $domain, Selector => $sel,
    KeyFile => $key, Headers => "from:to:subject:date:message-id");
open(my $fh, "<", $in) or die "$in: $!\n";
my @lines;
while (my $l = <$fh>) {
	$l =~ s/\r?\n\z/\r\n/;
	push @lines, $l;
	$s->PRINT($l);
}
close $fh;
$s->CLOSE;
open(my $o, ">", $out) or die "$out: $!\n";
my $sig = $s->signature->as_string;
$sig =~ s/\r?\n/\r\n/g;
print $o $sig, "\r\n", @lines;
close $o or die "$out: $!\n";
exit 0;
