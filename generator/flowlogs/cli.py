"""The `flowlogs` command: parse arguments, run the command the table names, turn errors into messages and exit
codes."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence

from .commands import (
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    build_parser,
    command_table,
    print_diagnostics,
    run_command,
)
from .errors import FlowlogsError, ProfileError
from .extras import MissingExtra


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Nearly every object flowlogs makes is freed by reference counting; at Python's default threshold (700
    # allocations) the cyclic collector still walked every live object ~1,100 times in a 10,000-cluster fleet's
    # generate: 0.2-0.3 of 1.4 s, with the same peak memory at this one (benchmarks/README.md).
    gc.set_threshold(10_000, 20, 20)
    from .output_stream import OutputClosed, guard_stdout, silence_stdout

    original = sys.stdout
    guard_stdout()  # before parsing: --help and --version write through it too
    speaker, debug = "flowlogs", False  # until the arguments are parsed
    try:
        args = build_parser(lazy=True).parse_args(argv)
        speaker, debug = f"flowlogs {args.command}", args.debug
        code = run_command(command_table()[args.command], args)
        sys.stdout.flush()
        return code
    except OutputClosed:
        silence_stdout()
        return EXIT_FAILED
    except ProfileError as error:
        print_diagnostics(error.diagnostics)
        count = len(error.diagnostics)
        print(
            f"flowlogs: {count} error{'s' if count != 1 else ''} in profiles or the fleet file; nothing was written",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except MissingExtra as error:
        print(f"{speaker}: {error}", file=sys.stderr)
        return EXIT_FAILED
    except FlowlogsError as error:
        print(f"flowlogs: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:  # the one place that turns a bug into a message, not a traceback
        return _internal_error(error, debug=debug)
    finally:
        sys.stdout = original


def _internal_error(error: Exception, *, debug: bool) -> int:
    """One line for a bug in flowlogs (never the user's fault), the traceback only with --debug."""
    if debug:
        import traceback

        traceback.print_exception(error, file=sys.stderr)
    summary = " ".join(str(error).split())[:200]
    print(
        f"flowlogs: internal error: {type(error).__name__}{f': {summary}' if summary else ''} (exit {EXIT_INTERNAL}; "
        "run again with --debug for the traceback and report it with the input that caused it)",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["main", "build_parser"]
