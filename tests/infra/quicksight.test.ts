/**
 * Proof for infra/modules/quicksight on the parsed HCL (@cdktf/hcl2json) and on QuickSight's own API model
 * (botocore, tests/helpers/quicksight-shapes.py): it reads the generated QuickSight layer, makes one data set per data
 * set of the index and no refresh schedule (the Airflow DAG refreshes them), an IAM policy for that refresh on exactly
 * those data sets and their ingestions, takes credentials only from a Secrets Manager secret, gives the reader
 * group and nobody else read-only actions, names every block after a member of the right API shape and reads that
 * member, maps every member of the generated files, and its plan-time guard (members.tf) lists exactly what it maps.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dagQuickSightDataSetIds, readGeneratedDag } from "../helpers/generated-dag.js";
import { REPO_ROOT } from "../helpers/data.js";
import {
  QUICKSIGHT_GENERATED,
  QUICKSIGHT_MODULE,
  checkQuickSightShapes,
  removeBlock,
  replaceOnce,
  repositoryShapeInput,
  type ShapeInput,
  type ShapeReport,
} from "../helpers/quicksight-shapes.js";
import { allStrings, readTerraformDir, type Hcl, type TerraformDir } from "../helpers/terraform.js";

const QUICKSIGHT_TYPES = ["aws_quicksight_analysis", "aws_quicksight_data_set", "aws_quicksight_data_source", "aws_quicksight_group"];
const READER = "${aws_quicksight_group.readers.arn}";
/** QuickSight's viewer action sets (https://docs.aws.amazon.com/quicksight/latest/user/sharing-data-sets.html and the API's ResourcePermission). */
const READ_ONLY = {
  data_source: ["quicksight:DescribeDataSource", "quicksight:DescribeDataSourcePermissions", "quicksight:PassDataSource"],
  data_set: ["quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions", "quicksight:DescribeIngestion", "quicksight:ListIngestions", "quicksight:PassDataSet"],
  analysis: ["quicksight:DescribeAnalysis", "quicksight:DescribeAnalysisPermissions", "quicksight:QueryAnalysis"],
};

let module: TerraformDir;
let rootDir: TerraformDir;
let moduleText: string;
let index: Hcl;
let report: ShapeReport;

const readGenerated = (file: string) => JSON.parse(readFileSync(join(REPO_ROOT, QUICKSIGHT_GENERATED, file), "utf8")) as Hcl;
const locals = (dir: TerraformDir): Hcl => Object.assign({}, ...dir.bodies.flatMap((b) => (b.locals ?? []) as Hcl[]));
const resource = (type: string, name: string) => module.resources[type]?.[name] as Hcl;

/** The names of every block and attribute in a parsed body, dynamic blocks' labels included. */
function blockAndAttributeNames(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) blockAndAttributeNames(item, out);
  else if (value && typeof value === "object") {
    for (const [key, child] of Object.entries(value as Hcl)) {
      out.push(key);
      blockAndAttributeNames(child, out);
    }
  }
  return out;
}

/** Every `permission`/`permissions` block (static or dynamic) of every resource, with where it is. */
function permissionBlocks(dir: TerraformDir): { where: string; block: Hcl }[] {
  const out: { where: string; block: Hcl }[] = [];
  const visit = (value: unknown, where: string) => {
    if (Array.isArray(value)) return value.forEach((item) => visit(item, where));
    if (!value || typeof value !== "object") return;
    for (const [key, child] of Object.entries(value as Hcl)) {
      if (key === "permission" || key === "permissions") for (const block of child as Hcl[]) out.push({ where: `${where}.${key}`, block });
      else if (key === "dynamic") {
        for (const [name, dynamics] of Object.entries(child as Hcl)) {
          for (const dynamic of dynamics as Hcl[]) {
            if (name === "permission" || name === "permissions") out.push({ where: `${where}.dynamic.${name}`, block: (dynamic.content as Hcl[])[0]! });
            visit(dynamic.content, `${where}.${name}`);
          }
        }
      } else visit(child, `${where}.${key}`);
    }
  };
  for (const [type, named] of Object.entries(dir.resources)) for (const [name, body] of Object.entries(named)) visit(body, `${type}.${name}`);
  return out;
}

