/** Walking a dataset's raw fields (the record's JSON shape in the IR). */
import type { RawField } from "./types.js";

/** The fields nested in a field: an object's members, an array's or a map's element, a union's options. */
export function innerFields(field: RawField): RawField[] {
  return [...(field.fields ?? []), ...(field.element ? [field.element] : []), ...(field.options ?? [])];
}

/** The raw field at a path (`answers[].text`), searched through objects, elements, values and union options. */
export function findRawField(fields: readonly RawField[], path: string): RawField | undefined {
  for (const field of fields) {
    if (field.path === path) return field;
    const found = findRawField(innerFields(field), path);
    if (found) return found;
  }
  return undefined;
}
