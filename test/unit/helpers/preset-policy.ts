/** Preset settings as the resolved policy holds them: `scope.files` under `scope`. */
export function presetAsPolicy(settings: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    const [head, tail] = key.split('.') as [string, string | undefined];
    out[head] = tail === undefined ? value : { ...(out[head] as Record<string, unknown> | undefined), [tail]: value };
  }
  return out;
}
