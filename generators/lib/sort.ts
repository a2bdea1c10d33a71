/** Code-point order: the same on every machine and locale (never a bare `localeCompare`). */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((x, y) => compareCodePoints(key(x), key(y)));
}
