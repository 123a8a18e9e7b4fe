#!/usr/bin/python3
"""Interop tier: ahasmtp against SMTP software nobody here wrote.

- aiosmtpd with STARTTLS (a CA and certificate made now with openssl), AUTH PLAIN required after
  TLS, a 50-recipient and 20 MB limit, and handlers that answer AhaSend's codes;
- Postfix's smtp-sink (plain SMTP, PIPELINING) dumping every transaction to files;
- swaks as a reference client: the same message from swaks and from ahasmtp must arrive with the
  same envelope and equivalent MIME content;
- git send-email and s-nail using ahasmtp as their sendmail.

Messages are checked with Python's email parser. Run by .ci/run after `cargo test`:
    /usr/bin/python3 tests/interop/interop.py target/debug/ahasmtp
Ends with 'N passed, N failed'; exits non-zero when anything failed or could not run.
"""

import email
import email.policy
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

BIN = os.path.abspath("target/debug/ahasmtp")  # main() takes it from argv
USER, PASSWORD = "interop-user", "interop-Pässwörd"
WORK = tempfile.mkdtemp(prefix="ahasmtp-interop-")
GIT = "/usr/bin/git"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, **kw)


def make_certificates():
    """A CA and a leaf for localhost / 127.0.0.1, signed by it."""
    d = tempfile.mkdtemp(prefix="tls-", dir=WORK)
    p = lambda n: os.path.join(d, n)
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=interop CA",
       "-keyout", p("ca.key"), "-out", p("ca.pem"))
    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=mx.interop.test",
       "-keyout", p("leaf.key"), "-out", p("leaf.csr"))
    with open(p("ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    sh("openssl", "x509", "-req", "-in", p("leaf.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
       "-CAcreateserial", "-days", "2", "-extfile", p("ext"), "-out", p("leaf.pem"))
    return p("ca.pem"), p("leaf.pem"), p("leaf.key")


class Handler:
    """Stores accepted messages; answers AhaSend's codes for marked addresses and headers."""

    def __init__(self):
        self.messages = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address == "suspended@example.com":
            return "521 Account disabled"
        if address == "unconfigured@example.com":
            return "556 Invalid account or domain"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if len(envelope.rcpt_tos) >= 50:
            return "452 4.5.3 Too many recipients"
        if address.endswith("@tempmail.example"):
            return "553 Requested action not taken: recipient domain is toxic or tempmail"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if msg["X-Interop-Reply"]:
            return str(msg["X-Interop-Reply"])
        self.messages.append({
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "content": envelope.content,
            "auth": bool(session.authenticated),
            "tls": session.ssl is not None,
            "options": list(envelope.mail_options),
        })
        return "250 2.0.0 Ok: queued as INTEROP"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (mechanism == "PLAIN" and isinstance(auth_data, LoginPassword)
          and auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # handled=True would send no reply at all


def start_aiosmtpd(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    handler = Handler()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, server_hostname="mx.interop.test",
        tls_context=ctx, require_starttls=True, auth_require_tls=True, auth_required=True,
        authenticator=authenticator, data_size_limit=20 * 1024 * 1024,
    )
    controller.start()
    return controller, handler, port


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


class Env:
    def __init__(self, port, ca):
        self.port, self.ca = port, ca
        self.empty = os.path.join(WORK, "empty.toml")
        open(self.empty, "w").close()
        os.chmod(self.empty, 0o600)

    def env(self, **extra):
        e = {"PATH": os.environ.get("PATH", ""), "HOME": WORK, "AHASMTP_CONFIG": self.empty,
             "AHASEND_SMTP_PASSWORD": PASSWORD}
        e.update(extra)
        return e

    def conn(self):
        return ["--server", f"127.0.0.1:{self.port}", "--ca-file", self.ca, "--user", USER]

    def run(self, args, stdin=b"", env=None, program=None):
        p = subprocess.run([program or BIN] + args, input=stdin, capture_output=True, env=env or self.env(), timeout=60)
        out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        for secret in (PASSWORD,):
            assert secret not in out and secret not in err, "secret leaked into output"
        return p.returncode, out, err


def config_file(port, ca, extra=""):
    secret = os.path.join(WORK, "secret")
    with open(secret, "w") as f:
        f.write(PASSWORD + "\n")
    os.chmod(secret, 0o600)
    path = os.path.join(WORK, f"config-{port}.toml")
    with open(path, "w") as f:
        f.write(f'[profile.default]\nserver = "127.0.0.1:{port}"\nca_file = "{ca}"\nuser = "{USER}"\n'
                f'password_file = "{secret}"\nfrom = "Alerts <alerts@example.com>"\nrewrite_from = true\n{extra}\n'
                f'[profile.default.aliases]\nroot = "ops@example.com"\n')
    os.chmod(path, 0o600)
    return path


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


# --- aiosmtpd -------------------------------------------------------------------------------

@test
def send_rich_message(ctx):
    e, h = ctx["env"], ctx["handler"]
    att = os.path.join(WORK, "data.bin")
    blob = bytes((i * 7919) % 256 for i in range(50_000))
    with open(att, "wb") as f:
        f.write(blob)
    code, out, err = e.run(["send", *e.conn(), "--json", "--from", "Bot <bot@example.com>", "--to", "a@example.com",
                            "--cc", "c@example.com", "--bcc", "hidden@example.com", "--subject", "Grüße ✓",
                            "--text", "plain ✓\n.dot\n", "--html", "<p>html</p>", "--attach", att, "--tag", "interop"])
    assert code == 0, err
    assert json.loads(out)["status"] == "sent"
    m = h.messages[-1]
    assert m["auth"] and m["tls"], m
    assert m["from"] == "bot@example.com"
    assert m["to"] == ["a@example.com", "c@example.com", "hidden@example.com"], m["to"]
    assert b"hidden@example.com" not in m["content"]
    msg = parse(m["content"])
    assert msg["Subject"] == "Grüße ✓"
    assert msg["ahasend-tags"] == "interop"
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == "plain ✓\n.dot\n"
    assert msg.get_body(("html",)).get_content().strip() == "<p>html</p>"
    [a] = list(msg.iter_attachments())
    assert a.get_filename() == "data.bin" and a.get_content() == blob


@test
def check_against_aiosmtpd(ctx):
    e = ctx["env"]
    code, out, err = e.run(["check", *e.conn(), "--json"])
    assert code == 0, err
    j = json.loads(out)
    assert j["auth"] == "accepted" and j["capabilities"]["size"] == 20 * 1024 * 1024, j
    code, out, err = e.run(["check", *e.conn(), "--json"], env=e.env(AHASEND_SMTP_PASSWORD="wrong"))
    assert code == 77, (code, err)


@test
def ahasend_codes_and_exit_statuses(ctx):
    e = ctx["env"]
    base = ["send", *e.conn(), "--retries", "0", "--subject", "s", "--text", "t"]
    cases = [
        (["--from", "a@example.com", "--to", "x@tempmail.example"], 65, "Recipient Shield"),
        (["--from", "suspended@example.com", "--to", "b@example.com"], 69, "suspended or out of credits"),
        (["--from", "unconfigured@example.com", "--to", "b@example.com"], 69, "not configured"),
        (["--from", "a@example.com", "--to", "b@example.com", "--header", "X-Interop-Reply: 552 Invalid message format"], 65, "malformed"),
        (["--from", "a@example.com", "--to", "b@example.com", "--header", "X-Interop-Reply: 451 4.3.0 Internal server error"], 75, "temporary"),
    ]
    for args, want, meaning in cases:
        code, out, err = e.run(base + args)
        assert code == want, (args, code, err)
        assert meaning in err, (meaning, err)


@test
def recipient_limit_and_split(ctx):
    e, h = ctx["env"], ctx["handler"]
    many = ",".join(f"r{i}@example.com" for i in range(60))
    before = len(h.messages)
    code, out, err = e.run(["send", *e.conn(), "--from", "a@example.com", "--bcc", many, "--subject", "s", "--text", "t"])
    assert code == 65 and len(h.messages) == before, err
    code, out, err = e.run(["send", *e.conn(), "--split", "--from", "a@example.com", "--bcc", many, "--subject", "s", "--text", "t"])
    assert code == 0, err
    assert [len(m["to"]) for m in h.messages[before:]] == [50, 10]


@test
def size_limit_from_the_server(ctx):
    e = ctx["env"]
    big = os.path.join(WORK, "big.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(15 * 1024 * 1024))
    code, out, err = e.run(["send", *e.conn(), "--from", "a@example.com", "--to", "b@example.com", "--subject", "s", "--text", "t", "--attach", big])
    assert code == 65, (code, err)
    assert "Trying" not in err, "refused before connecting"


@test
def sendmail_t_via_symlink(ctx):
    e, h = ctx["env"], ctx["handler"]
    link = os.path.join(WORK, "sendmail")
    if not os.path.exists(link):
        os.symlink(BIN, link)
    cfg = config_file(e.port, e.ca)
    msg = b"From: root (Cron Daemon)\nTo: root\nBcc: audit@example.com\nSubject: Cron <root@web1> backup\n\n.line with a dot\nok\n"
    code, out, err = e.run(["-FCronDaemon", "-i", "-t"], stdin=msg, env=e.env(AHASMTP_CONFIG=cfg, AHASEND_SMTP_PASSWORD=""), program=link)
    assert code == 0 and out == "" and err == "", (code, err)
    m = h.messages[-1]
    assert m["to"] == ["ops@example.com", "audit@example.com"], m["to"]
    assert m["from"] == "alerts@example.com"
    msg = parse(m["content"])
    assert msg["From"].addresses[0].addr_spec == "alerts@example.com"
    assert msg["From"].addresses[0].display_name == "Cron Daemon"
    assert msg["Date"] and msg["Message-ID"] and msg["Bcc"] is None
    assert msg.get_content().startswith(".line with a dot")


@test
def small_batch(ctx):
    e, h = ctx["env"], ctx["handler"]
    before = len(h.messages)
    lines = "".join(json.dumps({"id": f"b{i}", "to": [f"b{i}@example.com"], "subject": f"batch {i}"}) + "\n" for i in range(30))
    code, out, err = e.run(["batch", *e.conn(), "--from", "shop@example.com", "--text", "hi", "-"], stdin=lines.encode())
    assert code == 0, err
    results = [json.loads(l) for l in out.splitlines()]
    assert len(results) == 30 and all(r["status"] == "sent" for r in results)
    got = sorted(t for m in h.messages[before:] for t in m["to"])
    assert got == sorted(f"b{i}@example.com" for i in range(30))


@test
def swaks_and_ahasmtp_deliver_the_same_message(ctx):
    e, h = ctx["env"], ctx["handler"]
    att = os.path.join(WORK, "same.txt")
    with open(att, "w") as f:
        f.write("attached text\n")
    common = dict(frm="same@example.com", to="rcpt@example.com", subject="same message", body="the same body")
    before = len(h.messages)
    sh("swaks", "--server", f"127.0.0.1:{e.port}", "--tls", "--auth", "PLAIN", "--auth-user", USER,
       "--auth-password", PASSWORD, "--from", common["frm"], "--to", common["to"],
       "--header", f"Subject: {common['subject']}", "--body", common["body"], "--attach", f"@{att}",
       "--attach-type", "text/plain", "--attach-name", "same.txt", "--silent", "2")
    code, out, err = e.run(["send", *e.conn(), "--from", common["frm"], "--to", common["to"], "--subject", common["subject"],
                            "--text", common["body"], "--attach", att])
    assert code == 0, err
    swaks, ours = h.messages[before], h.messages[before + 1]
    assert (swaks["from"], swaks["to"]) == (ours["from"], ours["to"])
    a, b = parse(swaks["content"]), parse(ours["content"])
    assert a["Subject"] == b["Subject"]
    body = lambda m: m.get_body(("plain",)).get_content().strip()
    assert body(a) == body(b) == common["body"], (body(a), body(b))
    files = lambda m: [(p.get_filename(), p.get_payload(decode=True)) for p in m.iter_attachments()]
    assert files(a) == files(b) == [("same.txt", b"attached text\n")], (files(a), files(b))


@test
def git_send_email_through_ahasmtp_sendmail(ctx):
    e, h = ctx["env"], ctx["handler"]
    repo = os.path.join(WORK, "repo")
    os.makedirs(repo)
    genv = e.env(GIT_AUTHOR_NAME="Dev", GIT_AUTHOR_EMAIL="dev@example.com", GIT_COMMITTER_NAME="Dev",
                 GIT_COMMITTER_EMAIL="dev@example.com", AHASMTP_CONFIG=config_file(e.port, e.ca), AHASEND_SMTP_PASSWORD="")
    run = lambda *a: subprocess.run([GIT, *a], cwd=repo, env=genv, check=True, capture_output=True)
    run("init", "-q")
    with open(os.path.join(repo, "frob.c"), "w") as f:
        f.write("int frob(void) { return 1; }\n")
    run("add", "frob.c")
    run("commit", "-q", "-m", "frob: return one\n\n.A line starting with a dot.")
    run("format-patch", "-1", "-o", "out")
    before = len(h.messages)
    link = os.path.join(WORK, "sendmail")
    run("send-email", f"--smtp-server={link}", "--to=list@example.com", "--cc=reviewer@example.com",
        "--bcc=archive@example.com", "--from=Dev <dev@example.com>", "--suppress-cc=all", "--confirm=never",
        "--quiet", "out")
    m = h.messages[before]
    assert sorted(m["to"]) == ["archive@example.com", "list@example.com", "reviewer@example.com"], m["to"]
    assert b"archive@example.com" not in m["content"]
    msg = parse(m["content"])
    assert msg["Subject"] == "[PATCH] frob: return one", msg["Subject"]
    text = msg.get_content()
    assert ".A line starting with a dot." in text and "int frob(void)" in text


@test
def s_nail_sends_an_attachment_through_ahasmtp_sendmail(ctx):
    e, h = ctx["env"], ctx["handler"]
    blob = bytes(range(256)) * 64
    att = os.path.join(WORK, "nail.bin")
    with open(att, "wb") as f:
        f.write(blob)
    before = len(h.messages)
    senv = e.env(AHASMTP_CONFIG=config_file(e.port, e.ca), AHASEND_SMTP_PASSWORD="", MAILRC="/dev/null")
    p = subprocess.run(["s-nail", "-n", "-S", f"mta={os.path.join(WORK, 'sendmail')}", "-S", "sendwait",
                        "-r", "ops@example.com", "-s", "from s-nail", "-a", att, "nail@example.com"],
                       input=b"body from s-nail\n", env=senv, capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    m = h.messages[before]
    assert m["to"] == ["nail@example.com"]
    msg = parse(m["content"])
    assert msg["Subject"] == "from s-nail"
    [a] = list(msg.iter_attachments())
    assert a.get_content() == blob


# --- Postfix smtp-sink -----------------------------------------------------------------------

@test
def smtp_sink_send_and_batch(ctx):
    e = ctx["env"]
    port = free_port()
    dump = os.path.join(WORK, "sink")
    os.makedirs(dump)
    os.chmod(WORK, 0o711)  # smtp-sink writes as nobody
    os.chmod(dump, 0o777)
    sink = subprocess.Popen(["/usr/sbin/smtp-sink", "-u", "nobody", "-d", f"{dump}/%H%M%S.", f"127.0.0.1:{port}", "100"])
    try:
        time.sleep(0.5)
        env = e.env(AHASEND_SMTP_PASSWORD="")
        code, out, err = e.run(["send", "--tls", "none", "--server", f"127.0.0.1:{port}", "--from", "a@example.com",
                                "--to", "b@example.com", "--subject", "to the sink", "--text", ".dot\nbody"], env=env)
        assert code == 0, err
        assert "PIPELINING" in err
        lines = "".join(json.dumps({"to": [f"s{i}@example.com"]}) + "\n" for i in range(200))
        code, out, err = e.run(["batch", "--tls", "none", "--server", f"127.0.0.1:{port}", "--connections", "2",
                                "--from", "a@example.com", "--subject", "sink batch", "--text", "x", "-"],
                               stdin=lines.encode(), env=env)
        assert code == 0, err
        assert sum(json.loads(l)["status"] == "sent" for l in out.splitlines()) == 200
        time.sleep(0.3)
        files = [os.path.join(r, f) for r, _, fs in os.walk(dump) for f in fs]
        assert len(files) == 201, len(files)
        dumped = b"".join(open(f, "rb").read() for f in files)
        assert b"Subject: to the sink" in dumped and b"\n..dot" not in dumped
    finally:
        sink.terminate()
        sink.wait()


def main():
    global BIN
    if len(sys.argv) > 1:
        BIN = os.path.abspath(sys.argv[1])
    ca, cert, key = make_certificates()
    controller, handler, port = start_aiosmtpd(cert, key)
    ctx = {"env": Env(port, ca), "handler": handler}
    passed = failed = 0
    try:
        for t in TESTS:
            try:
                t(ctx)
                passed += 1
                print(f"ok    {t.__name__}")
            except Exception:
                failed += 1
                print(f"FAIL  {t.__name__}")
                traceback.print_exc()
    finally:
        controller.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"interop: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