beforeAll(async () => {
  module = await readTerraformDir(REPO_ROOT, QUICKSIGHT_MODULE);
  rootDir = await readTerraformDir(REPO_ROOT, "infra");
  moduleText = module.files.map((f) => readFileSync(join(REPO_ROOT, QUICKSIGHT_MODULE, f), "utf8")).join("\n");
  index = readGenerated("quicksight.json");
  report = await checkQuickSightShapes(repositoryShapeInput());
}, 300_000);

describe("infra/modules/quicksight: inputs", () => {
  it("reads the index, the data set files and the analysis from generated/quicksight/ under the root's repository_root", () => {
    const values = locals(module);
    expect(values.generated_dir).toBe("${var.repository_root}/generated/quicksight");
    expect(values.index).toBe('${jsondecode(file("${local.generated_dir}/quicksight.json"))}');
    expect(values.analysis).toBe('${jsondecode(file("${local.generated_dir}/${local.index.analysis.file}"))}');
    expect(values.data_sets).toMatch(/for data_set in local\.index\.dataSets : data_set\.mart => merge\(data_set, \{\s*body = jsondecode\(file\("\$\{local\.generated_dir\}\/\$\{data_set\.file\}"\)\)/);
    expect(rootDir.modules.quicksight).toMatchObject({ source: "./modules/quicksight", repository_root: "${local.repository_root}" });
    expect(locals(rootDir).repository_root).toBe("${path.module}/..");
  });

  it("has a data set file for every data set of the index and no other, each with the index's id", () => {
    const marts = (index.dataSets as Hcl[]).map((d) => d.mart as string);
    expect(marts.length).toBeGreaterThanOrEqual(3);
    expect(new Set(marts).size).toBe(marts.length);
    const files = readdirSync(join(REPO_ROOT, QUICKSIGHT_GENERATED, "datasets")).sort();
    expect((index.dataSets as Hcl[]).map((d) => d.file).sort()).toEqual(files.map((f) => `datasets/${f}`));
    for (const dataSet of index.dataSets as Hcl[]) {
      const body = readGenerated(dataSet.file);
      expect(body.DataSetId, dataSet.file).toBe(dataSet.id);
      expect(body.ImportMode, dataSet.file).toBe("SPICE");
    }
    expect(existsSync(join(REPO_ROOT, QUICKSIGHT_GENERATED, index.analysis.file))).toBe(true);
  });

  it("keys the data sets by mart (every data set of the index), with no refresh schedule (the Airflow DAG refreshes them)", () => {
    expect(resource("aws_quicksight_data_set", "this").for_each).toBe("${local.data_sets}");
    expect(module.resources.aws_quicksight_refresh_schedule).toBeUndefined();
    expect(moduleText).not.toMatch(/refresh_schedule|index\.refresh/);
    expect(index.refresh).toBeUndefined();
    // The analysis looks its data sets up by identifier: every identifier must be a mart of the index.
    const declaration = resource("aws_quicksight_analysis", "this").definition[0].dynamic.data_set_identifiers_declarations[0].content[0];
    expect(declaration.data_set_arn).toBe("${aws_quicksight_data_set.this[declaration.value.Identifier].arn}");
    const marts = new Set((index.dataSets as Hcl[]).map((d) => d.mart));
    const identifiers = (readGenerated(index.analysis.file).DataSetIdentifierDeclarations as Hcl[]).map((d) => d.Identifier);
    expect(identifiers.length).toBeGreaterThan(0);
    for (const identifier of identifiers) expect(marts.has(identifier), identifier).toBe(true);
  });
});

describe("infra/modules/quicksight: credentials and access", () => {
  it("takes the Snowflake credentials only from a Secrets Manager secret, over TLS", () => {
    const source = resource("aws_quicksight_data_source", "this");
    expect(source.type).toBe("SNOWFLAKE");
    expect(source.credentials).toEqual([{ secret_arn: "${var.snowflake_secret_arn}" }]);
    expect(source.ssl_properties).toEqual([{ disable_ssl: false }]);
    expect(source.parameters[0].snowflake[0]).toEqual({
      host: "${var.snowflake_host}",
      database: "${local.index.dataSource.database}",
      warehouse: "${local.index.dataSource.warehouse}",
    });
    // No block or attribute that could carry a credential, anywhere (dynamic ones included).
    for (const dir of [module, rootDir]) {
      const names = dir.bodies.flatMap((b) => blockAndAttributeNames(b));
      expect(names.length, dir.dir).toBeGreaterThan(50);
      expect(names.filter((n) => /credential_pair|password|username|copy_source_arn|secret_string/.test(n)), dir.dir).toEqual([]);
      expect(dir.resources.aws_secretsmanager_secret_version, dir.dir).toBeUndefined();
    }
    expect(blockAndAttributeNames({ credentials: [{ dynamic: { credential_pair: [{ content: [{ password: "x" }] }] } }] })).toContain("password");
    expect(rootDir.variables.snowflake_secret_arn!.default).toBeNull();
    expect(module.variables.snowflake_secret_arn!.validation[0].condition).toContain(":secretsmanager:");
  });

  it("gives every QuickSight resource to the reader group only, with read-only actions", () => {
    const blocks = permissionBlocks(module);
    expect(blocks.map((b) => b.where).sort()).toEqual([
      "aws_quicksight_analysis.this.permissions",
      "aws_quicksight_data_set.this.permissions",
      "aws_quicksight_data_source.this.permission",
    ]);
    const actionSets = locals(module).read_only_actions as Record<string, string[]>;
    expect(actionSets).toEqual(READ_ONLY);
    for (const { where, block } of blocks) {
      expect(block.principal, where).toBe(READER);
      const m = /^\$\{local\.read_only_actions\.(\w+)\}$/.exec(block.actions as string);
      expect(m, `${where}: actions must be one of local.read_only_actions`).not.toBeNull();
      const actions = actionSets[m![1]!]!;
      expect(actions.length, where).toBeGreaterThan(0);
      for (const action of actions) {
        expect(action, where).toMatch(/^quicksight:(Describe|List|Query|Pass)[A-Za-z]+$/);
        expect(action, where).not.toMatch(/Create|Update|Delete|Put|Restore|Cancel|Tag/);
      }
    }
    // No other principal anywhere, and the group is created in the default namespace.
    expect(moduleText.match(/^\s*principal\s*=.*$/gm)!.map((l) => l.trim())).toEqual(Array(3).fill("principal = aws_quicksight_group.readers.arn"));
    expect(resource("aws_quicksight_group", "readers")).toMatchObject({ group_name: "${local.reader_group_name}", namespace: "default" });
  });

  it("is off by default in the root, and the root's outputs use outputs the module declares", () => {
    expect(rootDir.variables.enable_quicksight).toMatchObject({ type: "${bool}", default: false });
    expect(rootDir.modules.quicksight!.count).toBe("${var.enable_quicksight ? 1 : 0}");
    // A moved block names a resource of the module (its former attachment), not an output.
    const used = [...rootDir.bodies.flatMap((b) => allStrings({ ...b, moved: undefined })).join("\n").matchAll(/module\.quicksight\[0\]\.(\w+)/g)].map((m) => m[1]!);
    expect([...new Set(used)].sort()).toEqual(["analysis_id", "data_set_ids", "reader_group_arn", "refresh_policy_arn"]);
    for (const output of used) expect(module.outputs[output], output).toBeDefined();
  });
});

describe("infra/modules/quicksight: the Airflow DAG's refresh policy", () => {
  it("allows exactly CreateIngestion, DescribeIngestion and CancelIngestion, on exactly the data sets and their ingestions", () => {
    const documents = module.data.aws_iam_policy_document ?? {};
    expect(Object.keys(documents)).toEqual(["refresh"]);
    const statements = documents.refresh!.statement as Hcl[];
    expect(statements).toHaveLength(1);
    const statement = statements[0]!;
    expect(statement.actions).toEqual(["quicksight:CancelIngestion", "quicksight:CreateIngestion", "quicksight:DescribeIngestion"]);
    expect(statement.effect ?? "Allow").toBe("Allow");
    expect(statement.condition).toBeUndefined();
    // Every data set of the module by its ARN, and the ingestions under each (QuickSight's resource type ingestion:
    // dataset/<id>/ingestion/<ingestion id>); nothing else, no wildcard beyond the ingestion id.
    expect(String(statement.resources).replace(/\s+/g, " ")).toBe(
      '${concat( [for data_set in aws_quicksight_data_set.this : data_set.arn], [for data_set in aws_quicksight_data_set.this : "${data_set.arn}/ingestion/*"], )}',
    );
    expect(resource("aws_iam_policy", "refresh")).toMatchObject({ name: "${var.refresh_policy_name}", policy: "${data.aws_iam_policy_document.refresh.json}" });
  });

  it("is output as an ARN, and attached by the root to the Airflow role only when its name is given (empty default), its earlier attachment moved there", () => {
    expect(module.outputs.refresh_policy_arn!.value).toBe("${aws_iam_policy.refresh.arn}");
    expect(module.resources.aws_iam_role_policy_attachment).toBeUndefined();
    expect(module.variables.refresh_role_name).toBeUndefined();
    expect(rootDir.variables.airflow_role_name!.default).toBe("");
    expect(rootDir.variables.quicksight_refresh_role_name).toBeUndefined();
    expect(rootDir.modules.quicksight).toMatchObject({ refresh_policy_name: "${local.quicksight_refresh_policy_name}" });
    expect(rootDir.outputs.quicksight_refresh_policy_arn!.value).toBe("${var.enable_quicksight ? module.quicksight[0].refresh_policy_arn : null}");
    const attachment = String(rootDir.resources.aws_iam_role_policy_attachment!.airflow!.for_each).replace(/\s+/g, " ");
    expect(attachment).toContain("var.enable_quicksight ? { quicksight_refresh = module.quicksight[0].refresh_policy_arn } : {}");
    const root = readFileSync(join(REPO_ROOT, "infra/main.tf"), "utf8");
    expect(root).toMatch(/moved \{\n\s+from = module\.quicksight\[0\]\.aws_iam_role_policy_attachment\.refresh\[0\]\n\s+to\s+= aws_iam_role_policy_attachment\.airflow\["quicksight_refresh"\]\n\}/);
  });

  it("is written and attached by an administrator: the deploy role may only read it (and the role's attachments), and manages no refresh schedule", async () => {
    const deploy = await readTerraformDir(REPO_ROOT, "infra/modules/github-deploy");
    const text = deploy.files.map((f) => readFileSync(join(REPO_ROOT, "infra/modules/github-deploy", f), "utf8")).join("\n");
    const statements = (deploy.data.aws_iam_policy_document!.deploy!.dynamic.statement as Hcl[]).map((d) => d.content[0] as Hcl);
    const bySid = Object.fromEntries(statements.map((st) => [st.sid, st]));
    const read = (deploy.data.aws_iam_policy_document!.deploy!.statement as Hcl[]).find((st) => st.sid === "ReadAirflowPolicies");
    expect(read).toMatchObject({
      actions: ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"],
      resources: '${[for name in var.airflow_policy_names : "${local.arn_prefix}:iam::${var.account_id}:policy/${name}"]}',
    });
    expect(bySid.ReadAirflowRoleAttachments).toMatchObject({ actions: ["iam:ListAttachedRolePolicies"], resources: ["${local.arn_prefix}:iam::${var.account_id}:role/${statement.value}"] });
    expect(text).not.toMatch(/iam:(CreatePolicy|CreatePolicyVersion|DeletePolicy|AttachRolePolicy|DetachRolePolicy)\b/);
    expect(text).not.toMatch(/RefreshSchedule|refresh-schedule/);
    // Creating the data source from its secret is authorized by the caller's policy: the deploy role may read that one
    // secret, the one the root passes to the QuickSight module, with the QuickSight stage only.
    expect(bySid.ReadQuickSightDataSourceSecret).toEqual({ sid: "ReadQuickSightDataSourceSecret", actions: ["secretsmanager:GetSecretValue"], resources: ["${statement.value.secret_arn}"] });
    const dynamicFor = (deploy.data.aws_iam_policy_document!.deploy!.dynamic.statement as Hcl[]).find((d) => (d.content[0] as Hcl).sid === "ReadQuickSightDataSourceSecret")!.for_each;
    expect(dynamicFor).toBe("${var.quicksight == null ? [] : [var.quicksight]}");
    expect(rootDir.modules.github_deploy!.quicksight).toContain("secret_arn     = var.snowflake_secret_arn");
    expect(rootDir.modules.quicksight!.snowflake_secret_arn).toBe("${var.snowflake_secret_arn}");
    expect(new Set(text.match(/secretsmanager:[A-Za-z*]+/g))).toEqual(new Set(["secretsmanager:GetSecretValue"]));
    // The refresh policy is one of the Airflow DAG's policies the deploy role reads, when QuickSight is on.
    expect(String(locals(rootDir).airflow_policy_names).replace(/\s+/g, " ")).toBe(
      "${concat( [local.airflow_failure_alert_policy_name], var.enable_quicksight ? [local.quicksight_refresh_policy_name] : [], )}",
    );
  });

  it("is what the DAG needs: the DAG refreshes the index's data sets, with those three actions and no other AWS call but STS GetCallerIdentity", () => {
    const dag = readGeneratedDag();
    const ids = dagQuickSightDataSetIds(dag);
    expect(ids, "QUICKSIGHT_DATA_SET_IDS in the DAG").toBeDefined();
    expect(ids).toEqual((index.dataSets as Hcl[]).map((d) => d.id));
    const calls = [...new Set([...dag.matchAll(/\b(quicksight|session\.client\("sts"\))\.([a-z_]+)\(/g)].map((m) => `${m[1] === "quicksight" ? "quicksight" : "sts"}.${m[2]}`))].sort();
    expect(calls).toEqual(["quicksight.cancel_ingestion", "quicksight.create_ingestion", "quicksight.describe_ingestion", "sts.get_caller_identity"]);
  });
});

describe("infra/modules/quicksight: against QuickSight's API model (botocore)", () => {
  it("walks every QuickSight resource of the module from its Create request shape", () => {
    expect(report.resources.map((r) => r.split(".")[0]).sort()).toEqual(QUICKSIGHT_TYPES);
    expect(report.checked.blocks).toBeGreaterThan(100);
    expect(report.checked.attributes).toBeGreaterThan(100);
  });

  it("names every block and attribute after a member of the shape at its place, as a block only for structures", () => {
    expect(report.unknown).toEqual([]);
    expect(report.kind).toEqual([]);
  });

  it("has every block and attribute that maps generated JSON read the member it is named after", () => {
    expect(report.misread).toEqual([]);
  });

  it("maps every member of the generated files (which are themselves valid API shapes)", () => {
    expect(report.jsonUnknown).toEqual([]);
    expect(report.jsonMembers.length).toBeGreaterThan(150);
    expect(report.unmapped).toEqual([]);
    for (const kind of ["LineChartVisual", "BarChartVisual", "KPIVisual", "TableVisual"]) {
      expect(report.jsonMembers, kind).toContain(`AnalysisDefinition.Sheets.Visuals.${kind}`);
    }
  });

  it("declares in members.tf exactly what the blocks map, and the id-keyed maps the API model has", () => {
    expect(report.declared?.length).toBeGreaterThan(150);
    expect(report.declaredNotMapped).toEqual([]);
    expect(report.mappedNotDeclared).toEqual([]);
    expect(report.keyed).toEqual(report.mapMembers);
    expect(report.mapMembers).toEqual(["DataSet.LogicalTableMap", "DataSet.PhysicalTableMap"]);
  });
});

describe("infra/modules/quicksight: negative controls (the checks can fail)", () => {
  let given: ShapeInput;
  beforeAll(() => {
    given = repositoryShapeInput();
  });
  const withFile = (name: string, edit: (text: string) => string): ShapeInput => ({ ...given, files: { ...given.files, [name]: edit(given.files[name]!) } });

  it("reports a misspelt block name with its path", async () => {
    const result = await checkQuickSightShapes(
      withFile("analysis.tf", (text) => {
        const misspelt = text.replace(/dynamic "values" \{(\s+)for_each = try\(wells\.value\.Values, \[\]\)/, 'dynamic "valuez" {$1for_each = try(wells.value.Values, [])');
        expect(misspelt).not.toBe(text);
        return misspelt;
      }),
    );
    expect(result.unknown).toEqual([
      "aws_quicksight_analysis.this.definition.sheets.visuals.kpi_visual.chart_configuration.field_wells.valuez: KPIFieldWells has no member whose snake_case is valuez",
    ]);
    expect(result.unmapped).toContain("AnalysisDefinition.Sheets.Visuals.KPIVisual.ChartConfiguration.FieldWells.Values.NumericalMeasureField.FieldId");
  });

  it("reports a block that reads another member than its own", async () => {
    const result = await checkQuickSightShapes(withFile("analysis.tf", (text) => replaceOnce(text, "try(wells.value.Values, [])", "try(wells.value.TargetValues, [])")));
    expect(result.misread).toEqual([
      "aws_quicksight_analysis.this.definition.sheets.visuals.kpi_visual.chart_configuration.field_wells.values: reads wells.value.TargetValues, expected wells.value.Values",
    ]);
  });

  it("reports an attribute where the API has a structure", async () => {
    const result = await checkQuickSightShapes(withFile("main.tf", (text) => replaceOnce(text, "  ssl_properties {\n    disable_ssl = false\n  }\n", "  ssl_properties = null\n")));
    expect(result.kind).toEqual(["aws_quicksight_data_source.this.ssl_properties: CreateDataSourceRequest.SslProperties (structure) must be a block"]);
  });

  it("reports a generated member that no block maps, and members.tf listing a path no block maps", async () => {
    const result = await checkQuickSightShapes(withFile("analysis.tf", (text) => removeBlock(text, 'dynamic "range_minimum" {')));
    const path = "AnalysisDefinition.FilterGroups.Filters.NumericRangeFilter.RangeMinimum";
    expect(result.unmapped).toEqual([path, `${path}.StaticValue`]);
    expect(result.declaredNotMapped).toEqual([path, `${path}.StaticValue`]);
  });

  it("reports generated members outside the API model, and API members the module does not map", async () => {
    const analysis = JSON.parse(JSON.stringify(given.analysis)) as Hcl;
    const line = (analysis.Sheets as Hcl[])[0]!.Visuals[0].LineChartVisual as Hcl;
    expect(line).toBeDefined();
    line.Subtitle = { Visibility: "VISIBLE" };
    line.Titel = { Visibility: "VISIBLE" };
    const result = await checkQuickSightShapes({ ...given, analysis });
    expect(result.jsonUnknown).toEqual(["AnalysisDefinition.Sheets.Visuals.LineChartVisual.Titel: not a member of LineChartVisual"]);
    expect(result.unmapped).toEqual([
      "AnalysisDefinition.Sheets.Visuals.LineChartVisual.Subtitle",
      "AnalysisDefinition.Sheets.Visuals.LineChartVisual.Subtitle.Visibility",
      "AnalysisDefinition.Sheets.Visuals.LineChartVisual.Titel",
      "AnalysisDefinition.Sheets.Visuals.LineChartVisual.Titel.Visibility",
    ]);
  });
});
