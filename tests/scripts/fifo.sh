# Named pipes: a blocking open waits for the other end; EOF when the writer goes.
# $1 is a scratch directory. Each background writer is waited for before the next
# blocking open: a child's SIGCHLD may interrupt an open in busybox sh (EINTR), natively too.
cd "$1" || exit 9
mkfifo f
( echo "through the fifo" > f ) &
cat f
wait
( sleep 0.2; echo "late writer" > f ) &
read line < f
echo "got: $line"
wait
( exec 3> f; sleep 0.1; echo one >&3; echo two >&3 ) &
while read l; do echo "line: $l"; done < f
wait
echo done
