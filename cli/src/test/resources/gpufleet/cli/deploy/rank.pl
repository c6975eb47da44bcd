#!/usr/bin/perl
# One rank of MultiHostIT's training job, as a torchrun-launched script would behave, in Perl so that
# a bare Debian (perl-base) runs it:
#   - checks the environment the agent gives it, and exits 2 when it is wrong;
#   - meets the other ranks over TCP at MASTER_ADDR:MASTER_PORT (rank 0 listens there, so a MASTER_ADDR
#     that is not rank 0's own address fails the bind; every other rank connects and says its RANK);
#   - resumes from the newest checkpoint in GPUFLEET_CHECKPOINT_DIR and says so;
#   - takes a step every half second; rank 0 writes a checkpoint every CKPT_EVERY steps and reports it
#     by appending "checkpoint STEP" to GPUFLEET_PROGRESS_FILE;
#   - exits 1 when the trigger file fail-RESTART-RANK appears.
# Every line it prints carries its launch id and a sequence number, so a repeated line in a log is a
# line shipped twice. What the test needs to know goes, one line per event, to a shared trace file.
#
# usage: rank.pl TRACE_FILE TRIGGER_DIR WORLD_SIZE CKPT_EVERY
use strict;
use warnings;
use IO::Handle;
use IO::Socket::INET;
use POSIX ();

my ($trace, $triggers, $world_expected, $every) = @ARGV;
die "usage: rank.pl TRACE_FILE TRIGGER_DIR WORLD_SIZE CKPT_EVERY\n" unless defined $every;
STDOUT->autoflush(1);

# Time::HiRes comes with Debian's perl, not with perl-base; on x86-64 clock_gettime is syscall 228
my $hires = eval { require Time::HiRes; 1 };
sub now_ms {
    return int(Time::HiRes::time() * 1000) if $hires;
    if ((POSIX::uname())[4] eq 'x86_64') {
        my $ts = "\0" x 16;
        if (syscall(228, 0, $ts) == 0) {
            my ($s, $ns) = unpack('q q', $ts);
            return $s * 1000 + int($ns / 1_000_000);
        }
    }
    return time() * 1000;
}

