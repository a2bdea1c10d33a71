/**
 * The targets, in a fixed order. The CLI, `--check` and the tests all iterate this list; nothing is discovered at
 * run time.
 */
import { docsTarget } from "./docs/emit.js";
import { gluePysparkTarget } from "./glue-pyspark/emit.js";
import { irJsonTarget } from "./ir-json/emit.js";
import { snowflakeTarget } from "./snowflake/emit.js";
import { dbtTarget } from "./dbt/emit.js";
import { airflowTarget } from "./airflow/emit.js";
import { jsonSchemaTarget } from "./json-schema/emit.js";
import { parquetTarget } from "./parquet/emit.js";
import { quicksightTarget } from "./quicksight/emit.js";
import { stepFunctionsTarget } from "./step-functions/emit.js";
import { terraformTarget } from "./terraform/emit.js";
import type { Target } from "./types.js";
import { typescriptTarget } from "./typescript/emit.js";

export const TARGETS: readonly Target[] = [
  irJsonTarget,
  jsonSchemaTarget,
  typescriptTarget,
  parquetTarget,
  docsTarget,
  gluePysparkTarget,
  snowflakeTarget,
  dbtTarget,
  airflowTarget,
  stepFunctionsTarget,
  terraformTarget,
  quicksightTarget,
];
