"""Deploys a dataset's pipeline into a moto server with boto3 and runs it (driven by tests/helpers/moto-pipeline.ts).

Reads one JSON request a line from standard input and answers each with one JSON line, {"result": …} or
{"error": "<traceback>"}, until standard input closes. Requests:

    {"phase": "deploy", "spec": …}   resets moto, creates roles, buckets, Glue jobs, the SNS topic
    {"phase": "run", "spec": …}      creates the state machine and the event rule, uploads objects, runs what
                                     EventBridge delivered, reports what moto recorded

Two phases because the state machine's definition is rendered (Terraform's templatefile) with attributes of
resources the first phase created, such as the SNS topic's ARN. One process serves a whole test file's requests.
Run with the "aws" Python environment (toolchain/python/aws.lock.txt).
"""

import functools
import json
import sys
import time
import traceback
import urllib.request
import uuid
from urllib.parse import quote_plus

import boto3
from botocore.exceptions import ClientError

# Observers of the test, not part of the deployment: the stand-in for the rule's Step Functions target, and a
# subscriber of the failure topic.
EVENT_TARGET_QUEUE = "test-eventbridge-state-machine-target"
NOTIFICATION_QUEUE = "test-failure-topic-subscriber"
EXECUTION_TIMEOUT_SECONDS = 40


def moto_api(endpoint: str, path: str, body: object) -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/{path}",
        data=json.dumps(body).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def clients(spec: dict) -> dict:
    return clients_for(spec["endpoint"], spec["region"])


@functools.cache
def clients_for(endpoint: str, region: str) -> dict:
    names = ["events", "glue", "iam", "s3", "sns", "sqs", "stepfunctions"]
    return {name: boto3.client(name, endpoint_url=endpoint, region_name=region) for name in names}


def trust_policy(service: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def deploy(spec: dict) -> dict:
    endpoint = spec["endpoint"]
    moto_api(endpoint, "reset", {})
    moto_api(endpoint, "config", {"stepfunctions": {"execute_state_machine": True}})
    aws = clients(spec)

    role_arns = {}
    for role in spec["roles"]:
        created = aws["iam"].create_role(RoleName=role["name"], AssumeRolePolicyDocument=trust_policy(role["service"]))
        role_arns[role["name"]] = created["Role"]["Arn"]

    for bucket in spec["buckets"]:
        configuration = {"LocationConstraint": spec["region"]}
        aws["s3"].create_bucket(Bucket=bucket["name"], CreateBucketConfiguration=configuration)
        if bucket["eventbridge"]:
            aws["s3"].put_bucket_notification_configuration(
                Bucket=bucket["name"], NotificationConfiguration={"EventBridgeConfiguration": {}}
            )
    for upload in spec["uploads"]:
        aws["s3"].put_object(Bucket=upload["bucket"], Key=upload["key"], Body=upload["body"].encode("utf-8"))

    for job in spec["glueJobs"]:
        aws["glue"].create_job(
            Name=job["name"],
            Description=job["description"],
            Role=role_arns[job["role"]],
            Command={"Name": "glueetl", "ScriptLocation": job["scriptLocation"], "PythonVersion": "3"},
            GlueVersion=job["glueVersion"],
            WorkerType=job["workerType"],
            NumberOfWorkers=job["numberOfWorkers"],
            Timeout=job["timeout"],
            MaxRetries=0,
            ExecutionProperty={"MaxConcurrentRuns": job["maxConcurrentRuns"]},
        )

    topic_arn = aws["sns"].create_topic(Name=spec["topicName"])["TopicArn"]
    subscriber_url = aws["sqs"].create_queue(QueueName=NOTIFICATION_QUEUE)["QueueUrl"]
    aws["sns"].subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn(aws, subscriber_url))
    aws["sqs"].create_queue(QueueName=EVENT_TARGET_QUEUE)
    return {"roleArns": role_arns, "topicArn": topic_arn}


