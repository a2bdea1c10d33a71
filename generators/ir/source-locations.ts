/**
 * Finds where a field is declared in a contract's source, so errors and contract review can point at
 * `file:line:column`. Parses the contract with Babel's parser (syntax only, TypeScript plugin; no program, no type
 * check): it loads in a few tens of milliseconds, where the TypeScript compiler took most of a cold start.
 */
import { parse } from "@babel/parser";

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** The parts of Babel's AST this walker reads (ESTree-like nodes with `loc`). */
interface Node {
  readonly type: string;
  readonly loc?: { readonly start: { readonly line: number; readonly column: number } } | null;
  readonly [key: string]: unknown;
}

const isNode = (value: unknown): value is Node => typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";

export class SourceIndex {
  /** Property chains (names of the enclosing object-literal properties, outermost first) and their positions. */
  private readonly entries: { chain: string[]; position: Position }[] = [];
  /** The same, counting only properties of `z.object({...})` shapes: the raw record's fields. */
  private readonly fieldEntries: { chain: string[]; position: Position }[] = [];

  constructor(sourceText: string, fileName: string) {
    let program: Node;
    try {
      program = parse(sourceText, { sourceType: "module", plugins: ["typescript"], sourceFilename: fileName, errorRecovery: true }).program as unknown as Node;
    } catch {
      // A file the parser refuses has no positions; loading it reports the syntax error with its own position.
      return;
    }
    const visit = (node: Node, chain: string[], fieldChain: string[], parent: Node | undefined, grandparent: Node | undefined): void => {
      let next = chain;
      let nextField = fieldChain;
      if (node.type === "ObjectProperty" && !node.computed) {
        const name = propertyName(node.key as Node);
        if (name !== undefined && node.loc) {
          // Babel counts columns from 0, lines from 1.
          const position = { line: node.loc.start.line, column: node.loc.start.column + 1 };
          next = [...chain, name];
          this.entries.push({ chain: next, position });
          if (parent && isShapeLiteral(parent, grandparent)) {
            nextField = [...fieldChain, name];
            this.fieldEntries.push({ chain: nextField, position });
          }
        }
      } else if (node.type === "VariableDeclarator") {
        next = [];
        nextField = [];
      }
      for (const key of Object.keys(node)) {
        if (key === "loc" || key === "start" || key === "end" || key === "extra" || key === "leadingComments" || key === "trailingComments" || key === "innerComments") continue;
        const value = node[key];
        if (Array.isArray(value)) {
          for (const child of value) if (isNode(child)) visit(child, next, nextField, node, parent);
        } else if (isNode(value)) {
          visit(value, next, nextField, node, parent);
        }
      }
    };
    visit(program, [], [], undefined, undefined);
  }

  /**
   * Position of the property whose chain ends with `segments` (the shortest such chain wins, then the first in
   * source order). Undefined when the source does not spell it out (e.g. a computed key).
   */
  find(segments: readonly string[]): Position | undefined {
    return findIn(this.entries, segments);
  }

  /** Like `find`, among the fields of `z.object({...})` shapes only (raw-record paths). */
  findField(segments: readonly string[]): Position | undefined {
    return findIn(this.fieldEntries, segments);
  }
}

function findIn(entries: readonly { chain: string[]; position: Position }[], segments: readonly string[]): Position | undefined {
  let best: { chain: string[]; position: Position } | undefined;
  for (const entry of entries) {
    if (entry.chain.length < segments.length) continue;
    const tail = entry.chain.slice(entry.chain.length - segments.length);
    if (tail.every((name, i) => name === segments[i]) && (!best || entry.chain.length < best.chain.length)) {
      best = entry;
    }
  }
  return best?.position;
}

/** `{...}` passed as the first argument of `z.object(...)`, `z.strictObject(...)` or `z.looseObject(...)`. */
function isShapeLiteral(node: Node, parent: Node | undefined): boolean {
  if (node.type !== "ObjectExpression" || parent?.type !== "CallExpression") return false;
  const args = parent.arguments as readonly Node[];
  if (args[0] !== node) return false;
  const callee = parent.callee as Node;
  const name =
    callee.type === "MemberExpression" && !callee.computed && (callee.property as Node).type === "Identifier"
      ? ((callee.property as Node).name as string)
      : callee.type === "Identifier"
        ? (callee.name as string)
        : "";
  return name === "object" || name === "strictObject" || name === "looseObject";
}

function propertyName(key: Node): string | undefined {
  if (key.type === "Identifier") return key.name as string;
  if (key.type === "StringLiteral") return key.value as string;
  if (key.type === "NumericLiteral") return String(key.value);
  if (key.type === "TemplateLiteral" && (key.expressions as unknown[]).length === 0) return ((key.quasis as Node[])[0]!.value as { cooked: string }).cooked;
  return undefined;
}
