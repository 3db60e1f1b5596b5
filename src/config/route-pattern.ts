/** An `allowRoutes` entry: a method (or `*`) and a path whose `*` stands for one path segment. */
export const ROUTE_PATTERN = /^(\*|[A-Za-z]+)\s+(\/\S*)$/;

/** Whether `text` is a valid `allowRoutes` entry (`POST /v1/files`, `* /v1/things/*`). */
export function isRoutePattern(text: string): boolean {
  return ROUTE_PATTERN.test(text.trim());
}
