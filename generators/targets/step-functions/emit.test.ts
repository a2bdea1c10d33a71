import { resolve } from "node:path";
import aslValidator from "asl-validator";
import { beforeAll, describe, expect, it } from "vitest";
import { loadIR } from "../../ir/load.js";
import type { ContractIR, DatasetIR } from "../../ir/types.js";
import {
  FAILURE_TOPIC_PLACEHOLDER,
  GLUE_RUN_JOB_SYNC,
  intrinsicLiteral,
  PARTITION_PLACEHOLDER,
  stateMachineDefinition,
  stepFunctionsTarget,
} from "./emit.js";

const root = resolve(import.meta.dirname, "../../..");
let ir: ContractIR;

beforeAll(async () => {
  ir = await loadIR(resolve(root, "contracts"), root);
});

/** What Terraform's templatefile() does with the placeholders, in the partition given. */
function render(text: string, partition = "aws"): string {
  return text
    .split(FAILURE_TOPIC_PLACEHOLDER)
    .join(`arn:${partition}:sns:eu-west-1:111122223333:review-pipeline-failures`)
    .split(PARTITION_PLACEHOLDER)
    .join(partition);
}

function validate(definition: unknown): string {
  const { isValid, errorsText } = aslValidator(definition as never);
  return isValid ? "" : errorsText("\n");
}

