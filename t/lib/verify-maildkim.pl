#!/usr/bin/perl
# verify-maildkim.pl MESSAGE DNSFILE -- verify the DKIM signatures of
# MESSAGE with Perl's Mail::DKIM::Verifier, DNS answered from DNSFILE
# ("NAME<TAB>TXT" lines) by replacing Mail::DKIM::PublicKey::fetch_async.
#
# Prints one line per signature, topmost first:
#     i=IDX a=ALG d=DOMAIN s=SELECTOR result=pass|fail|skipped [DETAIL]
# Mail::DKIM 1.2023 cannot verify ed25519-sha256: those are "skipped".
# Exit 0 when at least one signature was checked and all checked ones
# pass, 1 otherwise ("no signatures" when there is none), 2 on usage or
# I/O errors.
use strict;
use warnings;
use Mail::DKIM::Verifier;
use Mail::DKIM::PublicKey;

@ARGV == 2 or do { print STDERR "usage: verify-maildkim.pl MESSAGE DNSFILE\n"; exit 2 };
my ($file, $dnsfile) = @ARGV;

my %dns;
open(my $dh, '<', $dnsfile) or do { print STDERR "$dnsfile: $!\n"; exit 2 };
while (my $l = <$dh>) {
	$l =~ s/\r?\n\z//;
	next if $l eq '' || $l =~ /^#/;
	my ($name, $txt) = split(/\t/, $l, 2);
	$name = lc $name;
	$name =~ s/\.\z//;
	$dns{$name} = $txt;
}
close $dh;

{
	no warnings 'redefine';
	# Same contract as the original: takes Selector/Domain/Callbacks,
	# returns a closure that, when called, runs Success or Error.
	*Mail::DKIM::PublicKey::fetch_async = sub {
		my ($class, %prms) = @_;
		my %cb = %{ $prms{Callbacks} || {} };
		my $ok = $cb{Success} || sub { $_[0] };
		my $err = $cb{Error} || sub { die $_[0] };
		my $name = lc "$prms{Selector}._domainkey.$prms{Domain}";
		return sub {
			my $txt = $dns{$name};
			return $ok->() unless defined $txt;
			my $key = eval {
				my $k = $class->parse($txt);
				$k->{Selector} = $prms{Selector};
				$k->{Domain} = $prms{Domain};
				$k->check;
				$k;
			};
			return $err->($@) unless $key;
			return $ok->($key);
		};
	};
}

open(my $fh, '<:raw', $file) or do { print STDERR "$file: $!\n"; exit 2 };
my $msg = do { local $/; <$fh> };
close $fh;
$msg =~ s/(?<!\r)\n/\r\n/g;

my $v = Mail::DKIM::Verifier->new;
$v->PRINT($msg);
$v->CLOSE;

my @sigs = grep { $_->isa('Mail::DKIM::Signature')
    && !$_->isa('Mail::DKIM::DkSignature') } $v->signatures;
if (!@sigs) {
	print "no signatures\n";
	exit 1;
}
my ($checked, $bad, $i) = (0, 0, 0);
for my $s (@sigs) {
	my $alg = $s->algorithm // '?';
	my $res = $s->result // 'none';
	my $detail = $s->result_detail // '';
	if ($alg =~ /^ed25519/ && $res eq 'invalid') {
		$res = 'skipped';
	} else {
		$checked++;
		$bad++ if $res ne 'pass';
	}
	$detail = '' if $res eq 'pass';
	printf "i=%d a=%s d=%s s=%s result=%s%s\n", $i++, $alg,
	    $s->domain // '?', $s->selector // '?', $res,
	    $detail eq '' ? '' : " $detail";
}
exit($checked && !$bad ? 0 : 1);
