/**
 * EventBridge event-pattern matching by moto's own evaluator (`moto.events.models.EventPattern`, pinned in
 * toolchain/python/aws.in), the implementation moto's EventBridge uses to route events; no hand-written imitation.
 * One Python process answers a whole batch of (pattern, event) pairs.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ensurePythonEnv } from "../../toolchain/python-env.js";
import { REPO_ROOT } from "./data.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const EVALUATE = `
import json, sys
from moto.events.models import EventPattern
pairs = json.load(sys.stdin)
print(json.dumps([EventPattern.load(json.dumps(pattern)).matches_event(event) for pattern, event in pairs]))
`;

/** Whether each event matches its pattern, as EventBridge (moto) decides. */
export async function matchEventPatterns(pairs: readonly (readonly [Json, Json])[]): Promise<boolean[]> {
  const { python } = await ensurePythonEnv("aws", { root: REPO_ROOT });
  const result = spawnSync(python, ["-c", EVALUATE], { input: JSON.stringify(pairs), encoding: "utf8" });
  if (result.status !== 0) throw new Error(`moto's event-pattern evaluator failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as boolean[];
}
