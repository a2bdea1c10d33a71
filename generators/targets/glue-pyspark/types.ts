/**
 * PySpark type constructors (`pyspark.sql.types`) for the typed raw shape of the cleaned zone and for the
 * processed columns. Written as Python source text.
 */
import type { RawShape } from "../../dialects/cleaning.js";
import type { TypeTable } from "../../dialects/type-table.js";
import { pyString } from "../../dialects/python.js";

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

/** The PySpark type of a typed raw shape; `indent` is the current indentation for nested structs. */
export function pysparkShape(shape: RawShape, indent = ""): string {
  switch (shape.kind) {
    case "string":
    case "json":
      return "StringType()";
    case "double":
      return "DoubleType()";
    case "boolean":
      return "BooleanType()";
    case "list":
      return `ArrayType(${pysparkShape(shape.element, indent)})`;
    case "map":
      return `MapType(StringType(), ${pysparkShape(shape.value, indent)})`;
    case "struct": {
      const inner = `${indent}    `;
      const fields = shape.fields.map((f) => `${inner}StructField(${pyString(f.name)}, ${pysparkShape(f.shape, inner)}, True),`);
      return `StructType([\n${fields.join("\n")}\n${indent}])`;
    }
  }
}

/** The `pyspark.sql.types` names a piece of generated source uses, sorted (for a lint-clean import line). */
export function usedTypeNames(source: string): string[] {
  const names = ["ArrayType", "BooleanType", "DateType", "DecimalType", "DoubleType", "IntegerType", "LongType", "MapType", "StringType", "StructField", "StructType", "TimestampType"];
  return names.filter((n) => new RegExp(`\\b${n}\\(`).test(source));
}
