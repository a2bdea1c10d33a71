/**
 * PySpark type constructors (`pyspark.sql.types`) for the typed raw shape of the cleaned zone and for the
 * processed columns. Written as Python source text.
 */
import type { RawShape } from "../../dialects/cleaning.js";
import type { TypeTable } from "../../dialects/type-table.js";
import { pyString } from "../../dialects/python.js";
import { atom, call, list, type PyExpr } from "./layout.js";

/** Processed column types, for reference in the generated jobs' comments and schemas. */
export const PYSPARK_TYPES: TypeTable<string> = {
  string: () => "StringType()",
  boolean: () => "BooleanType()",
  int32: () => "IntegerType()",
  int64: () => "LongType()",
  float64: () => "DoubleType()",
  decimal: (t) => `DecimalType(${t.precision}, ${t.scale})`,
  date: () => "DateType()",
  // TimestampType is an instant; the job writes it as INT64 TIMESTAMP_MICROS (never INT96).
  timestamp: () => "TimestampType()",
  json: () => "StringType()",
};

/**
 * The PySpark type of a typed raw shape, as an expression to lay out (`layout.ts`: nested structs break as ruff breaks
 * them), as read (`"read"`: integers as doubles, since the typed read refuses JSON `5.0` as a long) or as stored in
 * the cleaned zone (`"stored"`: integers at any depth as longs).
 */
export function pysparkShape(shape: RawShape, as: "read" | "stored" = "read"): PyExpr {
  switch (shape.kind) {
    case "string":
    case "json":
      return atom("StringType()");
    case "double":
      return atom("DoubleType()");
    case "integer":
      return atom(as === "read" ? "DoubleType()" : "LongType()");
    case "boolean":
      return atom("BooleanType()");
    case "list":
      return call("ArrayType", pysparkShape(shape.element, as));
    case "map":
      return call("MapType", atom("StringType()"), pysparkShape(shape.value, as));
    case "struct":
      return call("StructType", list(shape.fields.map((f) => structField(f.name, pysparkShape(f.shape, as)))));
  }
}

/** `StructField(name, type, True)`: every field of the jobs' schemas is nullable. */
export function structField(name: string, type: PyExpr): PyExpr {
  return call("StructField", atom(pyString(name)), type, atom("True"));
}

/** The `pyspark.sql.types` names a piece of generated source uses, sorted (for a lint-clean import line). */
export function usedTypeNames(source: string): string[] {
  const names = ["ArrayType", "BooleanType", "DateType", "DecimalType", "DoubleType", "IntegerType", "LongType", "MapType", "StringType", "StructField", "StructType", "TimestampType"];
  return names.filter((n) => new RegExp(`\\b${n}\\(`).test(source));
}
