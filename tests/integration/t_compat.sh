#!/bin/bash
# t_compat.sh — ordinary programs keep working inside the sandbox: shells and
# pipes, Python, a compiler, git, sqlite, threads, a debugger.
. "$TESTS/lib.sh"

APP=$(app_id Compat)

run_sb --app="$APP" -- sh -c 'seq 1 1000 | sort -rn | head -1'
sb_is "$SB_OUT" 1000 "a shell pipeline works (seq | sort -rn | head)"

run_sb --app="$APP" -- python3 -c 'import json, hashlib; print(json.dumps({"v": 6 * 7}), hashlib.sha256(b"").hexdigest()[:8])'
sb_is "$SB_OUT" '{"v": 42} e3b0c442' "python3 runs and prints"

if have gcc; then
        W=$(mk_rwdir)
        cat >"$W/hello.c" <<'EOF'
#include <stdio.h>
int main(void) { printf("hello from %s\n", "gcc"); return 0; }
EOF
        chmod 644 "$W/hello.c"
        sb_sh --app="$APP" --filesystem="$W" "cd '$W' && gcc -O1 -o hello hello.c && ./hello"
        sb_is "$SB_OUT" "hello from gcc" "gcc compiles and runs a program in a granted directory"
        sb_ok "the compiled binary is on the host" [ -x "$W/hello" ]
else
        skip "gcc is not installed"
fi

if have git; then
        G=$(mk_rwdir)
        sb_sh --app="$APP" --filesystem="$G" "cd '$G' && mkdir repo && cd repo &&
                git init -q . && echo content >file && git add file &&
                git -c user.name=Empyra -c user.email=test@empyra.invalid commit -q -m 'first commit' &&
                git log --format=%s"
        sb_is "$SB_OUT" "first commit" "git init and commit work in a granted directory"
        sb_ok "the repository is on the host" [ -d "$G/repo/.git" ]
else
        skip "git is not installed"
fi

if have sqlite3; then
        sb_sh --app="$APP" 'sqlite3 /tmp/t.db "create table t(x integer); insert into t values (40), (2);" &&
                sqlite3 /tmp/t.db "select sum(x) from t;"'
        sb_is "$SB_OUT" 42 "sqlite3 creates a database in /tmp and queries it"
else
        skip "sqlite3 is not installed"
fi

run_sb --app="$APP" -- python3 -c '
import threading
lock = threading.Lock()
seen = []
def work(i):
    s = sum(range(100000))
    with lock:
        seen.append((i, threading.get_ident()))
threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(len(seen), len({i for i, _ in seen}))'
sb_is "$SB_OUT" "8 8" "a program with 8 threads works"

if have gdb; then
        run_sb --app="$APP" -- gdb -nx -batch -ex run --args /bin/true
        like "$SB_OUT" 'exited normally' "gdb runs a program to its end inside (ptrace, personality)"
        sb_ok "gdb exits 0" [ "$SB_RC" -eq 0 ]
else
        skip "gdb is not installed"
fi

if have strace; then
        run_sb --app="$APP" -- strace -f -qq -e trace=getpid sh -c 'exec true'
        sb_is "$SB_RC" 0 "strace can trace a program inside"
else
        skip "strace is not installed"
fi

done_testing