describe("step-functions target", () => {
  it("emits one definition per dataset that asl-validator accepts once templatefile() has filled it, in every partition", async () => {
    const { files } = await stepFunctionsTarget.emit(ir);
    expect(files.map((f) => f.path)).toEqual(ir.datasets.map((d) => `generated/step-functions/${d.name}.asl.json`));
    for (const file of files) {
      for (const partition of ["aws", "aws-us-gov", "aws-cn"]) expect(validate(JSON.parse(render(file.contents, partition)))).toBe("");
    }
  });

  it("contains no template syntax other than the failure topic and partition placeholders", async () => {
    const { files } = await stepFunctionsTarget.emit(ir);
    for (const file of files) {
      const rest = file.contents.split(FAILURE_TOPIC_PLACEHOLDER).join("").split(PARTITION_PLACEHOLDER).join("");
      expect(rest).not.toMatch(/[$%]\{/);
    }
  });

  it("names no partition: every service integration's ARN takes Terraform's (GovCloud and China too)", async () => {
    const { files } = await stepFunctionsTarget.emit(ir);
    for (const file of files) {
      expect(file.contents).not.toMatch(/arn:aws[a-z-]*:/);
      const resources = Object.values(JSON.parse(render(file.contents, "aws-us-gov")).States as Record<string, { Resource?: string }>)
        .map((state) => state.Resource)
        .filter((resource) => resource !== undefined);
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources) expect(resource).toMatch(/^arn:aws-us-gov:states:::/);
    }
  });

  it("runs clean then flatten with the .sync Glue integration, retries, and a catch to the SNS failure state", () => {
    const def = stateMachineDefinition(ir.datasets.find((d) => d.name === "review")!) as Record<string, any>;
    expect(def.StartAt).toBe("Clean");
    const { Clean, Flatten, NotifyFailure, Failed } = def.States;
    expect([Clean.Resource, Flatten.Resource]).toEqual([GLUE_RUN_JOB_SYNC, GLUE_RUN_JOB_SYNC]);
    expect(render(GLUE_RUN_JOB_SYNC)).toBe("arn:aws:states:::glue:startJobRun.sync");
    expect(Clean.Parameters.JobName).toBe("review-clean");
    expect(Flatten.Parameters.JobName).toBe("review-flatten");
    expect(Clean.Next).toBe("Flatten");
    expect(Object.keys(Clean.Parameters.Arguments).map((k: string) => k.replace(/\.\$$/, "")).sort()).toEqual(
      ["--cleaned_path", "--input_bucket", "--input_key", "--quarantine_path", "--run_id", "--summary_path"],
    );
    // The event's key goes to the job as the event carries it (URL-encoded): the job decodes it.
    expect(Clean.Parameters.Arguments["--input_key.$"]).toBe("$.detail.object.key");
    expect(Clean.Parameters.Arguments["--input_bucket.$"]).toBe("States.Format('s3://{}', $.detail.bucket.name)");
    expect(Object.keys(Flatten.Parameters.Arguments).map((k: string) => k.replace(/\.\$$/, "")).sort()).toEqual(["--input_path", "--output_path", "--run_id"]);
    // Flatten reads exactly what this run's clean wrote.
    expect(Flatten.Parameters.Arguments["--input_path"]).toBe("s3://amazon-reviews-cleaned/reviews/");
    expect(Flatten.Parameters.Arguments["--input_path"]).toBe(Clean.Parameters.Arguments["--cleaned_path"]);
    expect(Clean.Parameters.Arguments["--run_id.$"]).toBe("$$.Execution.Name");
    expect(Flatten.Parameters.Arguments["--output_path"]).toBe("s3://amazon-reviews-processed/reviews/");
    for (const task of [Clean, Flatten]) {
      expect(task.Retry.map((r: { ErrorEquals: string[] }) => r.ErrorEquals)).toEqual([
        ["Glue.ConcurrentRunsExceededException"],
        ["Glue.InternalServiceException", "Glue.ThrottlingException"],
      ]);
      // A burst of uploads waits for a free run for longer than a run may take (the jobs' timeout, infra's default
      // 60 minutes) many times over: the expected wait with full jitter is half of each capped delay.
      const waits = (r: { IntervalSeconds: number; BackoffRate: number; MaxAttempts: number; MaxDelaySeconds: number }) =>
        Array.from({ length: r.MaxAttempts }, (_, k) => Math.min(r.IntervalSeconds * r.BackoffRate ** k, r.MaxDelaySeconds));
      const expectedWait = waits(task.Retry[0]).reduce((a, b) => a + b / 2, 0);
      expect(expectedWait).toBeGreaterThan(3 * 60 * 60);
      expect(waits(task.Retry[1]).reduce((a, b) => a + b, 0)).toBeLessThan(30 * 60);
      expect(task.Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "NotifyFailure" }]);
    }
    expect(render(NotifyFailure.Resource)).toBe("arn:aws:states:::sns:publish");
    expect(NotifyFailure.Next).toBe("Failed");
    expect(Failed.Type).toBe("Fail");
  });

  it("escapes quote and braces of a location inside States.Format", () => {
    expect(intrinsicLiteral("s3://b/it's{x}\\")).toBe("s3://b/it\\'s\\{x\\}\\\\");
    const review = ir.datasets.find((d) => d.name === "review")!;
    const odd: DatasetIR = { ...review, locations: { ...review.locations, quarantine: "s3://amazon-reviews-quarantine/o'brien(1)/" } };
    const def = stateMachineDefinition(odd) as Record<string, any>;
    expect(def.States.Clean.Parameters.Arguments["--summary_path.$"]).toBe(
      "States.Format('s3://amazon-reviews-quarantine/o\\'brien(1)/_summaries/run_id={}.json', $$.Execution.Name)",
    );
    // Zone roots are plain strings: the Glue jobs add run_id=<run id>/ under them.
    expect(def.States.Clean.Parameters.Arguments["--quarantine_path"]).toBe("s3://amazon-reviews-quarantine/o'brien(1)/");
    expect(validate(JSON.parse(render(JSON.stringify(def))))).toBe("");
  });

  it("is rejected by asl-validator when a state is broken (the check can fail)", () => {
    const def = stateMachineDefinition(ir.datasets[0]!) as Record<string, any>;
    const broken = { ...def, States: { ...def.States, Clean: { ...def.States.Clean, Next: "Nowhere" } } };
    expect(validate(broken)).not.toBe("");
  });
});
