/** A tiny argv parser for the CLIs: `--name value` pairs, repeatable; unknown flags are errors. */
export function parseArgs(argv: string[], known: Record<string, 'string' | 'flag'>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (!name || !(name in known)) throw new Error(`unknown argument: ${arg}`);
    if (known[name] === 'flag') {
      out.set(name, ['true']);
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
    out.set(name, [...(out.get(name) ?? []), value]);
    i++;
  }
  return out;
}
