"""A moto server on loopback for the tests (started and stopped by tests/helpers/moto-server.ts).

Prints one JSON line, {"port": N}, once the server listens; stops when its standard input closes (the test closed
it, or the test process died), so a server never outlives the test that started it.

Run with the "aws" Python environment (toolchain/python/aws.lock.txt): python moto-server.py
"""

import inspect
import json
import os
import re
import sys
import textwrap

from moto.server import ThreadedMotoServer
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_callback,
    state_task_service_glue,
)
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str


def fix_sync_integrations_without_callback() -> None:
    """Make moto's Step Functions interpreter run `.sync` tasks of services without `.waitForTaskToken` (Glue).

    moto 5.2.5 (the newest release) ends every such task with States.Runtime "'NoneType' object has no attribute
    'interrupt_all'": `_eval_integration_pattern` calls `callback_endpoint.interrupt_all()` in a `finally`, but
    the endpoint only exists for services that support `.waitForTaskToken`, and Glue's `startJobRun` supports
    `.sync` alone. The interpreter is vendored from LocalStack, which fixed the same line with a None check:
    https://github.com/localstack/localstack/pull/13706. This applies exactly that check, and refuses to start
    when the line is not found, so that a moto upgrade cannot silently skip or double it.
    """
    service = state_task_service_callback.StateTaskServiceCallback
    source = textwrap.dedent(inspect.getsource(service._eval_integration_pattern))
    fixed, count = re.subn(
        r"^(\s*)callback_endpoint\.interrupt_all\(\)$",
        r"\1if callback_endpoint is not None:\n\1    callback_endpoint.interrupt_all()",
        source,
        flags=re.MULTILINE,
    )
    if count != 1:
        raise SystemExit(
            "moto-server.py: the `.sync` fix no longer applies to this moto version (expected one unguarded "
            f"callback_endpoint.interrupt_all() in _eval_integration_pattern, found {count}). If moto fixed it, "
            "remove fix_sync_integrations_without_callback()."
        )
    namespace: dict = {}
    exec(compile(fixed, state_task_service_callback.__file__, "exec"), vars(state_task_service_callback), namespace)
    service._eval_integration_pattern = namespace["_eval_integration_pattern"]


def keep_glue_job_runs_json() -> None:
    """Make the result of moto's `glue:startJobRun.sync` a JSON value, as every state's data is in AWS.

    moto 5.2.5 puts boto3's GetJobRun response into the state as it is, with datetime objects for StartedOn,
    CompletedOn, … : every later JSON encoding of the state without moto's own encoder then fails, e.g.
    States.JsonToString($) with States.Runtime "Object of type datetime is not JSON serializable", and
    DescribeExecution with HTTP 500. The result is passed through moto's own encoder (the one its execution
    history uses: dates become ISO 8601 strings).
    """
    service = state_task_service_glue.StateTaskServiceGlue
    build_resolver = service._sync_to_start_job_run

    def _sync_to_start_job_run(self, *args, **kwargs):
        resolve = build_resolver(self, *args, **kwargs)

        def resolve_json():
            job_run = resolve()
            return None if job_run is None else json.loads(to_json_str(job_run))

        return resolve_json

    service._sync_to_start_job_run = _sync_to_start_job_run


def main() -> None:
    fix_sync_integrations_without_callback()
    keep_glue_job_runs_json()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    # The Step Functions interpreter calls Glue and SNS through this same server at localhost:$MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)
    print(json.dumps({"port": port}), flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