my $id = sprintf('%08x%05x', int(rand(0xffffffff)), $$ % 0x100000);
my $seq = 0;
my %e = map { $_ => ($ENV{$_} // '') } qw(RANK WORLD_SIZE LOCAL_RANK LOCAL_WORLD_SIZE GROUP_RANK MASTER_ADDR
    MASTER_PORT CUDA_VISIBLE_DEVICES GPUFLEET_JOB_ID GPUFLEET_RESTART_COUNT GPUFLEET_CHECKPOINT_DIR GPUFLEET_PROGRESS_FILE);
my ($rank, $restart) = ($e{RANK}, $e{GPUFLEET_RESTART_COUNT});

sub out { printf "r%s %s #%d t=%d %s\n", $rank, $id, ++$seq, now_ms(), $_[0]; }

sub trace {
    my ($kind, $rest) = @_;
    open(my $fh, '>>', $trace) or die "cannot append to $trace: $!\n";
    # one write of one line, to a file opened for appending: lines from many ranks do not interleave
    syswrite($fh, sprintf("%s t=%d id=%s pid=%d job=%s rank=%s restart=%s %s\n", $kind, now_ms(), $id, $$,
        $e{GPUFLEET_JOB_ID} || '-', $rank eq '' ? '-' : $rank, $restart eq '' ? '-' : $restart, $rest));
    close($fh);
}

sub bad {
    my ($why) = @_;
    out("bad: $why");
    (my $flat = $why) =~ s/\s+/_/g;
    trace('bad', "why=$flat");
    exit 2;
}

# the address other hosts reach this one at: the source address of a (silent) UDP socket aimed at MASTER_ADDR
my $probe = $e{MASTER_ADDR} =~ /^\d+\.\d+\.\d+\.\d+$/
    ? IO::Socket::INET->new(Proto => 'udp', PeerAddr => $e{MASTER_ADDR}, PeerPort => 9) : undef;
my $addr = $probe ? $probe->sockhost : '-';
trace('launch', sprintf('addr=%s local=%s of=%s group=%s world=%s master=%s:%s ckpt=%s progress=%s', $addr,
    map({ $_ eq '' ? '-' : $_ } @e{qw(LOCAL_RANK LOCAL_WORLD_SIZE GROUP_RANK WORLD_SIZE MASTER_ADDR MASTER_PORT
        GPUFLEET_CHECKPOINT_DIR GPUFLEET_PROGRESS_FILE)})));
out("launch pid $$ on $addr: rank $rank of $e{WORLD_SIZE}, local rank $e{LOCAL_RANK} of $e{LOCAL_WORLD_SIZE},"
    . " restart $restart, master $e{MASTER_ADDR}:$e{MASTER_PORT}");

for my $k (qw(RANK WORLD_SIZE LOCAL_RANK LOCAL_WORLD_SIZE GROUP_RANK MASTER_PORT GPUFLEET_JOB_ID GPUFLEET_RESTART_COUNT)) {
    bad("$k is '$e{$k}', not a number") unless $e{$k} =~ /^\d+$/;
}
bad("WORLD_SIZE is $e{WORLD_SIZE}, the job has $world_expected GPUs") unless $e{WORLD_SIZE} == $world_expected;
bad("RANK $rank is not below WORLD_SIZE $e{WORLD_SIZE}") unless $rank < $e{WORLD_SIZE};
bad("LOCAL_RANK $e{LOCAL_RANK} is not below LOCAL_WORLD_SIZE $e{LOCAL_WORLD_SIZE}") unless $e{LOCAL_RANK} < $e{LOCAL_WORLD_SIZE};
bad("RANK $rank is not GROUP_RANK $e{GROUP_RANK} x LOCAL_WORLD_SIZE $e{LOCAL_WORLD_SIZE} + LOCAL_RANK $e{LOCAL_RANK}")
    unless $rank == $e{GROUP_RANK} * $e{LOCAL_WORLD_SIZE} + $e{LOCAL_RANK};
my @visible = split /,/, $e{CUDA_VISIBLE_DEVICES};
my %distinct = map { $_ => 1 } @visible;
bad("CUDA_VISIBLE_DEVICES '$e{CUDA_VISIBLE_DEVICES}' does not name LOCAL_WORLD_SIZE $e{LOCAL_WORLD_SIZE} distinct GPUs")
    unless @visible == $e{LOCAL_WORLD_SIZE} && keys(%distinct) == @visible && !grep { !/^\d+$/ } @visible;
bad("MASTER_ADDR '$e{MASTER_ADDR}' is not an IPv4 address") unless $e{MASTER_ADDR} =~ /^\d+\.\d+\.\d+\.\d+$/;
bad("MASTER_PORT $e{MASTER_PORT} is not a port") unless $e{MASTER_PORT} >= 1 && $e{MASTER_PORT} <= 65535;
my $dir = $e{GPUFLEET_CHECKPOINT_DIR};
bad('GPUFLEET_CHECKPOINT_DIR is not set') if $dir eq '';
bad("GPUFLEET_CHECKPOINT_DIR $dir is not a directory") unless -d $dir || mkdir $dir;

# the rendezvous, as init_process_group's TCP store does it
$SIG{ALRM} = sub { bad("rendezvous at $e{MASTER_ADDR}:$e{MASTER_PORT} did not complete in 120 s") };
alarm 120;
if ($rank == 0) {
    my $srv = IO::Socket::INET->new(LocalAddr => $e{MASTER_ADDR}, LocalPort => $e{MASTER_PORT}, Listen => 128,
        ReuseAddr => 1, Proto => 'tcp')
        or bad("cannot listen on MASTER_ADDR:MASTER_PORT $e{MASTER_ADDR}:$e{MASTER_PORT}: $! (rank 0 runs on $addr)");
    my (%seen, @peers);
    while (@peers < $e{WORLD_SIZE} - 1) {
        my $c = $srv->accept or next;
        my $hello = <$c>;
        bad('a peer connected and said nothing') unless defined $hello;
        my ($r, $peer_id) = $hello =~ /^hello (\d+) (\S+)$/ or bad("a peer said '$hello'");
        bad("a peer claims rank $r, outside 1..WORLD_SIZE-1") unless $r >= 1 && $r < $e{WORLD_SIZE};
        bad("rank $r joined twice ($seen{$r} and $peer_id)") if exists $seen{$r};
        $seen{$r} = $peer_id;
        push @peers, $c;
    }
    print $_ "go\n" for @peers;
    close $_ for @peers;
    close $srv;
} else {
    my $c;
    until ($c = IO::Socket::INET->new(PeerAddr => $e{MASTER_ADDR}, PeerPort => $e{MASTER_PORT}, Proto => 'tcp',
            Timeout => 2)) {
        select(undef, undef, undef, 0.2); # rank 0 is not listening yet
    }
    print $c "hello $rank $id\n";
    my $go = <$c>;
    bad('rank 0 closed the rendezvous without an answer') unless defined $go && $go eq "go\n";
    close $c;
}
alarm 0;

opendir(my $dh, $dir) or bad("cannot read $dir: $!");
my $resume = 0;
for (readdir $dh) { $resume = $1 if /^step-(\d+)$/ && $1 > $resume; }
closedir $dh;
out("rendezvous of $e{WORLD_SIZE} ranks done; resumed from step $resume");
trace('resumed', "step=$resume addr=$addr");

my $progress = $e{GPUFLEET_PROGRESS_FILE};
my $step = $resume;
while ($step < $resume + 100_000) {
    select(undef, undef, undef, 0.5);
    $step++;
    out("step $step");
    if (-e "$triggers/fail-$restart-$rank") {
        out("failing on purpose at step $step");
        trace('exit', "step=$step code=1");
        exit 1;
    }
    next unless $rank == 0 && $step % $every == 0;
    my $tmp = "$dir/.step-$step.$id";
    open(my $ck, '>', $tmp) or bad("cannot write $tmp: $!");
    print $ck "step $step\n";
    close $ck or bad("cannot write $tmp: $!");
    rename $tmp, "$dir/step-$step" or bad("cannot rename $tmp: $!");
    my $reported = 0;
    if ($progress ne '') {
        open(my $p, '>>', $progress) or bad("cannot append to GPUFLEET_PROGRESS_FILE $progress: $!");
        syswrite($p, "checkpoint $step\n");
        close $p;
        $reported = 1;
    }
    out("checkpoint $step " . ($reported ? 'reported' : 'not reported: no GPUFLEET_PROGRESS_FILE'));
    trace('ckpt', "step=$step reported=$reported");
}
out('done');
