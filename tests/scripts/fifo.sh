# Named pipes: a blocking open waits for the other end; EOF when the writer goes.
# $1 is a scratch directory.
cd "$1" || exit 9
mkfifo f
( echo "through the fifo" > f ) &
cat f
( sleep 0.2; echo "late writer" > f ) &
read line < f
echo "got: $line"
( exec 3> f; sleep 0.1; echo one >&3; echo two >&3 ) &
while read l; do echo "line: $l"; done < f
wait
echo done
