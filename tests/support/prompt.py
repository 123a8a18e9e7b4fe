"""Runs a command on a real pseudo-terminal, answers its password prompt, and prints everything
the terminal showed. Used by the credentials tests: the prompt must read from the terminal and
must not echo what is typed. Usage: prompt.py PASSWORD COMMAND [ARGS...]"""
import os
import pty
import select
import sys
import time

password, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)

seen = b""
deadline = time.time() + 20
answered = False
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.2)
    if ready:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    if not answered and b"password for" in seen:
        time.sleep(0.2)
        os.write(fd, password.encode() + b"\n")
        answered = True
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(seen)
sys.exit(os.waitstatus_to_exitcode(status))
