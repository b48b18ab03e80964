"""`make audit`: pip-audit over the installed environment, honest about what it could check.

pip-audit reports "No known vulnerabilities found" even when it could not reach its
vulnerability database and skipped every package (each then carries a ``skip_reason``). This
wrapper reads pip-audit's JSON and says which of three things happened:

* exit 0: every dependency was looked up and none has a known vulnerability;
* exit 1: vulnerabilities were found (each is listed with its fix versions);
* exit 3: some dependencies could not be audited (no database reachable, or not on PyPI): the
  count and the first reasons are printed, and nothing is claimed about them.

Usage: ``python scripts/audit.py [pip-audit arguments...]`` (default: the current environment,
the editable project itself skipped).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

UNREACHED = 3


def verdict(report: dict[str, Any]) -> tuple[int, list[str]]:
    """The exit code and the lines to print for one pip-audit JSON report."""
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    vulnerable = [d for d in deps if d.get("vulns")]
    lines: list[str] = []
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            lines.append(f"VULNERABLE {dep['name']} {dep.get('version', '?')}: {vuln['id']} "
                         f"(fixed in {fixes})")
    if skipped:
        lines.append(f"NOT AUDITED: {len(skipped)} of {len(deps)} dependencies could not be checked "
                     "(no vulnerability database could be reached, or the package is not on PyPI). "
                     "Nothing is known about them; run `make audit` where pypi.org or osv.dev is "
                     "reachable.")
        lines.extend(f"  {d['name']}: {d['skip_reason']}" for d in skipped[:5])
        if len(skipped) > 5:
            lines.append(f"  ... and {len(skipped) - 5} more")
    if vulnerable:
        return 1, lines
    if skipped:
        return UNREACHED, lines
    return 0, [f"No known vulnerabilities in {len(deps)} dependencies (all were looked up)."]


def main(argv: list[str]) -> int:
    """Run pip-audit with ``argv`` (or on the environment) and print the verdict."""
    args = argv or ["--skip-editable"]
    done = subprocess.run([sys.executable, "-m", "pip_audit", "-f", "json",
                           "--progress-spinner", "off", *args],
                          capture_output=True, text=True, check=False)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(done.stderr)
        print(f"pip-audit failed (exit {done.returncode}) without a report; see above.")
        return done.returncode or 2
    code, lines = verdict(report)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
