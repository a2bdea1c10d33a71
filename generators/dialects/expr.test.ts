/** The one traversal of the expression tree: every node kind's children, found and replaced. */
import { describe, expect, it } from "vitest";
import { hoistMemberValues, hoistSharedLists, refNames } from "./cleaning.js";
import { and, call, caseWhen, cast, children, eq, exists, jsonScalar, jsonType, lit, mapChildren, ref, some, transform, type Expr } from "./expr.js";

/** One node of every kind, each with distinct `ref` leaves where it has children. */
const r = (n: string) => ref(n);
const NODES: Record<Expr["op"], Expr> = {
  lit: { op: "lit", value: 1 },
  ref: r("x"),
  call: { op: "call", fn: "coalesce", args: [r("a"), r("b")] },
  in: { op: "in", value: r("a"), list: ["p", 2] },
  case: { op: "case", whens: [[r("a"), r("b")], [r("c"), r("d")]], otherwise: r("e") },
  cast: { op: "cast", value: r("a"), type: { kind: "string" } },
  json_get: { op: "json_get", json: r("a"), key: "k" },
  json_type: { op: "json_type", json: r("a") },
  json_elements: { op: "json_elements", json: r("a") },
  json_values: { op: "json_values", json: r("a") },
  json_scalar: { op: "json_scalar", json: r("a"), as: "string" },
  exists: { op: "exists", list: r("a"), variable: "v", pred: r("b") },
  filter: { op: "filter", list: r("a"), variable: "v", pred: r("b") },
  transform: { op: "transform", list: r("a"), variable: "v", body: r("b") },
  element_at: { op: "element_at", list: r("a"), index: 1 },
  map_entries: { op: "map_entries", map: r("a") },
  map_from_entries: { op: "map_from_entries", entries: r("a") },
  field: { op: "field", value: r("a"), name: "key" },
  codes: { op: "codes", checks: [{ code: "c1", when: r("a") }, { code: "c2", when: r("b") }] },
};

const LEAVES: Record<Expr["op"], string[]> = {
  lit: [], ref: [], call: ["a", "b"], in: ["a"], case: ["a", "b", "c", "d", "e"], cast: ["a"], json_get: ["a"], json_type: ["a"],
  json_elements: ["a"], json_values: ["a"], json_scalar: ["a"], exists: ["a", "b"], filter: ["a", "b"], transform: ["a", "b"], element_at: ["a"],
  map_entries: ["a"], map_from_entries: ["a"], field: ["a"], codes: ["a", "b"],
};

describe("expression traversal", () => {
  it.each(Object.keys(NODES) as Expr["op"][])("%s: children in order, replaced in place, found by every walker", (op) => {
    const node = NODES[op];
    expect(children(node).map((c) => (c.op === "ref" ? c.name : c.op))).toEqual(LEAVES[op]);
    const renamed = mapChildren(node, (c) => (c.op === "ref" ? ref(c.name.toUpperCase()) : c));
    expect(children(renamed).map((c) => (c.op === "ref" ? c.name : c.op))).toEqual(LEAVES[op].map((n) => n.toUpperCase()));
    expect({ ...renamed, ...Object.fromEntries(Object.entries(node).filter(([k]) => !["args", "value", "whens", "otherwise", "json", "list", "pred", "body", "map", "entries", "checks"].includes(k))) }).toEqual(renamed);
    // Walkers built on the traversal: reference collection and search reach every child.
    expect(refNames(node)).toEqual(op === "ref" ? ["x"] : LEAVES[op]);
    for (const leaf of LEAVES[op]) expect(some(node, (n) => n.op === "ref" && n.name === leaf)).toBe(true);
  });

  it("leaves the original tree untouched", () => {
    const node = NODES.case;
    const before = JSON.stringify(node);
    mapChildren(node, () => ref("z"));
    expect(JSON.stringify(node)).toBe(before);
  });
});

describe("hoistMemberValues", () => {
  const m = ref("_m_a");
  const typeIs = (json: Expr, type: string) => eq(jsonType(json), lit(type));
  it("computes once what the rules read of a member more than once, and nothing else", () => {
    const expr = caseWhen(
      [
        [typeIs(m, "null"), lit("a.null")],
        [and(typeIs(m, "number"), call("gt", jsonScalar(m, "double"), lit(5))), lit("a.out_of_range")],
        // Read once: stays where it is. Not a member column: stays. Inside a lambda: stays (x is not a column).
        [call("lt", jsonScalar(m, "bigint"), lit(0)), lit("a.negative")],
        [typeIs(ref("_m_b"), "string"), lit("b.string")],
        [exists(ref("_m_list"), "x", typeIs(ref("x"), "string")), lit("list.strings")],
      ],
      lit(null),
    );
    const { expr: hoisted, values } = hoistMemberValues(expr, new Set(["_m_a", "_m_list"]), (i) => `_v${i}`);
    expect(values).toEqual([{ name: "_v0", expr: jsonType(m) }]);
    expect(JSON.stringify(hoisted)).toBe(JSON.stringify(expr).replaceAll(JSON.stringify(jsonType(m)), JSON.stringify(ref("_v0"))));
    expect(some(hoisted, (n) => n.op === "json_type" && n.json.op === "ref" && n.json.name === "x")).toBe(true);
  });

  it("never reaches into a lambda, even where its variable has a member column's name", () => {
    const twice = exists(ref("_m_a"), "_m_a", and(typeIs(ref("_m_a"), "string"), typeIs(ref("_m_a"), "number")));
    const { expr, values } = hoistMemberValues(twice, new Set(["_m_a"]), (i) => `_v${i}`);
    expect(values).toEqual([]);
    expect(expr).toEqual(twice);
  });
});

describe("hoistSharedLists", () => {
  const keys = transform(call("map_keys", ref("style")), "k", call("strip_trailing_colon", call("trim_whitespace", ref("k"))));
  const lookup = (key: string) => call("list_lookup", keys, call("map_values", ref("style")), lit(key));
  it("computes a map's normalized keys once for all the columns that look up a key in them", () => {
    const columns = [lookup("Size"), lookup("Color"), ref("asin")];
    const { exprs, values } = hoistSharedLists(columns, (i) => `_list${i}`);
    expect(values).toEqual([{ name: "_list0", expr: keys }]);
    expect(exprs).toEqual([
      call("list_lookup", ref("_list0"), call("map_values", ref("style")), lit("Size")),
      call("list_lookup", ref("_list0"), call("map_values", ref("style")), lit("Color")),
      ref("asin"),
    ]);
  });

  it("leaves a list used once, a list that may raise, and a list inside a lambda where they are", () => {
    const raising = transform(ref("items"), "x", cast(ref("x"), { kind: "int64" }));
    const nested = transform(ref("outer"), "o", call("list_length", keys));
    const columns = [lookup("Size"), raising, raising, nested, nested];
    const { exprs, values } = hoistSharedLists(columns, (i) => `_list${i}`);
    // `nested` itself is shared (it raises on nothing); the keys inside its lambda body are not reached.
    expect(values.map((v) => v.expr)).toEqual([nested]);
    expect(exprs).toEqual([lookup("Size"), raising, raising, ref("_list0"), ref("_list0")]);
  });
});
