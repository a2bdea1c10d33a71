"""Runs the generated Glue jobs on a local Spark session, the way Glue runs them: each job module's run(spark, args)
with the arguments the state machine passes. Nothing fakes a GlueContext: the jobs' Glue entry point (main) is
never called here.

One Spark session serves many job runs (starting the JVM is the slow part). Commands arrive on standard input,
one JSON object per line; each answer is one JSON line on file descriptor 3, so that Spark's and Java's own output
on stdout and stderr can never be mistaken for an answer.

    {"id": 1, "job": "/path/clean_review.py", "args": {"input_path": ..., ...}}
    {"id": 2, "job": "/path/flatten_review.py", "args": {...}, "processed_at": "2026-01-01T00:00:00Z"}
    {"id": 3, "sql": "SELECT 1"}                     (a query; rows as JSON, for tests)

Answers: {"id": 1, "ok": true, "result": <what run() returned>, "seconds": 1.2} or
{"id": 1, "ok": false, "error": "<exception>", "traceback": "..."}.
"""

import importlib.util
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from datetime import datetime


def spark_session(scratch):
    """A local Spark for tests and local runs: SPARK_LOCAL_THREADS threads (default 2; as many shuffle partitions), no
    UI, loopback only. No setting here is a JVM option string (spark.driver.extraJavaOptions): Spark splits one on
    spaces and quotes, so a path in it broke the start when the temporary folder's path held a space or a quote."""
    from pyspark.sql import SparkSession

    threads = os.environ.get("SPARK_LOCAL_THREADS", "2")
    if not threads.isdigit() or int(threads) < 1:
        raise ValueError("SPARK_LOCAL_THREADS must be a whole number of threads, at least 1, not %r" % threads)
    return (
        SparkSession.builder.master("local[%d]" % int(threads))
        .appName("review-contracts-local")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(int(threads)))
        .config("spark.default.parallelism", str(int(threads)))
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
        .config("spark.local.dir", os.path.join(scratch, "local"))
        # The in-memory catalog (pyspark's default, fixed here): no Hive metastore, so no Derby database to place.
        .config("spark.sql.catalogImplementation", "in-memory")
        # Local files without Hadoop's .crc side files (S3 has none either); it also writes thousands of partition
        # files faster.
        .config("spark.hadoop.fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem")
        .config("spark.hadoop.fs.file.impl.disable.cache", "true")
        .getOrCreate()
    )


_modules = {}


def load_job(path):
    """The job module at path, loaded once per content (a regenerated job is loaded again)."""
    stamp = (path, os.stat(path).st_mtime_ns)
    if stamp not in _modules:
        name = "glue_job_" + os.path.splitext(os.path.basename(path))[0] + "_" + str(len(_modules))
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[stamp] = module
    return _modules[stamp]


def answer(out, message):
    out.write(json.dumps(message, default=str) + "\n")
    out.flush()


def describe(error):
    """One line for a failure: the exception's first line and, for a Java error, its root cause."""
    text = str(error).strip()
    first = text.splitlines()[0] if text else type(error).__name__
    causes = [line.strip() for line in text.splitlines() if line.strip().startswith("Caused by:")]
    return first + (" " + causes[-1] if causes else "")


def handle(spark, command):
    if "sql" in command:
        return [row.asDict(recursive=True) for row in spark.sql(command["sql"]).collect()]
    module = load_job(command["job"])
    args = dict(command["args"])
    if "processed_at" in command:
        processed_at = datetime.fromisoformat(command["processed_at"].replace("Z", "+00:00"))
        return module.run(spark, args, processed_at=processed_at)
    return module.run(spark, args)


class Stop:
    """Stops the driver, from any thread, once: cancels Spark's jobs, stops the session, removes the scratch folder
    and exits (the JVM ends with it: its stdin closes). Asked on SIGINT, SIGTERM or SIGHUP (the runner passes its
    own signal on as SIGINT), and when the process that started the driver is gone (killed outright), so that no job
    goes on writing into an output folder a next run may already be writing. If that has not ended the driver within
    20 s, it exits at once.

    Not pyspark's own SIGINT handler: it calls the JVM from the main thread, which is then inside a call to the JVM
    (a job), so the call fails ("reentrant call"), no job is cancelled and the driver stays on, its job running."""

    def __init__(self, scratch):
        self.scratch = scratch
        self.spark = None
        self.once = threading.Lock()

    def __call__(self, status):
        if not self.once.acquire(blocking=False):
            return
        deadline = threading.Timer(20, os._exit, (status,))
        deadline.daemon = True
        deadline.start()
        if self.spark is not None:
            try:
                self.spark.sparkContext.cancelAllJobs()
                self.spark.stop()
            except Exception:  # noqa: BLE001, S110 - stopping anyway: the exit below ends the JVM too
                pass
        shutil.rmtree(self.scratch, ignore_errors=True)
        os._exit(status)

    def on_signals(self):
        """(Again after the session starts: pyspark installs its own SIGINT handler.)"""
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda signum, _frame: self.in_thread(128 + signum))

    def in_thread(self, status):
        # A thread of its own: its calls to the JVM go through a connection of their own (py4j's pinned threads).
        threading.Thread(target=self, args=(status,), name="stop").start()

    def when_orphaned(self):
        parent = os.getppid()

        def watch():
            while os.getppid() == parent:
                time.sleep(0.5)
            self(1)

        threading.Thread(target=watch, name="stop-when-orphaned", daemon=True).start()


def main():
    out = os.fdopen(3, "w", encoding="utf-8")
    # Spark's scratch (its local dir and warehouse) lives in one temporary folder, removed when the
    # driver ends, so that no run leaves anything behind in the system's temporary folder.
    with tempfile.TemporaryDirectory(prefix="spark-local-", ignore_cleanup_errors=True) as scratch:
        stop = Stop(scratch)
        stop.on_signals()
        stop.when_orphaned()
        serve(out, scratch, stop)


def serve(out, scratch, stop):
    started = time.monotonic()
    spark = spark_session(scratch)
    stop.spark = spark
    stop.on_signals()
    spark.sparkContext.setLogLevel(os.environ.get("SPARK_LOG_LEVEL", "WARN"))
    answer(
        out,
        {
            "id": 0,
            "ok": True,
            "result": {"spark": spark.version, "python": sys.version.split()[0], "master": spark.sparkContext.master},
            "seconds": round(time.monotonic() - started, 3),
        },
    )
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            command = json.loads(line)
            started = time.monotonic()
            try:
                result = handle(spark, command)
                answer(
                    out,
                    {
                        "id": command.get("id"),
                        "ok": True,
                        "result": result,
                        "seconds": round(time.monotonic() - started, 3),
                    },
                )
            except Exception as error:  # noqa: BLE001 - every failure goes back to the caller, with its traceback
                answer(
                    out,
                    {
                        "id": command.get("id"),
                        "ok": False,
                        "error": describe(error),
                        "traceback": traceback.format_exc(),
                    },
                )
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
