"""Each command's usage line (`pact CMD --help`) and its section of
docs/cli.md name the same options: an option the CLI takes that the
documentation does not list, or the other way round, fails (tester, issue 11:
`pact extend` took -m while docs/cli.md did not say so)."""
import os
import re
import subprocess
import unittest

from harness import binary

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CLI_DOC = os.path.join(ROOT, "docs", "cli.md")
OPTION = re.compile(r"(?<![\w-])(--?[a-z][a-z-]*)")


def run_pact(*args):
    return subprocess.run([binary("pact"), *args], capture_output=True,
                          text=True, timeout=30)


def commands():
    """Command names from `pact --help`, and the global options."""
    text = run_pact("--help").stdout
    names = re.findall(r"^  ([a-z]+)\s{2,}", text.split("Commands:", 1)[1]
                       .split("Global options:", 1)[0], re.M)
    globals_ = set(OPTION.findall(text.split("Global options:", 1)[1]
                                  .split("Exit codes", 1)[0]))
    return names, globals_


def doc_heading(name):
    """The documented synopsis of `pact NAME` (a ## or ### heading)."""
    with open(CLI_DOC) as f:
        for line in f:
            m = re.match(r"^#{2,3} `pact " + name + r"\b(.*)`\s*$", line)
            if m:
                return m.group(1)
    return None


class CliUsageTest(unittest.TestCase):
    def test_usage_and_docs_name_the_same_options(self):
        names, globals_ = commands()
        self.assertIn("extend", names)
        for name in names:
            with self.subTest(command=name):
                usage = run_pact(name, "--help").stdout.splitlines()[0]
                self.assertTrue(usage.startswith("Usage: pact " + name),
                                usage)
                heading = doc_heading(name)
                self.assertIsNotNone(heading,
                                     f"docs/cli.md has no `pact {name}` "
                                     "heading")
                used = set(OPTION.findall(usage)) - globals_
                documented = set(OPTION.findall(heading)) - globals_
                self.assertEqual(used, documented,
                                 f"pact {name} --help: {usage!r}; "
                                 f"docs/cli.md: {heading!r}")


if __name__ == "__main__":
    unittest.main()
