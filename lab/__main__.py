"""``python -m lab VERB [ARGS]``: run one verb of ``lab.VERBS`` (its module's ``main``)."""

from __future__ import annotations

import importlib
import sys

from lab import VERBS


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m lab VERB [ARGS]   (python -m lab VERB --help for a verb's options)\n\nverbs:")
        for name, (_, line) in VERBS.items():
            print(f"  {name:<20} {line}")
        return 0
    verb = argv[0].replace("-", "_")
    if verb not in VERBS:
        print(f"python -m lab: no verb {argv[0]!r}; verbs: {', '.join(VERBS)}", file=sys.stderr)
        return 2
    sys.argv = [f"python -m lab {verb}", *argv[1:]]
    importlib.import_module(VERBS[verb][0]).main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
