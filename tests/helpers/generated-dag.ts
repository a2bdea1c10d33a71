/**
 * The generated Airflow DAG, read by the infrastructure tests that check what it calls in AWS
 * (tests/infra/quicksight.test.ts, tests/infra/iam-policies.test.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./data.js";

/** The generated DAG's source. */
export const readGeneratedDag = (): string => readFileSync(join(REPO_ROOT, "generated/airflow/dags/amazon_reviews_dbt.py"), "utf8");

/** The data set ids of the DAG's `QUICKSIGHT_DATA_SET_IDS` tuple (one quoted id per line), or undefined when it has none in that form. */
export function dagQuickSightDataSetIds(dag: string): string[] | undefined {
  const tuple = /^QUICKSIGHT_DATA_SET_IDS = \(\n((?: {4}"[^"\n]+",\n)+)\)$/m.exec(dag);
  return tuple ? [...tuple[1]!.matchAll(/"([^"]+)"/g)].map((match) => match[1]!) : undefined;
}
