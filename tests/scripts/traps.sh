# trap on EXIT/INT/TERM; a signal to ourselves runs the trap.
trap 'echo "EXIT trap, status $?"' EXIT
trap 'echo "caught TERM"' TERM
trap 'echo "caught INT"' INT
trap 'echo "caught USR1"' USR1
kill -TERM $$
echo "after TERM"
kill -INT $$
echo "after INT"
kill -USR1 $$
echo "after USR1"
trap - TERM
( trap 'echo "subshell EXIT trap"' EXIT; echo "in subshell" )
( trap 'echo "subshell caught TERM"; exit 4' TERM; kill -TERM $(exec sh -c 'echo $PPID'); echo "not reached" )
echo "subshell with TERM trap: $?"
trap '' USR2
kill -USR2 $$
echo "USR2 ignored"
sh -c 'kill -TERM $$'; echo "child killed by TERM: $?"
sh -c 'kill -KILL $$'; echo "child killed by KILL: $?"
sh -c 'kill -USR2 $$'; echo "child with inherited ignored USR2: $?"
exit 5
