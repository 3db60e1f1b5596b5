import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Node, Pair } from 'yaml';
import { ConfigError, unknownKeyProblem, valueProblem } from './errors.js';
import { GROUPS, isSettingKey, SETTING_KEYS, specOf, TOP_LEVEL_KEYS } from './schema.js';
import type { PolicyFile, SettingKey, Source } from './types.js';
import { describeFound, Invalid, UnknownKey, type ValuePath } from './values.js';
import { yamlLib } from './yaml-lib.js';

/** Which layer a file is: a repository's `.budgetrc`, or the user config kept by `conf`. */
export type FileOrigin = 'file' | 'user';

export interface ParseOptions {
  /** Absolute path, kept in sources. */
  path: string;
  /** How messages name the file (`.budgetrc` when it is in the working directory). */
  display: string;
  origin: FileOrigin;
}

/** Every key a file may hold, dotted: what an unknown key is compared with. */
const ALL_KEYS: readonly string[] = [...new Set([...TOP_LEVEL_KEYS, ...SETTING_KEYS])];

/**
 * Validates a policy file's text (YAML, which also reads JSON). Every problem is collected with
 * its line and column; any problem throws one ConfigError listing them all.
 */
export function parsePolicyText(text: string, options: ParseOptions): PolicyFile {
  // The user config conf leaves behind after the last `unset`: nothing to read, no parser to load.
  if (/^\s*(\{\s*\})?\s*$/.test(text)) return { path: options.path, entries: {} };
  const { isMap, isScalar, LineCounter, parseDocument } = yamlLib();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): string => {
    const { line, col } = lines.linePos(offset);
    return `${options.display}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => `${at(e.pos[0])}: not valid YAML or JSON: ${e.message.replace(/\.?$/, '.')}`));
  }

  const problems: string[] = [];
  const entries: Record<string, { value: unknown; source: Source }> = {};
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return { path: options.path, entries: {} };
  if (!isMap(contents)) {
    const found = describeFound(contents.toJS(doc));
    throw new ConfigError([`${at(start(contents))}: expected a mapping of settings (e.g. maxUsd: 1.50), found ${found}.`]);
  }

  const take = (key: SettingKey, pair: Pair): void => {
    const keyNode = pair.key as Node;
    const { line, col } = lines.linePos(start(keyNode));
    const spec = specOf(key);
    if (spec.repoOnly && options.origin === 'user') {
      problems.push(`${at(start(keyNode))}: ${key}: ceilings can only be set in a .budgetrc, where they bind everyone who runs there.`);
      return;
    }
    if (Object.hasOwn(entries, key)) {
      problems.push(`${at(start(keyNode))}: ${key}: set twice.`);
      return;
    }
    const valueNode = pair.value as Node | null;
    try {
      const value = spec.kind.parse(valueNode ? valueNode.toJS(doc) : null);
      entries[key] = { value, source: { kind: options.origin, file: options.path, line, column: col } };
    } catch (err) {
      problems.push(describeInvalid(err, key, valueNode ?? keyNode, at));
    }
  };

  for (const pair of contents.items) {
    const name = keyText(pair);
    const keyAt = at(start(pair.key, pair.value));
    const members = Object.hasOwn(GROUPS, name) ? GROUPS[name]! : null;
    if (members !== null) {
      const group = pair.value as Node | null;
      if (!isMap(group)) {
        const expected = `a mapping of ${members.join(', ')}`;
        problems.push(valueProblem(at(start(group ?? pair.key)), name, expected, group ? group.toJS(doc) : null));
        continue;
      }
      for (const inner of group.items) {
        const full = `${name}.${keyText(inner)}`;
        if (isSettingKey(full)) take(full, inner);
        else
          problems.push(
            unknownKeyProblem(
              at(start(inner.key as Node | null)),
              full,
              members.map((m) => `${name}.${m}`),
            ),
          );
      }
    } else if (isSettingKey(name)) {
      take(name, pair);
    } else {
      problems.push(unknownKeyProblem(keyAt, name, ALL_KEYS));
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { path: options.path, entries };
}

function keyText(pair: Pair): string {
  const { isScalar } = yamlLib();
  const key = pair.key as Node | null;
  if (isScalar(key)) return String(key.value);
  return key === null ? '' : JSON.stringify(key.toJSON());
}

function start(...nodes: (Node | null | undefined)[]): number {
  for (const node of nodes) if (node?.range) return node.range[0];
  return 0;
}

/** Follows a path of keys and indexes inside a value; `keyOf` stops at the last key itself. */
function nodeAt(node: Node, steps: ValuePath, keyOf: boolean): Node {
  const { isMap, isScalar, isSeq } = yamlLib();
  let current: Node = node;
  for (const [i, step] of steps.entries()) {
    if (isMap(current)) {
      const pair = current.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) return current;
      const next = (keyOf && i === steps.length - 1 ? pair.key : pair.value) as Node | null;
      if (!next) return pair.key as Node;
      current = next;
    } else if (isSeq(current) && typeof step === 'number' && current.items[step]) {
      current = current.items[step] as Node;
    } else {
      return current;
    }
  }
  return current;
}

function describeInvalid(err: unknown, key: SettingKey, node: Node, at: (offset: number) => string): string {
  const label = (steps: ValuePath): string => key + steps.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('');
  if (err instanceof Invalid) {
    return valueProblem(at(start(nodeAt(node, err.at, false))), label(err.at), err.expected, err.found);
  }
  if (err instanceof UnknownKey) {
    const parent = err.at.slice(0, -1);
    const candidates = err.candidates.map((c) => label([...parent, c]));
    return unknownKeyProblem(at(start(nodeAt(node, err.at, true))), label(err.at), candidates);
  }
  throw err;
}

/** How messages name a file: relative to the working directory when inside it, else absolute. */
export function displayPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** Reads and validates a policy file; a missing or unreadable file is a ConfigError too. */
export function readPolicyFile(file: string, cwd: string, origin: FileOrigin = 'file'): PolicyFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${displayPath(file, cwd)}: cannot read it: ${(err as Error).message}`]);
  }
  return parsePolicyText(text, { path: file, display: displayPath(file, cwd), origin });
}
