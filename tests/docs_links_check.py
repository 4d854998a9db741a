#!/usr/bin/env python3
"""Fails when documentation points at something that is not there.

Checks, from the repository root given as argv[1]:
- every relative Markdown link `[text](target)` in README.md and docs/*.md
  resolves to an existing file or folder, and a `#fragment` names a heading
  of the target (GitHub's anchor rule: lower-case, punctuation dropped,
  spaces to hyphens, repeats numbered -1, -2, ...);
- every `docs/NAME.md` that a source file (messages operators read) or a
  document names exists.
Absolute links (http:, https:, mailto:) are not fetched: this machine has no
internet and CI must not depend on it.
"""
import os
import re
import sys

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
DOC_NAME = re.compile(r"\bdocs/[A-Za-z0-9_.-]+\.md\b")
FENCE = re.compile(r"^\s*(```|~~~)")


def anchors(path):
    seen = {}
    out = set()
    in_fence = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if FENCE.match(line):
                in_fence = not in_fence
                continue
            m = None if in_fence else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
            if not m:
                continue
            text = re.sub(r"`|\*|_(?=\w)|(?<=\w)_", "", m.group(1))
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
            slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def links(path):
    in_fence = False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if FENCE.match(line):
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            # Inline code spans are examples, not links.
            for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
                yield number, target


def check_markdown(root, rel, problems):
    path = os.path.join(root, rel)
    for number, target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue
        file_part, _, fragment = target.partition("#")
        dest = path if not file_part else os.path.normpath(
            os.path.join(os.path.dirname(path), file_part))
        where = f"{rel}:{number}: link '{target}'"
        if not os.path.exists(dest):
            problems.append(f"{where}: {os.path.relpath(dest, root)} does not exist")
        elif fragment and dest.endswith(".md") and fragment not in anchors(dest):
            problems.append(f"{where}: no heading '#{fragment}' in "
                            f"{os.path.relpath(dest, root)}")


def check_doc_names(root, rel, problems):
    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            for name in DOC_NAME.findall(line):
                if not os.path.exists(os.path.join(root, name)):
                    problems.append(f"{rel}:{number}: names {name}, which "
                                    "does not exist")


def self_test():
    """The checker itself must catch each kind of break (a test that
    cannot fail proves nothing)."""
    import tempfile
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "docs"))
        os.makedirs(os.path.join(root, "cli"))
        files = {
            "README.md": "[ok](docs/a.md) [gone](docs/missing.md)\n"
                         "`[code](not/a/link.md)` [web](https://x/y)\n",
            "docs/a.md": "# Exit codes\n## Exit codes\n"
                         "[self](#exit-codes-1) [bad](#nowhere)\n"
                         "[other](b.md#two-words) [badother](b.md#one)\n"
                         "```\n[fenced](nope.md)\n```\n",
            "docs/b.md": "## Two `words`\n",
            "cli/x.cpp": '"see docs/a.md" "see docs/security.md"\n',
        }
        for rel, text in files.items():
            with open(os.path.join(root, rel), "w") as f:
                f.write(text)
        problems = []
        for rel in ("README.md", "docs/a.md", "docs/b.md"):
            check_markdown(root, rel, problems)
            check_doc_names(root, rel, problems)
        check_doc_names(root, "cli/x.cpp", problems)
        expected = ["README.md:1: link 'docs/missing.md'",
                    "README.md:1: names docs/missing.md",
                    "docs/a.md:3: link '#nowhere'",
                    "docs/a.md:4: link 'b.md#one'",
                    "cli/x.cpp:1: names docs/security.md"]
        ok = len(problems) == len(expected) and all(
            any(p.startswith(e) for p in problems) for e in expected)
        print("\n".join(problems))
        print("self-test", "passed" if ok else "FAILED")
        return 0 if ok else 1


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    problems = []
    docs = ["README.md"] + sorted(
        os.path.join("docs", n) for n in os.listdir(os.path.join(root, "docs"))
        if n.endswith(".md"))
    for rel in docs:
        check_markdown(root, rel, problems)
        check_doc_names(root, rel, problems)
    for top in ("runtime", "actors", "cli", "mcp", "deploy", "protocol"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                if n.endswith((".cpp", ".hpp", ".sh", ".proto", ".py")):
                    check_doc_names(root, os.path.relpath(
                        os.path.join(dirpath, n), root), problems)
    for p in problems:
        print(p)
    checked = len(docs)
    print(f"{checked} documents checked, {len(problems)} broken reference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
