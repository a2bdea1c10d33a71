"""Lints IAM policy documents with parliament (https://github.com/duo-labs/parliament), for the tests.

Reads {"<name>": "<policy JSON>", ...} on standard input and prints a JSON list of parliament's findings, each
{"document", "issue", "severity", "title", "detail", "location"}: unknown actions and service prefixes, resources
of a type the action does not take, condition keys the action does not know, condition operators of the wrong type,
malformed statements. Community auditors (opinions on sensitive actions) are not run; private auditors are none.

Run with the "checkov" Python environment (toolchain/python/checkov.lock.txt): python parliament-lint.py
"""

import json
import sys

import parliament
from parliament import analyze_policy_string, enhance_finding


def plain(value: object) -> object:
    """A finding's detail or location as JSON (parliament leaves some of jsoncfg's nodes in them)."""
    try:
        return json.loads(json.dumps(value))
    except TypeError:
        return str(value)


def main() -> None:
    documents = json.load(sys.stdin)
    findings = []
    for name in sorted(documents):
        policy = analyze_policy_string(documents[name], name)
        for finding in policy.findings:
            finding = enhance_finding(finding)
            findings.append(
                {
                    "document": name,
                    "issue": finding.issue,
                    "severity": finding.severity,
                    "title": finding.title,
                    "detail": plain(finding.detail),
                    "location": {k: v for k, v in plain(finding.location).items() if k != "filepath"}
                    if isinstance(finding.location, dict)
                    else plain(finding.location),
                }
            )
    json.dump({"parliament": parliament.__version__, "findings": findings}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
