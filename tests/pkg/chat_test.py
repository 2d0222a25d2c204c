#!/usr/bin/env python3
"""chat_test.py - drives two instances of examples/chat as two people would.

    python3 tests/pkg/chat_test.py CHAT-BINARY WORKDIR

Alice and Bob each have a data directory of their own under WORKDIR and
listen on 127.0.0.1 only. Bob writes his identity to a file; Alice starts
the chat, says a line, invites Bob from that file; Bob joins and must see
Alice's earlier line as history; then lines go both ways, Bob whispers to
Alice over a direct connection and she whispers back on it, Alice lists
the members, and both quit cleanly. Every expectation waits for a line of
the program's output (a time limit each) and fails with everything the
program printed. Standard library only; exits 0 on success.
"""

import os
import queue
import re
import subprocess
import sys
import threading
import time

TIMEOUT = 30.0


class Chat:
    """One running chat: its input, and its output lines as they come."""

    def __init__(self, who, binary, home, args, cwd):
        env = dict(os.environ, P2P_HOME=home, P2P_LISTEN="127.0.0.1:0", P2P_DISCOVERY="0")
        self.who = who
        self.proc = subprocess.Popen([binary] + args, cwd=cwd, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self.lines.put(None)

    def type(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def expect(self, pattern):
        """Wait for an output line matching pattern (a full match)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = "(timed out)"
            if line is None or line == "(timed out)":
                self.fail("no line matching %r (%s)" % (pattern, "exited" if line is None else "timed out"))
            self.seen.append(line)
            if re.fullmatch(pattern, line):
                return line

    def fail(self, why):
        raise AssertionError("%s: %s; it printed:\n  %s" % (self.who, why, "\n  ".join(self.seen)))

    def quit(self):
        self.type("/quit")
        self.expect(r"\* bye")
        if self.proc.wait(TIMEOUT) != 0:
            self.fail("exit status %d" % self.proc.returncode)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def main():
    binary, work = os.path.abspath(sys.argv[1]), sys.argv[2]
    homes = {n: os.path.join(work, n) for n in ("alice", "bob")}
    start = time.monotonic()

    ident = subprocess.run([binary, "identity", "Bob", "bob.xml"], cwd=work, capture_output=True, text=True,
                           env=dict(os.environ, P2P_HOME=homes["bob"]), timeout=TIMEOUT)
    assert ident.returncode == 0 and os.path.exists(os.path.join(work, "bob.xml")), ident.stdout + ident.stderr

    alice = Chat("Alice", binary, homes["alice"], ["create", "Alice"], work)
    bob = None
    try:
        alice.expect(r"\* created Alice's chat; .*")
        alice.type("hello before Bob joined")
        alice.expect(r"Alice: hello before Bob joined")
        alice.type("/invite bob.xml bob.inv")
        alice.expect(r"\* invitation for Bob written to bob.inv")
        print("Alice created the chat, said a line and invited Bob")

        bob = Chat("Bob", binary, homes["bob"], ["join", "Bob", "bob.inv"], work)
        bob.expect(r"\* joined Alice's chat, invited by Alice; connecting")
        bob.expect(r"Alice: hello before Bob joined")
        bob.expect(r"\* 1 earlier message")
        print("Bob joined and saw the history")

        bob.type("hi Alice, ça va? 👋")
        bob.expect(r"Bob: hi Alice, ça va\? 👋")
        alice.expect(r"Bob: hi Alice, ça va\? 👋")
        alice.type("second line")
        bob.expect(r"Alice: second line")
        print("lines went both ways")

        bob.type("/whisper Alice psst")
        bob.expect(r"\* opening a direct connection to Alice")
        bob.expect(r"\(to Alice\) psst")
        alice.expect(r"\* Bob opened a direct connection")
        alice.expect(r"\(from Bob\) psst")
        alice.type("/whisper Bob back at you")
        alice.expect(r"\(to Bob\) back at you")
        bob.expect(r"\(from Alice\) back at you")
        print("Bob whispered to Alice over a direct connection; she answered on it")

        alice.type("/members")
        alice.expect(r"\* Bob( \(online\))?")
        bob.quit()
        alice.expect(r"\* direct connection with Bob closed")
        alice.quit()
        print("both quit (%.1f s)" % (time.monotonic() - start))
    finally:
        alice.kill()
        if bob:
            bob.kill()
    print("PASS chat")


if __name__ == "__main__":
    main()
