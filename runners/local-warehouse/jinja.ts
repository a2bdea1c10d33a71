/**
 * Renders a dbt model for the local DuckDB run with a real Jinja engine (nunjucks), binding only what our models
 * use — `ref`, `source` and `config` — and refusing anything else with the model file, line and construct, so a model
 * that would behave differently under dbt never runs silently here.
 */
import nunjucks from "nunjucks";

export class UnsupportedJinjaError extends Error {}

export interface ModelConfig {
  materialized?: string;
}

export interface RenderedModel {
  readonly sql: string;
  readonly refs: readonly string[];
  readonly sources: readonly (readonly [string, string])[];
  readonly config: ModelConfig;
}

const ALLOWED_EXPRESSION = /^\{\{-?\s*(ref|source|config)\((.*)\)\s*-?\}\}$/s;

/** Lists every Jinja construct in the text and throws on any that is not `{{ ref(..) }}`, `{{ source(..) }}` or `{{ config(..) }}`. */
export function checkJinjaSubset(text: string, file: string): void {
  const constructs = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/g;
  for (const match of text.matchAll(constructs)) {
    if (ALLOWED_EXPRESSION.test(match[0])) continue;
    const line = text.slice(0, match.index).split("\n").length;
    throw new UnsupportedJinjaError(
      `${file}:${line}: unsupported Jinja ${JSON.stringify(match[0].slice(0, 60))}. The local run renders only ref(), source() and config(); ` +
        "move other logic into SQL, or run this model with dbt.",
    );
  }
}

export function renderModel(
  text: string,
  file: string,
  resolve: { ref: (model: string) => string; source: (source: string, table: string) => string },
): RenderedModel {
  checkJinjaSubset(text, file);
  const refs: string[] = [];
  const sources: [string, string][] = [];
  const config: ModelConfig = {};
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
  const sql = env.renderString(text, {
    ref: (model: string) => {
      refs.push(model);
      return resolve.ref(model);
    },
    source: (source: string, table: string) => {
      sources.push([source, table]);
      return resolve.source(source, table);
    },
    config: (options: ModelConfig & { __keywords?: boolean }) => {
      const { __keywords: _k, ...rest } = options ?? {};
      Object.assign(config, rest);
      return "";
    },
  });
  return { sql, refs, sources, config };
}
