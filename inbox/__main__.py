"""Command line for inbox accounts: `python -m inbox users add|list|passwd|disable|enable|language`.

    python -m inbox users add ana --role supervisor --name "Ana Popescu"
    python -m inbox users add ion --role counsellor --centre iasi --language en
    python -m inbox users language ion ro

The inbox is in Romanian unless the account chooses another language of inbox/locales/ (here or on the page).

The password is asked twice (or read from standard input with --password-stdin); there is no default one.
`passwd` and `disable` end every session of the account at once, in every gateway process. Uses REDIS_URL like
the gateway.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from redis.asyncio import Redis

from core.settings import get_settings
from inbox.accounts import ROLES, AccountError, Accounts
from inbox.i18n import DEFAULT, languages
from knowledge.centres import Centres


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (10+ characters): ")
    if getpass.getpass("Again: ") != first:
        raise AccountError("the two passwords differ")
    return first


async def _run(args: argparse.Namespace) -> int:
    settings = get_settings()
    redis = Redis.from_url(settings.redis_url)
    accounts = Accounts(redis)
    try:
        if args.action == "add":
            centres = Centres.load(settings.handoff_default_centre)
            account = await accounts.add(
                args.username,
                _password(args.password_stdin),
                role=args.role,
                centre=args.centre,
                name=args.name,
                centres=set(centres.by_id),
                language=args.language,
            )
            print(f"created {account.username} ({account.role}{', ' + account.centre if account.centre else ''})")
        elif args.action == "list":
            for a in await accounts.all():
                state = "active" if a.active else "disabled"
                print(f"{a.username:20} {a.role:11} {a.centre or '-':13} {state:8} {a.language:3} {a.name}")
        elif args.action == "passwd":
            await accounts.set_password(args.username, _password(args.password_stdin))
            print(f"password changed for {args.username}")
        elif args.action == "language":
            await accounts.set_language(args.username, args.language)
            print(f"{args.username}: the inbox in {args.language}")
        else:
            await accounts.set_active(args.username, args.action == "enable")
            print(f"{args.username} {args.action}d")
        return 0
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        await redis.aclose()


def main() -> None:
    """Parse the command and run it."""
    parser = argparse.ArgumentParser(prog="python -m inbox", description="Inbox accounts.")
    sub = parser.add_subparsers(dest="group", required=True)
    users = sub.add_parser("users", help="inbox accounts")
    actions = users.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--centre", default="", help="the centre id (counsellors), e.g. iasi")
    add.add_argument("--name", default="", help="the name colleagues see")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--language", choices=languages(), default=DEFAULT, help="of the inbox's texts")
    actions.add_parser("list", help="list accounts")
    for name in ("passwd", "disable", "enable"):
        ends = " (its sessions end)" if name in ("passwd", "disable") else ""
        action = actions.add_parser(name, help=f"{name} an account{ends}")
        action.add_argument("username")
        if name == "passwd":
            action.add_argument("--password-stdin", action="store_true")
    language = actions.add_parser("language", help="the language of an account's inbox")
    language.add_argument("username")
    language.add_argument("language", choices=languages())
    sys.exit(asyncio.run(_run(parser.parse_args())))


if __name__ == "__main__":
    main()
