"""``unboil rules``: list the rules in effect, or check rule files before using them.

    unboil rules list [FILE...] [--no-default] [--json]
    unboil rules check FILE... [--no-default]
    unboil rules easylist LIST [-o OUT.toml]

``check`` prints ``ok: FILE: N rules`` per good file and one line per problem (file, rule,
field); it exits 1 when any problem was found. Merging the files after the default set is
checked too, so an id clash with a default rule is caught before a run. ``easylist`` converts
the cosmetic filters of an EasyList-style list into a rule file (skipped lines are counted).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from unboil.rules.easylist import parse_easylist
from unboil.rules.engine import RuleSet, build_rules, default_items
from unboil.rules.loader import Item, dump_rules, read_rules
from unboil.rules.model import RuleError, RuleOverride


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``rules`` verb with its ``list`` and ``check`` sub-verbs."""
    parser = subparsers.add_parser(
        "rules",
        help="list the rules in effect or check rule files",
        description="List the rules in effect (the default set plus your files) or check rule "
        "files for errors before a run.",
    )
    verbs = parser.add_subparsers(dest="rules_verb", metavar="{list,check,easylist}", required=True)
    listing = verbs.add_parser("list", help="show id, action, priority, hosts and description")
    listing.add_argument(
        "files", nargs="*", metavar="FILE", help="rule files, after the default set"
    )
    listing.add_argument("--no-default", action="store_true", help="leave out the default rule set")
    listing.add_argument("--json", action="store_true", help="one JSON object per rule")
    check = verbs.add_parser("check", help="validate rule files; exit 1 on any problem")
    check.add_argument("files", nargs="+", metavar="FILE", help="rule files to check")
    check.add_argument(
        "--no-default",
        action="store_true",
        help="do not check the files against the default rule set",
    )
    convert = verbs.add_parser("easylist", help="convert EasyList cosmetic filters to a rule file")
    convert.add_argument("list", metavar="LIST", help="an EasyList-style filter list")
    convert.add_argument("-o", "--output", default="-", help="rule file to write (default: stdout)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``rules list`` or ``rules check``; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    if args.rules_verb == "list":
        return _list(args, out, err)
    if args.rules_verb == "easylist":
        return _easylist(args, out, err)
    return _check(args, out, err)


def _list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        ruleset = RuleSet.load(*args.files, include_default=not args.no_default)
    except RuleError as exc:
        for problem in exc.errors:
            print(f"error: {problem}", file=err)
        return 1
    if args.json:
        for rule in ruleset:
            print(
                json.dumps({**rule.to_dict(), "source": rule.source}, ensure_ascii=False), file=out
            )
        return 0
    rows = [("ID", "ACTION", "PRIORITY", "HOSTS", "DESCRIPTION")]
    for rule in ruleset:
        action = rule.action if rule.enabled else f"{rule.action} (off)"
        rows.append(
            (rule.id, action, str(rule.priority), ",".join(rule.hosts) or "*", rule.description)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        print("  ".join([*cells, row[4]]).rstrip(), file=out)
    print(f"# {len(ruleset)} rules, hash {ruleset.hash}", file=out)
    return 0


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    problems: list[RuleError] = []
    layers: list[list[Item]] = []
    if not args.no_default:
        try:
            layers.append(default_items())
        except RuleError as exc:
            problems.extend(exc.errors)
    for path in args.files:
        items, errors = read_rules(path)
        layers.append(items)
        if errors:
            problems.extend(errors)
            continue
        count = sum(1 for item in items if not isinstance(item, RuleOverride))
        toggles = len(items) - count
        extra = f", {toggles} overrides" if toggles else ""
        print(f"ok: {path}: {count} rules{extra}", file=out)
    if not problems:
        problems.extend(build_rules(layers)[1])
    for problem in problems:
        print(f"error: {problem}", file=err)
    if problems:
        print(f"{len(problems)} problem(s)", file=err)
    return 1 if problems else 0


def _easylist(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from unboil.io.safety import OutputError, check_outputs

    try:
        check_outputs([args.list], [args.output])
    except OutputError as exc:
        print(f"error: {exc}", file=err)
        return 2
    try:
        text = Path(args.list).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        print(f"error: {args.list}: cannot read: {exc.strerror or exc}", file=err)
        return 1
    rules, skipped = parse_easylist(text, args.list)
    toml = dump_rules(
        rules,
        header=f"Converted by unboil from {args.list}: {len(rules)} rules, "
        f"{len(skipped)} lines skipped.",
    )
    if args.output == "-":
        out.write(toml)
    else:
        from unboil.commands.outputs import write_error_reason
        from unboil.io.safety import atomic_path

        try:
            with atomic_path(args.output) as tmp:
                Path(tmp).write_text(toml, encoding="utf-8")
        except OSError as exc:
            print(f"error: cannot write {args.output}: {write_error_reason(exc)}", file=err)
            return 1
    print(f"{args.list}: {len(rules)} rules, {len(skipped)} lines skipped", file=err)
    return 0
