#!/usr/bin/python3
"""A real SMTP server on 127.0.0.1 for the e-mail tests (tests/support/smtp_sink.h).

aiosmtpd (Debian's python3-aiosmtpd) on a port the system picks; the port is written to
--port-file once it listens. Every message accepted is written, parsed, as one JSON file in
--dir: mail_from, rcpt_tos, subject and body (decoded), headers, raw, tls, auth.
Recipients starting with "reject" get 550, with "later" 451.
--tls CERT KEY offers STARTTLS and requires it (with --implicit-tls: TLS from the first
byte, as smtps); --auth USER:PASS requires that login (over TLS only).
"""

import argparse
import asyncio
import email
import email.policy
import json
import logging
import os
import ssl
import warnings

from aiosmtpd.smtp import SMTP, AuthResult


class Handler:
    def __init__(self, directory, implicit_tls):
        self.directory = directory
        self.implicit_tls = implicit_tls
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 no such user here"
        if address.startswith("later"):
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(msg["subject"]),
            "body": msg.get_content(),
            "headers": {k: str(v) for k, v in msg.items()},
            "raw": raw.decode("utf-8", "replace"),
            "tls": session.ssl is not None or self.implicit_tls,
            "auth": session.authenticated,
        }
        self.count += 1
        path = os.path.join(self.directory, "%04d.json" % self.count)
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 Message accepted"


def main():
    # aiosmtpd's own deprecation notices (Session.login_data) are not the test's business.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--implicit-tls", action="store_true",
                        help="with --tls: TLS from the first byte (smtps, port 465) instead")
    parser.add_argument("--auth")
    args = parser.parse_args()

    context = None
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls[0], args.tls[1])
    authenticator = None
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, data):
            ok = data.login == user.encode() and data.password == password.encode()
            return AuthResult(success=ok)

    handler = Handler(args.dir, args.implicit_tls)

    async def serve():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(
                handler,
                hostname="heartbeat-test-smtp",
                tls_context=None if args.implicit_tls else context,
                require_starttls=context is not None and not args.implicit_tls,
                authenticator=authenticator,
                auth_required=authenticator is not None,
                # aiosmtpd 1.4 sees TLS only when it came by STARTTLS: an implicit-TLS
                # connection is TLS from its first byte.
                auth_require_tls=not args.implicit_tls,
            ),
            "127.0.0.1",
            0,
            ssl=context if args.implicit_tls else None,
        )
        port = server.sockets[0].getsockname()[1]
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(args.port_file + ".tmp", args.port_file)
        await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
