# 200 fork+exec of /bin/true in a loop, then a few external commands.
i=0
while [ $i -lt 200 ]; do
    /bin/true
    i=$((i + 1))
done
echo "ran /bin/true $i times"
fails=0
j=0
while [ $j -lt 20 ]; do
    /bin/false || fails=$((fails + 1))
    j=$((j + 1))
done
echo "failures: $fails"
k=0
while [ $k -lt 20 ]; do
    v=$(/bin/echo "$k")
    [ "$v" = "$k" ] || echo "mismatch at $k"
    k=$((k + 1))
done
echo "command substitutions: $k"
/bin/sh -c 'exit 17'; echo "sh -c exit 17: $?"
