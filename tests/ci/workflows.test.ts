/**
 * The GitHub workflows parse as YAML, run what they promise, deploy only through OIDC (no stored AWS keys), and
 * never expand event values inside shell scripts (script injection).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseDocument } from "yaml";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { MARTS_DIR } from "../../generators/ir/marts.js";
import { REQUIRED_PYTHON } from "../../toolchain/python-env.js";

const root = resolve(import.meta.dirname, "../..");
const dir = join(root, ".github/workflows");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, { steps: Step[]; permissions?: Record<string, string> }>;
}

function load(file: string): Workflow {
  const text = readFileSync(join(dir, file), "utf8");
  const document = parseDocument(text);
  expect(document.errors.map((e) => e.message), file).toEqual([]);
  return parse(text) as Workflow;
}

const steps = (workflow: Workflow): Step[] => Object.values(workflow.jobs).flatMap((job) => job.steps);
const scripts = (workflow: Workflow): string => steps(workflow).map((s) => s.run ?? "").join("\n");

describe("GitHub workflows", () => {
  it("has ci.yml, contract-review.yml and deploy.yml, all valid YAML with jobs and steps", () => {
    expect(readdirSync(dir).sort()).toEqual(expect.arrayContaining(["ci.yml", "contract-review.yml", "deploy.yml"]));
    for (const file of ["ci.yml", "contract-review.yml", "deploy.yml"]) {
      const workflow = load(file);
      expect(workflow.name).toBeTruthy();
      expect(Object.keys(workflow.jobs).length).toBeGreaterThan(0);
      for (const step of steps(workflow)) expect(Boolean(step.uses) !== Boolean(step.run), JSON.stringify(step)).toBe(true);
    }
    expect(parseDocument("jobs:\n  a: [\n").errors.length).toBeGreaterThan(0);
  });

  it("CI runs npm ci, the tests and the drift check on pushes and pull requests", () => {
    const ci = load("ci.yml");
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
    expect(ci.permissions).toEqual({ contents: "read" });
    const runs = steps(ci).map((s) => s.run);
    expect(runs).toEqual(expect.arrayContaining(["npm ci", "npm test", "npm run generate -- --check"]));
    expect(runs.indexOf("npm ci")).toBeLessThan(runs.indexOf("npm test"));
    expect(scripts(ci)).toContain("apt-get install -y");
  });

  // The step's own script, run by bash with a `gh` that records its arguments and answers the comments listing from a
  // fixture through the step's own --jq filter (jq: gh's filter language is jq's).
  it("contract review edits its own comment, found by its marker, and no other bot comment; or makes one", () => {
    const post = steps(load("contract-review.yml")).find((s) => s.name === "Post the review as a PR comment")!;
    const review = "## Contract review: version bumps are sufficient\n\nA `code` span, $HOME and \"quotes\".\n";
    const postIn = (comments: object[], printed = review) => {
      const work = mkdtempSync(join(tmpdir(), "review-comment-"));
      try {
        mkdirSync(join(work, "bin"));
        writeFileSync(join(work, "contract-comment.md"), printed);
        writeFileSync(join(work, "comments.json"), JSON.stringify(comments));
        writeFileSync(
          join(work, "bin", "gh"),
          '#!/bin/bash\nprintf "%s\\n" "$*" >> "$RECORD"\nif [ "$1 $2" = "api --paginate" ]; then\n  while [ $# -gt 0 ]; do [ "$1" = --jq ] && filter="$2"; shift; done\n  jq -r "$filter" "$COMMENTS"\nfi\n',
          { mode: 0o755 },
        );
        const env = { ...process.env, PATH: `${join(work, "bin")}:${process.env.PATH}`, RECORD: join(work, "record"), COMMENTS: join(work, "comments.json"), PR_NUMBER: "7", REPOSITORY: "acme/reviews" };
        execFileSync("bash", ["-e", "-c", post.run!], { cwd: work, env });
        return { calls: readFileSync(join(work, "record"), "utf8").trim().split("\n"), body: readFileSync(join(work, "comment-body.md"), "utf8") };
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    };
    const bot = "github-actions[bot]";
    const list = 'api --paginate repos/acme/reviews/issues/7/comments --jq .[] | select(.user.login == "github-actions[bot]" and (.body | startswith("<!-- contract-review -->"))) | .id';
    const edited = postIn([
      { id: 11, user: { login: bot }, body: "Coverage: 91%" },
      { id: 12, user: { login: "mallory" }, body: "<!-- contract-review -->\nnot the review" },
      { id: 13, user: { login: bot }, body: "<!-- contract-review -->\n## Contract review: needs major" },
      { id: 14, user: { login: bot }, body: "Another workflow's comment, the newest" },
    ]);
    expect(edited.calls).toEqual([list, "api --method PATCH repos/acme/reviews/issues/comments/13 -F body=@comment-body.md"]);
    expect(edited.body).toBe("<!-- contract-review -->\n## Contract review: version bumps are sufficient\n\nA `code` span, $HOME and \"quotes\".\n");
    const made = postIn([{ id: 11, user: { login: bot }, body: "Coverage: 91%" }]);
    expect(made.calls).toEqual([list, "pr comment 7 --body-file comment-body.md"]);
    // contract:diff printed nothing (exit 2): the comment says the review could not run, not an empty body.
    expect(postIn([], "").body).toBe(
      "<!-- contract-review -->\n## Contract review: could not run\n\ncontract:diff stopped before it printed a review: its error is in this workflow run's log (step Contract diff).\n",
    );
  });

  // Ubuntu has no `chromium` package (its `chromium-browser` installs a snap) and no `firefox-esr`: apt-get would stop
  // the job. The runner image carries both browsers (actions/runner-images: install-google-chrome.sh links a Chromium
  // build at /usr/bin/chromium; Firefox at /usr/bin/firefox), and the tests are given those paths.
  it("CI installs .ci/apt-packages.txt's packages but the browsers, and runs the tests with the runner's own", () => {
    const ci = steps(load("ci.yml"));
    const apt = ci.find((s) => s.run?.includes("apt-get install"))!;
    const browsers = ["chromium", "firefox-esr"];
    const listed = readFileSync(join(root, ".ci/apt-packages.txt"), "utf8").split("\n").filter(Boolean);
    expect(listed).toEqual(expect.arrayContaining(browsers));
    // The step's own script, run with sudo replaced by a recorder: on the two browsers alone (nothing to install, no
    // apt-get update), and on the list with one more package (that list but the browsers).
    const installed = (list: string[]) => {
      const work = mkdtempSync(join(tmpdir(), "ci-apt-"));
      try {
        mkdirSync(join(work, ".ci"));
        mkdirSync(join(work, "bin"));
        writeFileSync(join(work, ".ci/apt-packages.txt"), `${list.join("\n")}\n`);
        writeFileSync(join(work, "bin/sudo"), '#!/bin/sh\necho "$@" >> "$RECORD"\n', { mode: 0o755 });
        execFileSync("bash", ["-euo", "pipefail", "-c", apt.run!], { cwd: work, env: { ...process.env, PATH: `${join(work, "bin")}:${process.env.PATH}`, RECORD: join(work, "record") } });
        return existsSync(join(work, "record")) ? readFileSync(join(work, "record"), "utf8").trim().split("\n") : [];
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    };
    expect(installed(browsers)).toEqual([]);
    expect(installed([...listed, "jq"])).toEqual(["apt-get update", `apt-get install -y --no-install-recommends ${[...listed, "jq"].filter((p) => !browsers.includes(p)).join(" ")}`]);
    const tests = ci.find((s) => s.run === "npm test")!;
    expect(tests.env).toEqual({ CHROMIUM_PATH: "/usr/bin/chromium", FIREFOX_PATH: "/usr/bin/firefox" });
  });

  it("CI provides the Python the pinned environments need (the runner's own is another) and Java 17, before it installs them", () => {
    const ci = steps(load("ci.yml"));
    const python = ci.findIndex((s) => s.uses?.startsWith("actions/setup-python@"));
    expect(python, "an actions/setup-python step").toBeGreaterThanOrEqual(0);
    expect(String(ci[python]!.with?.["python-version"])).toBe(REQUIRED_PYTHON);
    const java = ci.findIndex((s) => s.uses?.startsWith("actions/setup-java@"));
    expect(java, "an actions/setup-java step").toBeGreaterThanOrEqual(0);
    expect(String(ci[java]!.with?.["java-version"])).toBe("17");
    const setup = ci.findIndex((s) => s.run === "npm run python:setup");
    expect(setup, "npm run python:setup").toBeGreaterThan(Math.max(python, java));
    expect(setup).toBeLessThan(ci.findIndex((s) => s.run === "npm test"));
  });

  it("contract review posts the contract diff as a PR comment and as the job summary", () => {
    const review = load("contract-review.yml");
    expect(Object.keys(review.on)).toEqual(["pull_request"]);
    expect(review.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    const script = scripts(review);
    expect(script).toContain('npm run --silent contract:diff -- --base "origin/$BASE_REF" --format markdown');
    expect(script).toContain('cat contract-review.md >> "$GITHUB_STEP_SUMMARY"');
    // The comment is the review cut to GitHub's limit on a comment (the summary has it whole).
    expect(script).toContain('npm run --silent contract:diff -- --base "origin/$BASE_REF" --format markdown --max-chars 65500 > contract-comment.md');
    expect(steps(review).find((s) => s.uses?.startsWith("actions/checkout"))?.with).toEqual({ "persist-credentials": false, "fetch-depth": 0 });
    // It runs for a change to any input contract:diff reads: the contracts, the generator, the marts' contracts.
    expect((review.on.pull_request as { paths: string[] }).paths).toEqual(expect.arrayContaining(["contracts/**", "generators/**", `${MARTS_DIR}/**`]));
  });

  it("leaves no token in a checkout's .git/config (persist-credentials: false): no workflow pushes, and the code a job runs could read it", () => {
    // The contract review runs the pull request's code (npm ci's prepare script, its contracts) with a pull-requests:
    // write token; actions/checkout writes its token into .git/config unless told not to.
    for (const file of readdirSync(dir).filter((name) => /\.ya?ml$/.test(name))) {
      const checkouts = steps(load(file)).filter((s) => s.uses?.startsWith("actions/checkout@"));
      for (const checkout of checkouts) expect(checkout.with?.["persist-credentials"], `${file}: ${JSON.stringify(checkout)}`).toBe(false);
      expect(readFileSync(join(dir, file), "utf8"), file).not.toMatch(/\bgit\s+push\b/);
    }
    expect(steps(load("contract-review.yml")).filter((s) => s.uses?.startsWith("actions/checkout@"))).toHaveLength(1);
  });

  it("deploy runs on main with OIDC role-to-assume, Terraform init/plan/apply, script upload and snowflake:apply", () => {
    const deploy = load("deploy.yml");
    expect(Object.keys(deploy.on).sort()).toEqual(["workflow_dispatch", "workflow_run"]);
    expect(deploy.permissions).toEqual({ contents: "read", "id-token": "write" });
    const aws = steps(deploy).find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))!;
    expect(aws.with?.["role-to-assume"]).toBe("${{ vars.AWS_DEPLOY_ROLE_ARN }}");
    expect(Object.keys(aws.with ?? {}).sort()).toEqual(["aws-region", "role-session-name", "role-to-assume"]);
    const script = scripts(deploy);
    for (const command of ["terraform -chdir=infra init", "terraform -chdir=infra plan -var-file=production.tfvars -out=tfplan", "terraform -chdir=infra apply tfplan", "npm run snowflake:apply", "npm run generate -- --check", "aws s3api head-object"]) {
      expect(script).toContain(command);
    }
    const order = ["init", "plan", "apply tfplan", "snowflake:apply"].map((word) => script.indexOf(word));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("deploy's terraform init refuses to change a committed provider lock (-lockfile=readonly), and warns without one", () => {
    const init = steps(load("deploy.yml")).find((s) => s.run?.includes("terraform -chdir=infra init"))!;
    // The step's own script, run by bash with a `terraform` that prints its arguments (no AWS, no registry).
    const work = mkdtempSync(join(tmpdir(), "deploy-init-"));
    try {
      mkdirSync(join(work, "bin"));
      mkdirSync(join(work, "infra"));
      writeFileSync(join(work, "bin", "terraform"), '#!/bin/sh\necho "terraform $*"\n', { mode: 0o755 });
      const run = () =>
        execFileSync("bash", ["-euo", "pipefail", "-c", init.run!], {
          cwd: work,
          encoding: "utf8",
          env: { PATH: `${join(work, "bin")}:${process.env.PATH}`, STATE_BUCKET: "b", LOCK_TABLE: "t", STATE_KMS_KEY: "k", REGION: "r" },
        });
      const without = run();
      expect(without).toMatch(/^terraform -chdir=infra init -backend-config=bucket=b /m);
      expect(without).not.toContain("-lockfile");
      expect(without).toContain("::warning");
      writeFileSync(join(work, "infra", ".terraform.lock.hcl"), "");
      const withLock = run();
      expect(withLock).toMatch(/^terraform -chdir=infra init -lockfile=readonly -backend-config=bucket=b /m);
      expect(withLock).not.toContain("::warning");
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("deploys only a commit whose CI run on main succeeded, and checks out that commit", () => {
    // A push to main started the deploy beside CI: a commit whose tests failed was deployed all the same.
    const ci = load("ci.yml");
    const deploy = load("deploy.yml");
    expect(deploy.on.push).toBeUndefined();
    expect(deploy.on.workflow_run).toEqual({ workflows: [ci.name], branches: ["main"], types: ["completed"] });
    const jobs = Object.values(deploy.jobs) as { if?: string; steps: Step[] }[];
    expect(jobs).toHaveLength(1);
    const condition = (jobs[0]!.if ?? "").replace(/\s+/g, " ").trim();
    expect(condition).toContain("github.event.workflow_run.conclusion == 'success'");
    // `branches` matches a head branch by name: a fork's pull request from its own main also has head_branch main.
    expect(condition).toContain("github.event.workflow_run.event == 'push'");
    expect(condition).toContain("github.event.workflow_run.head_repository.full_name == github.repository");
    // A re-run of an older commit's CI completes later than a newer commit's: only main's newest commit deploys
    // (workflow_run's github.sha is the default branch's latest commit).
    expect(condition).toContain("github.event.workflow_run.head_sha == github.sha");
    expect(condition).toMatch(/^github\.event_name == 'workflow_dispatch' \|\| \(.*\)$/);
    const checkout = jobs[0]!.steps[0]!;
    expect(checkout.uses).toMatch(/^actions\/checkout@/);
    expect(checkout.with).toEqual({ "persist-credentials": false, ref: "${{ github.event.workflow_run.head_sha || github.sha }}" });
  });

  it("deploys in the environment whose OIDC subject the deploy role trusts", () => {
    // Naming an environment makes the token's subject repo:<org>/<repo>:environment:<name>; the role trusts that form
    // with github_environment's default, so the two names must be the same.
    const deploy = load("deploy.yml");
    const jobs = Object.values(deploy.jobs) as { environment?: string }[];
    const variables = readFileSync(join(dir, "..", "..", "infra", "modules", "github-deploy", "variables.tf"), "utf8");
    const trusted = /variable "github_environment" \{[^}]*default\s+= "([^"]+)"/.exec(variables)?.[1];
    expect(trusted).toBe("production");
    expect(jobs.map((job) => job.environment)).toEqual([trusted]);
  });

  it("pins every action to a full commit SHA with its version beside it, and Dependabot keeps the pins current", () => {
    // A tag (v4) can be moved to other code by whoever controls the action's repository; the deploy job holds
    // id-token: write and the production secrets. A commit SHA cannot move.
    // https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#using-third-party-actions
    let count = 0;
    for (const file of readdirSync(dir)) {
      const lines = readFileSync(join(dir, file), "utf8").split("\n").filter((line) => /^\s*(-\s+)?uses:/.test(line));
      for (const line of lines) {
        count++;
        expect(line, file).toMatch(/uses: [\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
      }
      // The parsed steps agree with the lines read (none was missed by the line scan).
      expect(steps(load(file)).filter((s) => s.uses).length, file).toBe(lines.length);
    }
    expect(count).toBeGreaterThanOrEqual(10);
    const deploy = steps(load("deploy.yml")).filter((s) => s.uses);
    expect(deploy.length).toBe(4);
    for (const step of deploy) expect(step.uses).toMatch(/@[0-9a-f]{40}$/);
    const dependabot = parse(readFileSync(join(dir, "..", "dependabot.yml"), "utf8")) as { version: number; updates: { "package-ecosystem": string; directory: string }[] };
    expect(dependabot.version).toBe(2);
    expect(dependabot.updates).toEqual(expect.arrayContaining([expect.objectContaining({ "package-ecosystem": "github-actions", directory: "/" })]));
    // And the npm packages (package.json, package-lock.json) and the Go tools (toolchain/go/go.mod).
    expect(dependabot.updates).toEqual(expect.arrayContaining([expect.objectContaining({ "package-ecosystem": "npm", directory: "/" }), expect.objectContaining({ "package-ecosystem": "gomod", directory: "/toolchain/go" })]));
  });

  it("sets every root Terraform variable in the deploy: from the workflow, the committed tfvars, or on purpose by default", async () => {
    // Each push to main plans with what the workflow passes; a variable it did not pass went back to its default
    // (the failure e-mails unsubscribed, a second OIDC provider created where the account has one).
    const infra = join(dir, "..", "..", "infra");
    const declared = (await parseHcl("variables.tf", readFileSync(join(infra, "variables.tf"), "utf8"))) as { variable: Record<string, [{ default?: unknown }]> };
    const variables = Object.keys(declared.variable).sort();
    expect(variables.length).toBeGreaterThan(25);

    const deploy = load("deploy.yml");
    const job = Object.values(deploy.jobs)[0] as { env?: Record<string, string>; steps: Step[] };
    const fromWorkflow = new Set([
      ...Object.keys(job.env ?? {}).filter((k) => k.startsWith("TF_VAR_")).map((k) => k.slice("TF_VAR_".length)),
      ...[...scripts(deploy).matchAll(/\bTF_VAR_(\w+)=/g)].map((m) => m[1]!),
    ]);
    const tfvarsText = readFileSync(join(infra, "production.tfvars"), "utf8");
    const fromFile = new Set(Object.keys((await parseHcl("production.tfvars", tfvarsText)) as object));
    // The deliberate defaults are the commented list at the head of the file, each with its reason.
    const list = /Left at their defaults on purpose[^\n]*\n((?:#   .*\n)+)/.exec(tfvarsText)?.[1] ?? "";
    const byDefault = new Set([...list.matchAll(/^# {3}(\w+) +\S.*$/gm)].map((m) => m[1]!));
    expect(byDefault.size).toBeGreaterThan(0);

    for (const name of byDefault) expect(declared.variable[name]?.[0] && "default" in declared.variable[name]![0], `${name} has a default`).toBe(true);
    for (const name of [...fromWorkflow, ...fromFile]) expect(variables, `${name} is a root variable`).toContain(name);
    const unset = variables.filter((v) => !fromWorkflow.has(v) && !fromFile.has(v) && !byDefault.has(v));
    expect(unset, "root variables the deploy leaves at their defaults unnoticed").toEqual([]);
    // One place per setting: -var-file overrides TF_VAR_, so a variable in both would silently ignore the workflow.
    expect([...fromFile].filter((v) => fromWorkflow.has(v) || byDefault.has(v))).toEqual([]);
    expect([...fromWorkflow].filter((v) => byDefault.has(v))).toEqual([]);
    expect(scripts(deploy)).toContain("terraform -chdir=infra plan -var-file=production.tfvars -out=tfplan");
  });

  it("stores no AWS keys and expands no event values inside scripts", () => {
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), "utf8");
      expect(text, file).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
      for (const step of steps(load(file))) {
        expect(step.run ?? "", `${file}: ${step.name}`).not.toMatch(/\$\{\{/);
      }
    }
  });
});
