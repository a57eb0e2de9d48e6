"""`python -m migrations up|status`: migrate the database named by DATABASE_URL."""

from __future__ import annotations

import argparse
import sys

from migrations import runner
from shared.db.pool import owner_pool


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m migrations")
    parser.add_argument("command", choices=["up", "status"])
    args = parser.parse_args(argv)
    pool = owner_pool()
    try:
        if args.command == "up":
            applied = runner.up(pool)
            sys.stdout.write("".join(f"applied {m.path.name}\n" for m in applied) or "up to date\n")
        else:
            for migration, done in runner.status(pool):
                sys.stdout.write(f"{'applied' if done else 'pending'}  {migration.path.name}\n")
    except runner.MigrationError as exc:
        sys.stderr.write(f"migration error: {exc}\n")
        return 1
    finally:
        pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
