"""Evaluates requests against IAM policies with moto's policy evaluator, for the tests.

Reads {"policies": {"<name>": "<policy JSON>", ...}, "requests": [{"action": ..., "resource": ...}, ...]} on
standard input and prints, for each request, each policy's verdict: "PERMITTED" (an Allow matches and no Deny),
"DENIED" (a Deny matches) or "NEUTRAL" (nothing matches, so IAM denies it implicitly). moto matches actions and
resources with IAM's wildcards; it evaluates StringEquals conditions only against the context a request carries
(here none), and ignores other operators: a condition never turns a verdict into DENIED here.

Run with the "aws" Python environment (toolchain/python/aws.lock.txt): python iam-evaluate.py
"""

import json
import sys

from moto.iam.access_control import IAMPolicy


def main() -> None:
    given = json.load(sys.stdin)
    policies = {name: IAMPolicy(document) for name, document in given["policies"].items()}
    verdicts = []
    for request in given["requests"]:
        verdict = dict(request)
        for name, policy in policies.items():
            verdict[name] = policy.is_action_permitted(request["action"], request["resource"]).name
        verdicts.append(verdict)
    json.dump(verdicts, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
