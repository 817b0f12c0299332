"""Short rules: every rule and checkpoint in rules/*.smk is at most 25 lines long, counted from its
``rule``/``checkpoint`` line (or ``use rule ... with:``) to the last non-blank line of its body.

A longer rule needs a one-line comment just above it, of the form

    # long rule: <why it cannot be shorter>

(the reason must not be empty). Shared inputs and outputs go into dicts or helpers above the rule
(rules/common.smk: in_report, session_report, logs, benchmarks, rule_resources)."""

import re

from helpers import ROOT

MAX_LINES = 25
RULE = re.compile(r"^(?P<indent> *)(?:rule|checkpoint|use rule .* as) (?P<name>\w+)\b.*:\s*$")
EXEMPT = re.compile(r"^\s*# long rule: \S")


def rule_lengths(text: str) -> list[tuple[str, int, bool]]:
    """``(name, lines, exempt)`` of every rule in a Snakefile's text, in order."""
    lines = text.splitlines()
    found = []
    for start, line in enumerate(lines):
        match = RULE.match(line)
        if not match:
            continue
        indent, last = len(match["indent"]), start
        for k in range(start + 1, len(lines)):
            if not lines[k].strip():
                continue
            if len(lines[k]) - len(lines[k].lstrip()) <= indent:
                break
            last = k
        exempt = start > 0 and bool(EXEMPT.match(lines[start - 1]))
        found.append((match["name"], last - start + 1, exempt))
    return found


def test_rule_lengths_counts_body_and_honours_the_comment():
    text = (
        "rule a:\n    input:\n        'x',\n\n    shell:\n        'y'\n\n\n"
        "if True:\n\n    # long rule: the reason\n    rule b:\n        output:\n            'z',\n"
        "    rule c:\n        output:\n            'w',\n"
        "# long rule:\ncheckpoint d:\n    output:\n        'v',\n"
    )
    assert rule_lengths(text) == [("a", 6, False), ("b", 3, True), ("c", 3, False), ("d", 3, False)]


def test_every_rule_is_at_most_25_lines_or_says_why():
    long = [
        f"{path.name}: {name} ({n} lines)"
        for path in sorted((ROOT / "rules").glob("*.smk"))
        for name, n, exempt in rule_lengths(path.read_text())
        if n > MAX_LINES and not exempt
    ]
    assert not long, f"rules over {MAX_LINES} lines without a '# long rule: <why>' comment: {long}"
