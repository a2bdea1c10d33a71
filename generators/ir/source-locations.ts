/**
 * Finds where a field is declared in a contract's source, so errors and contract review can point at
 * `file:line:column`. Uses the TypeScript parser that ts-morph ships (syntax only: no program, no type check).
 */
import { ts } from "ts-morph";

export interface Position {
  readonly line: number;
  readonly column: number;
}

export class SourceIndex {
  /** Property chains (names of the enclosing object-literal properties, outermost first) and their positions. */
  private readonly entries: { chain: string[]; position: Position }[] = [];
  /** The same, counting only properties of `z.object({...})` shapes: the raw record's fields. */
  private readonly fieldEntries: { chain: string[]; position: Position }[] = [];

  constructor(sourceText: string, fileName: string) {
    const sourceFile = ts.createSourceFile(fileName, sourceText, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node, chain: string[], fieldChain: string[]): void => {
      let next = chain;
      let nextField = fieldChain;
      if (ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)) {
        const name = propertyName(node.name);
        if (name !== undefined) {
          const { line, character } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
          const position = { line: line + 1, column: character + 1 };
          next = [...chain, name];
          this.entries.push({ chain: next, position });
          if (isShapeLiteral(node.parent)) {
            nextField = [...fieldChain, name];
            this.fieldEntries.push({ chain: nextField, position });
          }
        }
      } else if (ts.isVariableDeclaration(node)) {
        next = [];
        nextField = [];
      }
      node.forEachChild((child) => visit(child, next, nextField));
    };
    visit(sourceFile, [], []);
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
  {
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
}

/** `{...}` passed as the first argument of `z.object(...)`, `z.strictObject(...)` or `z.looseObject(...)`. */
function isShapeLiteral(node: ts.Node): boolean {
  if (!ts.isObjectLiteralExpression(node) || !ts.isCallExpression(node.parent)) return false;
  const call = node.parent;
  if (call.arguments[0] !== node) return false;
  const callee = call.expression;
  const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : "";
  return name === "object" || name === "strictObject" || name === "looseObject";
}

function propertyName(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  if (ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  return undefined;
}
