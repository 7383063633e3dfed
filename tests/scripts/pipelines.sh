# Pipelines, command substitution, subshells, here-documents, redirections
# and `read` from a pipe.  $1 is a scratch directory.
set -u
cd "$1" || exit 9

echo "== pipelines"
printf 'banana\napple\ncherry\napple\n' | sort | uniq -c | sed 's/^ *//'
echo one two three | tr ' ' '\n' | wc -l | tr -d ' '
seq 1 1000 | grep 7 | tail -n 3
printf 'x\n' | false | true; echo "status of false|true: $?"
printf 'x\n' | true | false; echo "status of true|false: $?"
! false; echo "negated: $?"

echo "== command substitution"
n=$(echo hello | wc -c | tr -d ' ')
echo "bytes in hello: $n"
nested=$(echo "outer $(echo inner $(echo innermost))")
echo "$nested"
lines=$(printf 'a\nb\n\n\n')
echo "trailing newlines stripped: [$lines]"
echo "backquotes: `echo old style`"
v=$(exit 4); echo "status of v=\$(exit 4): $?"

echo "== subshells"
x=outer
(x=inner; echo "in subshell: $x"; exit 3)
echo "subshell status: $?, x still: $x"
(cd /; echo "subshell cwd: $(pwd)")
echo "cwd unchanged: $([ "$(pwd)" = "$1" ] && echo yes || echo no)"
{ echo grouped one; echo grouped two; } | wc -l | tr -d ' '
( (echo deep; exit 7); echo "inner status $?" )

echo "== here-documents"
name=world
cat <<END
hello $name
sum: $((2 + 3))
END
cat <<'END'
literal $name $(echo no)
END
while read -r a b; do echo "read: b=$b a=$a"; done <<END
1 first
2 second
END

echo "== redirections"
echo first > out.txt
echo second >> out.txt
cat out.txt
wc -l < out.txt | tr -d ' '
ls /nonexistent-dir-for-test > err.txt 2>&1; echo "ls status nonzero: $([ $? -ne 0 ] && echo yes)"
echo "stderr captured: $([ -s err.txt ] && echo yes || echo no)"
{ echo to-stdout; echo to-stderr >&2; } 2>/dev/null
{ echo to-stderr >&2; } 2>&1 | tr a-z A-Z
exec 3> fd3.txt
echo via fd 3 >&3
exec 3>&-
cat fd3.txt
exec 4< out.txt
read -r l1 <&4
read -r l2 <&4
exec 4<&-
echo "read from fd 4: $l1 $l2"
: > empty.txt; echo "truncated size: $(wc -c < empty.txt | tr -d ' ')"

echo "== read from a pipe"
printf 'alpha beta\ngamma delta\n' | while read -r first second; do
    echo "$second $first"
done
printf 'k=v\n' | { IFS== read -r key val; echo "key=$key val=$val"; }
count=0
seq 1 50 | { while read -r i; do count=$((count + i)); done; echo "sum in pipe subshell: $count"; }
echo "count in parent: $count"
echo done
