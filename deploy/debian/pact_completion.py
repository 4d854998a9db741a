#!/usr/bin/env python3
"""Writes the bash completion for `pact` from the program's own help: the
commands and global options of `pact --help`, and each command's
subcommands and options from the usage line of `pact COMMAND --help`. The
help text is printed from the option tables the parser uses (cli/), so the
completion cannot drift from the interface; the packages are built with it
(cmake/PactPackaging.cmake, docs/building.md).

It also writes, when asked, a help2man include file with a COMMANDS
section: each command's usage and summary from the same `--help`, so that
`man pact` documents every command.

Usage: pact_completion.py PACT_BINARY OUTPUT_FILE [MAN_INCLUDE_FILE]
"""
import os
import re
import subprocess
import sys

OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][a-zA-Z0-9-]*)")
WORD = re.compile(r"[a-z][a-z0-9-]*$")


def help_of(pact, *args):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/",
           "LANG": "C.UTF-8"}
    r = subprocess.run([pact, *args, "--help"], capture_output=True,
                       text=True, env=env, timeout=30)
    if r.returncode != 0:
        sys.exit(f"pact_completion: `pact {' '.join(args)} --help` exited "
                 f"{r.returncode}: {r.stderr.strip()}")
    return r.stdout


def section(text, title):
    """The lines of an indented section `title:` up to the next blank
    line followed by an unindented line."""
    lines = text.splitlines()
    try:
        start = lines.index(title) + 1
    except ValueError:
        sys.exit(f"pact_completion: no '{title}' in pact --help")
    out = []
    for line in lines[start:]:
        if line and not line.startswith(" "):
            break
        out.append(line)
    return out


def top_level(pact):
    text = help_of(pact)
    commands = [m.group(1) for line in section(text, "Commands:")
                if (m := re.match(r"^  ([a-z][a-z0-9-]*)\s", line))]
    options, values = [], {}
    for line in section(text, "Global options:"):
        m = re.match(r"^  (--[a-z][a-z0-9-]*)(?:\s+(\S+))?", line)
        if m:
            options.append(m.group(1))
            if m.group(2) and "|" in m.group(2):
                values[m.group(1)] = m.group(2).split("|")
    takes_value = [o for line in section(text, "Global options:")
                   if (m := re.match(r"^  (--[a-z][a-z0-9-]*)\s+[A-Za-z]",
                                     line)) for o in [m.group(1)]]
    return commands, options, values, takes_value


def command_usage(pact, command, text=None):
    """Subcommands and options from `Usage: pact COMMAND ...`."""
    text = text if text is not None else help_of(pact, command)
    usage = ""
    for line in text.splitlines():
        if line.startswith("Usage:") or (usage and line.startswith(" ")):
            usage += " " + line.strip()
        elif usage:
            break
    usage = usage.split(f"pact {command}", 1)[-1]
    # Top-level alternatives are separated by " | "; the first word of each
    # one that is a plain word is a subcommand.
    subcommands = []
    for alt in usage.split(" | "):
        first = alt.strip().split(" ", 1)[0] if alt.strip() else ""
        if WORD.match(first) and first not in subcommands:
            subcommands.append(first)
    options = []
    for opt in OPTION.findall(usage):
        if opt not in options:
            options.append(opt)
    return subcommands, options + ["--help"]


def roff(text):
    """Plain text as a roff line: backslashes and dashes escaped, a leading
    dot or quote made literal."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def man_include(helps):
    """help2man's include format: [SECTION] then roff."""
    out = ["[COMMANDS]", ".nh"]  # options are not hyphenated
    for command, text in helps.items():
        out.append(".TP")
        out.append(f".B {roff(command)}")
        # First paragraph: the usage; the rest: what the command does.
        paragraphs = [" ".join(l.strip() for l in p.splitlines())
                      for p in text.strip().split("\n\n") if p.strip()]
        usage = paragraphs[0].removeprefix("Usage: ")
        out.append(roff(usage))
        for p in paragraphs[1:]:
            out.append(".br")
            out.append(roff(p))
    out.append("")
    out.append("[SEE ALSO]")
    out.append(".BR pact\\-journal (1),")
    out.append(".BR pact\\-agent (1),")
    out.append(".BR pact\\-mcp (1)")
    return "\n".join(out) + "\n"


def write(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def bash_words(words):
    return " ".join(words)


def render(commands, options, values, takes_value, per_command):
    cases = []
    for c in commands:
        subs, opts = per_command[c]
        cases.append(f'    {c}) subs="{bash_words(subs)}"; '
                     f'opts="{bash_words(opts)}" ;;')
    value_cases = [f'    {o}) COMPREPLY=($(compgen -W "{bash_words(v)}" '
                   f'-- "$cur")); return ;;' for o, v in values.items()]
    return f"""# bash completion for pact. Generated from `pact --help` and
# `pact COMMAND --help` by deploy/debian/pact_completion.py; do not edit.
_pact() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}}
  local prev=${{COMP_WORDS[COMP_CWORD-1]}}
  local globals="{bash_words(options)} --help --version"
  local takes_value=" {bash_words(takes_value)} "
  case $prev in
{chr(10).join(value_cases)}
    --config|--file|--export|--write|--token-file)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  # The command is the first word that is not an option or its value.
  local i=1 command="" at=0
  while [ $i -lt $COMP_CWORD ]; do
    local w=${{COMP_WORDS[i]}}
    if [[ $w == -* ]]; then
      [[ $takes_value == *" $w "* ]] && i=$((i + 1))
    else
      command=$w; at=$i; break
    fi
    i=$((i + 1))
  done
  if [ -z "$command" ]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$globals" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "{bash_words(commands)}" -- "$cur"))
    fi
    return
  fi
  local subs="" opts=""
  case $command in
{chr(10).join(cases)}
  esac
  if [ $((at + 1)) -eq $COMP_CWORD ] && [ -n "$subs" ] \\
     && [[ $cur != -* ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts $globals" -- "$cur"))
  fi
}}
complete -o default -F _pact pact
"""


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip().splitlines()[-1])
    pact, out = sys.argv[1], sys.argv[2]
    commands, options, values, takes_value = top_level(pact)
    if not commands or not options:
        sys.exit("pact_completion: no commands or options in pact --help")
    helps = {c: help_of(pact, c) for c in commands}
    per_command = {c: command_usage(pact, c, helps[c]) for c in commands}
    write(out, render(commands, options, values, takes_value, per_command))
    if len(sys.argv) == 4:
        write(sys.argv[3], man_include(helps))


if __name__ == "__main__":
    main()