def queue_arn(aws: dict, url: str) -> str:
    return aws["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def drain(aws: dict, queue_name: str) -> list:
    url = aws["sqs"].get_queue_url(QueueName=queue_name)["QueueUrl"]
    bodies = []
    while True:
        messages = aws["sqs"].receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            aws["sqs"].delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def run(spec: dict) -> dict:
    aws = clients(spec)
    machine = spec["stateMachine"]
    machine_arn = aws["stepfunctions"].create_state_machine(
        name=machine["name"], definition=machine["definition"], roleArn=machine["roleArn"]
    )["stateMachineArn"]

    # moto's EventBridge does not deliver to Step Functions targets (Rule.send_to_targets raises
    # NotImplementedError for them), so a queue stands in for the rule's target: it receives exactly what
    # EventBridge would hand the target, and the execution is started below with that as its input.
    rule = spec["rule"]
    aws["events"].put_rule(Name=rule["name"], EventPattern=json.dumps(rule["eventPattern"]), State="ENABLED")
    target_url = aws["sqs"].get_queue_url(QueueName=EVENT_TARGET_QUEUE)["QueueUrl"]
    target = {"Id": "state-machine", "Arn": queue_arn(aws, target_url)}
    aws["events"].put_targets(Rule=rule["name"], Targets=[target])

    # S3 itself sends "Object Created" to EventBridge for buckets with EventBridge notifications on.
    for upload in spec["uploads"]:
        aws["s3"].put_object(Bucket=upload["bucket"], Key=upload["key"], Body=upload["body"].encode("utf-8"))
    delivered = [with_key_as_s3_sends_it(body) for body in drain(aws, EVENT_TARGET_QUEUE)]

    # The target sets no input, input_path or input_transformer (the test checks infra/modules/pipeline), so
    # EventBridge passes the whole event. It also names the execution itself (an id it generates); the pipeline only
    # relies on that name being unique.
    execution_arns = []
    for event in delivered:
        started = aws["stepfunctions"].start_execution(stateMachineArn=machine_arn, name=str(uuid.uuid4()), input=event)
        execution_arns.append(started["executionArn"])
    executions = [describe(aws, arn) for arn in wait(aws, machine_arn, execution_arns)]

    job_runs = {}
    for name in spec["jobNames"]:
        try:
            job_runs[name] = aws["glue"].get_job_runs(JobName=name)["JobRuns"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "EntityNotFoundException":
                raise
            job_runs[name] = None
    notifications = [json.loads(body) for body in drain(aws, NOTIFICATION_QUEUE)]
    return {
        "deliveredEvents": [json.loads(body) for body in delivered],
        "executions": executions,
        "jobRuns": job_runs,
        "notifications": notifications,
    }


def with_key_as_s3_sends_it(body: str) -> str:
    """The delivered "Object Created" event with the object key as S3 sends it: URL-encoded in form style ("a b=c"
    as "a+b%3Dc"; https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html, and
    AWS's Powertools decodes the EventBridge event's key with unquote_plus). moto 5.2.5 puts the stored key in its
    EventBridge event as it is (moto/s3/notifications.py, _send_event_bridge_message), although its notifications
    to SQS, SNS and Lambda encode it with quote_plus. The rule has matched the key as moto sent it; the pattern's
    prefix and suffixes hold no character the encoding changes. A moto that encodes would show here as a key
    encoded twice, which the tests' expected event keys catch."""
    event = json.loads(body)
    event["detail"]["object"]["key"] = quote_plus(event["detail"]["object"]["key"], safe="/")
    return json.dumps(event)


def wait(aws: dict, machine_arn: str, execution_arns: list) -> list:
    deadline = time.monotonic() + EXECUTION_TIMEOUT_SECONDS
    while True:
        listed = aws["stepfunctions"].list_executions(stateMachineArn=machine_arn)["executions"]
        running = [e["executionArn"] for e in listed if e["status"] == "RUNNING"]
        if not running:
            return execution_arns
        if time.monotonic() > deadline:
            raise TimeoutError(f"executions still RUNNING after {EXECUTION_TIMEOUT_SECONDS} s: {running}")
        time.sleep(0.1)


def describe(aws: dict, execution_arn: str) -> dict:
    execution = aws["stepfunctions"].describe_execution(executionArn=execution_arn)
    pages = aws["stepfunctions"].get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    history = []
    for page in pages:
        for event in page["events"]:
            details = [value for key, value in event.items() if key.endswith("EventDetails")]
            history.append({"id": event["id"], "type": event["type"], "details": details[0] if details else None})
    return {
        "name": execution["name"],
        "status": execution["status"],
        "error": execution.get("error"),
        "output": execution.get("output"),
        "history": history,
    }


def main() -> None:
    phases = {"deploy": deploy, "run": run}
    for line in sys.stdin:
        try:
            request = json.loads(line)
            answer = {"result": phases[request["phase"]](request["spec"])}
        except Exception:
            answer = {"error": traceback.format_exc()}
        print(json.dumps(answer, default=lambda value: value.isoformat()), flush=True)


if __name__ == "__main__":
    main()
