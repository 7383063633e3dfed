# Background jobs: $!, wait, kill.
cd "$1" || exit 9
(sleep 0.1; exit 6) &
p=$!
wait $p
echo "background job status: $?"
sleep 10 &
s=$!
kill $s
wait $s
echo "killed sleep status: $?"
sleep 10 &
s=$!
kill -KILL $s
wait $s
echo "SIGKILLed sleep status: $?"
for n in 1 2 3; do (sleep 0.0$n; exit $n) & done
wait
echo "waited for all: $?"
(echo from-background > bg.out) &
wait
echo "ok"
{ sleep 0.2; echo second; } &
echo first
wait
echo "kill of a finished job: $(kill $p 2>/dev/null; echo $?)"
